import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { type EchoBehaviour, type EchoServer, startEcho } from "./ip-echo.ts";

const hasIpv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((entry) => entry?.address === "::1");

const servers: EchoServer[] = [];

async function echo(behaviour?: EchoBehaviour, host?: "127.0.0.1" | "::1"): Promise<EchoServer> {
  const server = await startEcho(behaviour, host === undefined ? {} : { host });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("startEcho", () => {
  it("echoes the client's IPv4 address as text by default, on any path", async () => {
    const server = await echo();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.host).toBe("127.0.0.1");
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toBe("127.0.0.1");
    expect(await (await fetch(new URL("/some/path?x=1", server.url))).text()).toBe("127.0.0.1");
    expect(server.hits).toBe(2);
    expect(server.remoteFamilies).toEqual(["IPv4", "IPv4"]);
  });

  it.skipIf(!hasIpv6Loopback)("serves on ::1 and reports an IPv6 client", async () => {
    const server = await echo({}, "::1");
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+\/$/);
    expect(await (await fetch(server.url)).text()).toBe("::1");
    expect(server.remoteFamilies).toEqual(["IPv6"]);
  });

  it("answers JSON like ipinfo", async () => {
    const server = await echo({ answer: "81.2.69.142", format: "json" });
    const response = await fetch(server.url);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body["ip"]).toBe("81.2.69.142");
    expect(body["country"]).toBe("NL");
  });

  it("answers like Cloudflare's /cdn-cgi/trace", async () => {
    const server = await echo({ answer: "2a00:1450:4001:81b::200e", format: "trace" });
    const text = await (
      await fetch(new URL("/cdn-cgi/trace", server.url), { headers: { "user-agent": "ua/1" } })
    ).text();
    const fields = Object.fromEntries(
      text
        .trimEnd()
        .split("\n")
        .map((line) => line.split("=", 2)),
    );
    expect(fields).toMatchObject({
      h: "1.1.1.1",
      ip: "2a00:1450:4001:81b::200e",
      uag: "ua/1",
      warp: "off",
      kex: "none",
    });
    expect(fields["ts"]).toMatch(/^\d+\.\d{3}$/);
    expect(text.endsWith("kex=none\n")).toBe(true);
  });

  it("changes behaviour at run time with set(), including status, raw body and content type", async () => {
    const server = await echo({ answer: "81.2.69.142" });
    expect(await (await fetch(server.url)).text()).toBe("81.2.69.142");
    server.set({ answer: "8.8.8.8" });
    expect(await (await fetch(server.url)).text()).toBe("8.8.8.8");
    server.set({ status: 503, body: "<html>busy</html>", contentType: "text/html" });
    const response = await fetch(server.url);
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(await response.text()).toBe("<html>busy</html>");
    expect(server.hits).toBe(3);
  });

  it("delays", async () => {
    const server = await echo({ answer: "81.2.69.142", delayMs: 150 });
    const started = performance.now();
    expect(await (await fetch(server.url)).text()).toBe("81.2.69.142");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("hangs until the client times out, and close() still returns promptly", async () => {
    const server = await echo({ hang: true });
    await expect(fetch(server.url, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      name: "TimeoutError",
    });
    // A second hung request left open on purpose: close() must destroy it.
    const pending = fetch(server.url).catch((error: unknown) => error);
    await expect.poll(() => server.hits).toBe(2);
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("resets the connection", async () => {
    const server = await echo({ reset: true });
    await expect(fetch(server.url)).rejects.toThrow();
    expect(server.hits).toBe(1);
  });

  it("sends a body of the requested size", async () => {
    const server = await echo({ bodyBytes: 300_000 });
    const response = await fetch(server.url);
    expect(response.headers.get("content-length")).toBe("300000");
    const body = await response.text();
    expect(body.length).toBe(300_000);
    expect(/^1+$/.test(body)).toBe(true);
  });

  it("trickles one byte at a time until the client gives up", async () => {
    const server = await echo({ trickle: true });
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    expect(response.headers.get("content-length")).toBeNull();
    const reader = response.body!.getReader();
    const started = performance.now();
    let received = 0;
    while (received < 3) {
      const chunk = await reader.read();
      received += chunk.value?.length ?? 0;
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    controller.abort();
  });

  it("rejects when the port is taken", async () => {
    const server = await echo();
    const port = Number(new URL(server.url).port);
    await expect(startEcho({}, { port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("ip-echo-cli", () => {
  let child: ChildProcess | undefined;
  let directory: string | undefined;

  afterEach(() => {
    if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
    child = undefined;
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  });

  it("prints its URL, re-reads --answer-file per request and stops on SIGTERM", {
    timeout: 20_000,
  }, async () => {
    directory = mkdtempSync(join(tmpdir(), "ip-echo-"));
    const answerFile = join(directory, "answer");
    const script = new URL("./ip-echo-cli.ts", import.meta.url).pathname;
    const cli = spawn(
      process.execPath,
      ["--import", "tsx", script, "--answer", "81.2.69.142", "--answer-file", answerFile],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    child = cli;
    const firstLine = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: cli.stdout! });
      lines.once("line", resolve);
      cli.once("exit", (code) => reject(new Error(`cli exited with ${code}`)));
    });
    const { url } = JSON.parse(firstLine) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    expect(await (await fetch(url)).text()).toBe("81.2.69.142");
    writeFileSync(answerFile, "198.51.100.7\n");
    expect(await (await fetch(url)).text()).toBe("198.51.100.7");
    writeFileSync(answerFile, JSON.stringify({ status: 502, body: "bad gateway" }));
    const response = await fetch(url);
    expect(response.status).toBe(502);
    expect(await response.text()).toBe("bad gateway");

    const exited = new Promise<number | null>((resolve) => cli.once("exit", resolve));
    cli.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
