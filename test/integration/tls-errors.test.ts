/**
 * TLS failures as a user sees them, through the real CLI: a loopback HTTPS front (certificates made
 * by openssl in a temp dir for this run: a private CA, a certificate for the wrong name, a
 * self-signed one, an expired one) stands before an IP echo or the DreamHost emulator, and homing
 * must say what is wrong and what to do (src/core/connection-failure.ts). The advice is then
 * followed: with NODE_EXTRA_CA_CERTS pointing at the CA, the same run succeeds.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEcho } from "../emulators/ip-echo.ts";
import { closeAllWorlds, IP1, NAME, startWorld } from "../support/harness.ts";

afterEach(closeAllWorlds);

let dir: string;
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A leaf certificate signed by the test CA, with these subjectAltName entries and validity. */
function leaf(name: string, altNames: string, dates?: { start: string; end: string }): void {
  openssl(
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  writeFileSync(join(dir, `${name}.ext`), `[leaf]\nsubjectAltName = ${altNames}\n`);
  if (!dates) {
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      `${name}.ext`,
      "-extensions",
      "leaf",
      "-out",
      `${name}.pem`,
    );
    return;
  }
  // OpenSSL 3.0's x509 cannot set a past start date; `openssl ca` can (-startdate/-enddate).
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]",
      "default_ca = test",
      "[test]",
      "database = index.txt",
      "new_certs_dir = .",
      "serial = serial",
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "[any]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  openssl(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-cert",
    "ca.pem",
    "-keyfile",
    "ca.key",
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.pem`,
    "-startdate",
    dates.start,
    "-enddate",
    dates.end,
    "-extfile",
    `${name}.ext`,
    "-extensions",
    "leaf",
    "-notext",
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "homing-tls-"));
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=homing test CA",
  );
  leaf("good", "IP:127.0.0.1");
  leaf("wrong", "DNS:proxy.corp.example, DNS:other.example");
  leaf("expired", "IP:127.0.0.1", { start: "20200101000000Z", end: "20200201000000Z" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "30",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  );
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fronts: Server[] = [];
/** TCP connections each front (by URL) accepted: one per attempt homing made. */
const connections = new Map<string, number>();
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** An HTTPS server on 127.0.0.1 with certificate `name`, forwarding every request to `target` (plain HTTP). */
async function tlsFront(name: string, target: string): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer(
    { cert: readFileSync(join(dir, `${name}.pem`)), key: readFileSync(join(dir, `${name}.key`)) },
    (request, response) => {
      const forward = httpRequest(
        new URL(request.url ?? "/", target),
        { method: request.method ?? "GET", headers: request.headers, agent: false },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forward.on("error", () => response.destroy());
      request.pipe(forward);
    },
  );
  let url = "";
  server.on("connection", (socket: Socket) => {
    connections.set(url, (connections.get(url) ?? 0) + 1);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("close", () => {
    for (const socket of sockets) socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  fronts.push(server);
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  url = `https://127.0.0.1:${address.port}/`;
  return url;
}

const ca = () => join(dir, "ca.pem");

/** `homing detect` with one IPv4 source: an HTTPS front with certificate `name` before an echo of IP1. */
async function detectThrough(name: string, env: Record<string, string> = {}) {
  const echo = await startEcho({ answer: IP1 });
  const url = await tlsFront(name, echo.url);
  const world = await startWorld({
    ipv4: [],
    editConfig: (spec) => {
      spec.ipv4Sources = [{ url, name: "tls-echo" }];
      spec.ipv4Quorum = 1;
    },
  });
  try {
    return await world.run("detect", [], { env });
  } finally {
    await echo.close();
  }
}

describe("TLS errors say what is wrong and what to do", () => {
  it("a certificate for another name: names the host asked for and the names the certificate is for", async () => {
    // Trusted CA, wrong name: what an intercepting proxy with its own valid certificate looks like.
    const result = await detectThrough("wrong", { NODE_EXTRA_CA_CERTS: ca() });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /the certificate presented for 127\.0\.0\.1 is for proxy\.corp\.example, other\.example: .*intercepting HTTPS/,
    );
    expect(result.stdout + result.stderr).not.toMatch(/ERR_TLS_CERT_ALTNAME_INVALID\b(?!.*presented)/);
  });

  it("a self-signed certificate: NODE_EXTRA_CA_CERTS, never 'turn verification off'", async () => {
    const result = await detectThrough("self");
    const output = result.stdout + result.stderr;
    expect(result.code).toBe(1);
    expect(output).toMatch(
      /127\.0\.0\.1 presented a self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
    );
    expect(output).toMatch(/NODE_EXTRA_CA_CERTS=\/path\/to\/ca\.pem .*reads it only at start/);
    expect(output).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED|rejectUnauthorized|insecure/i);
  });

  it("a certificate from an untrusted CA fails with the advice, and following it makes the run succeed", async () => {
    const untrusted = await detectThrough("good");
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout + untrusted.stderr).toMatch(
      /\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); .*NODE_EXTRA_CA_CERTS=/,
    );

    const trusted = await detectThrough("good", { NODE_EXTRA_CA_CERTS: ca() });
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toContain(IP1);
  });

  it("an expired certificate: check the clock (it shows what the clock says)", async () => {
    const result = await detectThrough("expired", { NODE_EXTRA_CA_CERTS: ca() });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /the certificate of 127\.0\.0\.1 has expired \(CERT_HAS_EXPIRED\), or this machine's clock is wrong \(it says \d{4}-\d\d-\d\dT.*Raspberry Pi/,
    );
  });

  it("https:// to a plain-HTTP port: says the port does not speak TLS", async () => {
    // An ordinary HTTP server (nginx, a router's page) answers a TLS hello with "400 Bad Request".
    const plain = createHttpServer((_request, response) => response.end(IP1));
    await new Promise<void>((done) => plain.listen(0, "127.0.0.1", done));
    const { port } = plain.address() as AddressInfo;
    const world = await startWorld({
      ipv4: [],
      editConfig: (spec) => {
        spec.ipv4Sources = [{ url: `https://127.0.0.1:${port}/`, name: "plain" }];
        spec.ipv4Quorum = 1;
      },
    });
    const result = await world.run("detect");
    plain.closeAllConnections();
    await new Promise((done) => plain.close(done));
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/did not answer in TLS .*plain HTTP \(use http:\/\//);
  });

  it("a provider endpoint behind an untrusted CA: the run fails with the advice, then succeeds with NODE_EXTRA_CA_CERTS", async () => {
    const world = await startWorld();
    const endpoint = await tlsFront("good", world.dh.url);
    world.spec.providers.dh = { ...world.spec.providers.dh, endpoint } as never;
    await world.writeConfig();

    const failed = await world.run("run");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /DreamHost .* failed: https:\/\/127\.0\.0\.1:\d+: 127\.0\.0\.1 presented .*UNABLE_TO_VERIFY_LEAF_SIGNATURE.*NODE_EXTRA_CA_CERTS=/,
    );
    expect(failed.stderr).not.toContain(world.key);
    expect(world.mutations()).toEqual([]);
    // A refused certificate does not change in seconds: one attempt, not the retries a timeout gets.
    expect(connections.get(endpoint)).toBe(1);

    const fixed = await world.run("run", [], { env: { NODE_EXTRA_CA_CERTS: ca() } });
    expect(fixed.stderr).toBe("");
    expect(fixed.code).toBe(0);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });
});
