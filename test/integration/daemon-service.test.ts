/**
 * The daemon as a service, end to end through the real process: the status server it starts
 * (/healthz, /api/status, /metrics, POST /api/update), and the notifications it sends to a local
 * webhook receiver when an address changes. The routes and the page themselves are covered in
 * status-server.test.ts and status-page-browser.test.ts; here the wiring is what is tested.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanEnv, closeAllWorlds, IP1, IP2, NAME, startWorld, type World } from "../support/harness.ts";

afterEach(closeAllWorlds);
const children = new Set<ChildProcess>();
const servers = new Set<Server>();
afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  await Promise.all([...servers].map((server) => new Promise((resolve) => server.close(resolve))));
  servers.clear();
});

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body });
      response.writeHead(200).end("ok");
    });
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function daemon(world: World) {
  const child = spawn(process.execPath, [BIN, "daemon", "-c", world.configPath], {
    cwd: world.dir,
    env: cleanEnv(world.dir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let text = "";
  child.stdout?.on("data", (c: Buffer) => {
    text += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    text += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const waitFor = async (pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const match = text.match(pattern);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${pattern}; output:\n${text}`);
  };
  return { child, exited, waitFor, output: () => text };
}

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("homing daemon as a service", () => {
  it("serves health, status and metrics, triggers rounds by token, and notifies changes", async () => {
    const world = await startWorld();
    const receiver = await startReceiver();
    const base = await readFile(world.configPath, "utf8");
    await writeFile(
      world.configPath,
      `${base}
[daemon]
interval = "1h"

[status]
listen = "127.0.0.1:0"
update_token = "UPDATETOKEN-${world.key}"

[notify]
urls = ["generic+http://${receiver.url}/hook?token=${world.key}"]
`,
    );
    const proc = daemon(world);
    const [, url] = await proc.waitFor(/status page on (http:\/\/127\.0\.0\.1:\d+)\/?/);

    // The first round created the record and told the webhook.
    await proc.waitFor(new RegExp(`${NAME} A created ${IP1}`));
    const created = await until(() => receiver.received.find((r) => r.body.includes(NAME)));
    expect(created.body).toContain(IP1);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const status = (await (await fetch(`${url}/api/status`)).json()) as {
      records: Array<Record<string, unknown>>;
    };
    expect(JSON.stringify(status.records)).toContain(IP1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^homing_rounds_total\{result="ok"\} 1$/m);
    expect(metrics).toContain(`address="${IP1}"`);

    // POST /api/update without the token is refused; with it, a round runs and publishes the change.
    for (const echo of world.echoes4) echo.set({ answer: IP2 });
    expect((await fetch(`${url}/api/update`, { method: "POST" })).status).toBe(401);
    const triggered = await fetch(`${url}/api/update`, {
      method: "POST",
      headers: { authorization: `Bearer UPDATETOKEN-${world.key}` },
    });
    expect(triggered.status).toBe(202);
    await proc.waitFor(new RegExp(`${NAME} A ${IP1} -> ${IP2}`));
    const changed = await until(() => receiver.received.find((r) => r.body.includes(IP2)));
    expect(changed.body).toContain(IP1);

    // No secret in anything the daemon printed or served.
    const page = await (await fetch(`${url}/`)).text();
    for (const text of [proc.output(), page, JSON.stringify(status), metrics]) {
      expect(text).not.toContain(world.key);
    }

    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });
});
