/**
 * The status server through real HTTP on loopback: startStatusServer with a fake daemon (a source
 * that returns fixture contexts), every route, the auth variants, the /healthz grace logic, the
 * update token, request limits and a clean close.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../src/core/secret.ts";
import type { DaemonInfo } from "../../src/engine/observer.ts";
import type { RoundReport } from "../../src/engine/round.ts";
import { memoryLogger } from "../../src/platform/log.ts";
import { MetricsObserver } from "../../src/status/metrics.ts";
import { PAGE_CSP } from "../../src/status/page.ts";
import type { StatusAuth } from "../../src/status/routes.ts";
import { type StatusServer, startStatusServer } from "../../src/status/server.ts";
import type { StatusSnapshot } from "../../src/status/snapshot.ts";
import { API_KEY, FAILURE, fixtureContext, fixtureReport, NOW } from "../support/status-fixture.ts";

const TOKEN = "page-token-0123456789";
const UPDATE = "update-token-9876543210";
const USER = "admin";
const PASSWORD = "correct horse battery staple";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error("client timeout")));
    req.end(options.body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

/** A fake daemon: the context and report the test sets, and a counter of requested rounds. */
function fakeDaemon() {
  const fake = {
    daemon: {} as Partial<DaemonInfo>,
    failing: false,
    report: fixtureReport() as RoundReport | undefined,
    running: false,
    rounds: 0,
    broken: false,
    source: {
      context: () => {
        if (fake.broken) throw new Error("state is being reloaded");
        return fixtureContext({ failing: fake.failing, daemon: fake.daemon });
      },
      lastReport: () => fake.report,
      requestRound: (): "started" | "busy" => {
        if (fake.running) return "busy";
        fake.rounds++;
        return "started";
      },
    },
  };
  return fake;
}

const servers: StatusServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(
  options: { auth?: StatusAuth; listen?: string; graceMs?: number; metrics?: MetricsObserver } = {},
) {
  const fake = fakeDaemon();
  const logger = memoryLogger();
  logger.addSecret(API_KEY);
  const metrics = options.metrics ?? new MetricsObserver();
  const server = await startStatusServer({
    listen: options.listen ?? "127.0.0.1:0",
    source: fake.source,
    auth: options.auth ?? {},
    healthGraceMs: options.graceMs ?? 15 * 60_000,
    refreshSeconds: 30,
    metrics,
    logger,
  });
  servers.push(server);
  return { server, fake, logger, metrics, url: (path: string) => new URL(path, server.url).toString() };
}

describe("binding", () => {
  it("binds loopback, also for a bare :port", async () => {
    const { server } = await start({ listen: ":0" });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await call(server.url)).status).toBe(200);
  });

  it("binds [::1] when asked", async (context) => {
    let server: StatusServer;
    try {
      ({ server } = await start({ listen: "[::1]:0" }));
    } catch (error) {
      context.skip(`no IPv6 loopback here: ${(error as Error).message}`);
      return;
    }
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+\/$/);
    expect((await call(`${server.url}healthz`)).status).toBe(200);
  });

  it("warns when it listens on every interface", async () => {
    const { logger, server } = await start({ listen: "0.0.0.0:0" });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(logger.lines.join("\n")).toMatch(
      /warning: the status page listens on 0\.0\.0\.0:0 \(every interface\): it is reachable from the network; set status\.auth_token/,
    );
  });

  it("says so when the port is taken", async () => {
    const { server } = await start();
    const port = new URL(server.url).port;
    await expect(start({ listen: `127.0.0.1:${port}` })).rejects.toThrow(
      `cannot serve the status page on 127.0.0.1:${port}: the address is already in use`,
    );
  });

  it("refuses half-configured basic auth and empty tokens", async () => {
    await expect(start({ auth: { basicUser: USER } })).rejects.toThrow(
      /basic_user and status\.basic_password/,
    );
    await expect(start({ auth: { bearer: new Secret("", "file /run/token") } })).rejects.toThrow(
      "status.auth_token is empty (file /run/token)",
    );
  });
});

describe("routes", () => {
  it("/ is the HTML page with the strict CSP and security headers", async () => {
    const { url } = await start();
    const reply = await call(url("/"));
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.headers["content-security-policy"]).toBe(PAGE_CSP);
    expect(reply.headers).toMatchObject({
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "cache-control": "no-store",
    });
    expect(reply.body).toContain("home.example.com");
    expect(reply.body).toContain("<svg");
    expect(Number(reply.headers["content-length"])).toBe(Buffer.byteLength(reply.body));
  });

  it("HEAD gives the headers without a body", async () => {
    const { url } = await start();
    const reply = await call(url("/metrics"), { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("");
    expect(Number(reply.headers["content-length"])).toBeGreaterThan(100);
  });

  it("/api/status is the same data as JSON", async () => {
    const { url } = await start();
    const reply = await call(url("/api/status"));
    expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    const snapshot = JSON.parse(reply.body) as StatusSnapshot;
    expect(snapshot.records.map((r) => `${r.name} ${r.type} ${r.published}`)).toEqual([
      "home.example.com A 81.2.69.170",
      "home.example.com AAAA 2a00:1450:4001:81b::200e",
      "nas.example.com A 81.2.69.170",
    ]);
    expect(snapshot.detection[0]?.sources).toHaveLength(3);
    expect(snapshot.history).toHaveLength(7);
    expect(snapshot.health).toMatchObject({ ok: true, state: "ok" });
  });

  it("/metrics is the Prometheus exposition, with what the observer counted", async () => {
    const metrics = new MetricsObserver();
    metrics.roundFinished(fixtureReport());
    const { url } = await start({ metrics });
    const reply = await call(url("/metrics"));
    expect(reply.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(reply.body).toContain('homing_rounds_total{result="ok"} 1\n');
    expect(reply.body).toContain(
      'homing_published_address_info{provider="dh",name="home.example.com",type="A",address="81.2.69.170"} 1\n',
    );
    expect(reply.body).toContain("homing_last_success_timestamp_seconds 1747742220\n");
    expect(reply.body).toContain('homing_build_info{version="0.1.0"} 1\n');
  });

  it("unknown paths are 404, wrong methods 405, all with the security headers", async () => {
    const { url } = await start();
    const missing = await call(url("/favicon.ico"));
    expect(missing.status).toBe(404);
    expect(missing.headers["x-frame-options"]).toBe("DENY");
    const wrong = await call(url("/api/status"), { method: "PUT" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("GET, HEAD");
  });

  it("never exposes a secret, even one that slipped into an error message", async () => {
    const { url, fake } = await start({
      auth: { bearer: new Secret(TOKEN, "test"), updateToken: new Secret(UPDATE, "test") },
    });
    fake.failing = true;
    fake.daemon = { lastFailure: `nas.example.com A: the key ${API_KEY} was refused (${TOKEN})` };
    for (const path of ["/", "/api/status", "/metrics", "/healthz"]) {
      const reply = await call(url(path), { headers: bearer(TOKEN) });
      expect(reply.status, path).toBeLessThan(600);
      for (const secret of [API_KEY, TOKEN, UPDATE])
        expect(reply.body, `${path} leaks`).not.toContain(secret);
    }
    const json = await call(url("/api/status"), { headers: bearer(TOKEN) });
    expect(JSON.parse(json.body).daemon.lastFailure).toBe(
      "nas.example.com A: the key [redacted] was refused ([redacted])",
    );
  });

  it("a failing source is a 500 with a generic message, logged, and the server keeps serving", async () => {
    const { url, fake, logger } = await start();
    fake.broken = true;
    const reply = await call(url("/api/status"));
    expect(reply.status).toBe(500);
    expect(reply.body).toBe("internal error; see the daemon's log\n");
    expect(logger.lines.join("\n")).toContain("status page: GET /api/status failed: state is being reloaded");
    fake.broken = false;
    expect((await call(url("/api/status"))).status).toBe(200);
  });
});

describe("auth", () => {
  it("bearer: every page needs the token", async () => {
    const { url } = await start({ auth: { bearer: new Secret(TOKEN, "test") } });
    for (const path of ["/", "/api/status", "/metrics", "/healthz"]) {
      const denied = await call(url(path));
      expect(denied.status, path).toBe(401);
      expect(denied.headers["www-authenticate"]).toBe('Bearer realm="homing"');
      expect((await call(url(path), { headers: bearer("wrong") })).status).toBe(401);
      expect((await call(url(path), { headers: bearer(TOKEN) })).status).toBe(200);
    }
  });

  it("basic: the browser is asked to log in; right credentials pass", async () => {
    const { url } = await start({ auth: { basicUser: USER, basicPassword: new Secret(PASSWORD, "test") } });
    const denied = await call(url("/"));
    expect(denied.status).toBe(401);
    expect(denied.headers["www-authenticate"]).toBe('Basic realm="homing", charset="UTF-8"');
    expect((await call(url("/"), { headers: basic(USER, "nope") })).status).toBe(401);
    expect((await call(url("/"), { headers: basic(USER, PASSWORD) })).status).toBe(200);
  });
});

describe("POST /api/update", () => {
  it("is off (404) without an update token", async () => {
    const { url, fake } = await start();
    const reply = await call(url("/api/update"), { method: "POST" });
    expect(reply.status).toBe(404);
    expect(fake.rounds).toBe(0);
  });

  it("needs the update token; then starts a round (202), or says one is running (409)", async () => {
    const { url, fake } = await start({
      auth: { bearer: new Secret(TOKEN, "test"), updateToken: new Secret(UPDATE, "test") },
    });
    expect((await call(url("/api/update"), { method: "POST" })).status).toBe(401);
    expect((await call(url("/api/update"), { method: "POST", headers: bearer(TOKEN) })).status).toBe(401);
    expect(fake.rounds).toBe(0);
    const started = await call(url("/api/update"), { method: "POST", headers: bearer(UPDATE) });
    expect(started.status).toBe(202);
    expect(JSON.parse(started.body)).toMatchObject({ status: "started" });
    expect(fake.rounds).toBe(1);
    fake.running = true;
    const busy = await call(url("/api/update"), { method: "POST", headers: bearer(UPDATE) });
    expect(busy.status).toBe(409);
    expect(JSON.parse(busy.body)).toMatchObject({ status: "busy" });
    expect((await call(url("/api/update"), { headers: bearer(TOKEN) })).status).toBe(405);
  });

  it("refuses a request body larger than 1 KiB (413)", async () => {
    const { url, fake } = await start({ auth: { updateToken: new Secret(UPDATE, "test") } });
    const reply = await call(url("/api/update"), {
      method: "POST",
      headers: { ...bearer(UPDATE), "content-type": "application/json" },
      body: "x".repeat(4096),
    });
    expect(reply.status).toBe(413);
    expect(fake.rounds).toBe(0);
    const small = await call(url("/api/update"), { method: "POST", headers: bearer(UPDATE), body: "{}" });
    expect(small.status).toBe(202);
  });
});

describe("/healthz", () => {
  const failedAt = (minutes: number): RoundReport => ({
    ...fixtureReport({ ok: false }),
    finishedAt: minutesAgo(minutes).toISOString(),
  });

  it("200 after a good round, 200 while failures are within the grace, 503 after, 200 on recovery", async () => {
    const metrics = new MetricsObserver();
    const { url, fake } = await start({ graceMs: 10 * 60_000, metrics });

    fake.daemon = { lastSuccessAt: minutesAgo(2), lastFailureAt: minutesAgo(60) };
    let reply = await call(url("/healthz"));
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(reply.body).toBe("ok: the last round succeeded 2m ago (2025-05-20T11:58:00.000Z)\n");

    // Failing since 4 minutes ago: still inside the 10 minute grace.
    metrics.roundFinished(failedAt(4));
    metrics.roundFinished(failedAt(1));
    fake.failing = true;
    fake.daemon = { lastSuccessAt: minutesAgo(8), lastFailureAt: minutesAgo(1) };
    reply = await call(url("/healthz"));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^grace: the last round failed \(nas\.example\.com A: .*\); failing for 4m/);

    // The same streak, seen 12 minutes in: beyond the grace although the last failure is fresh.
    const late = new MetricsObserver();
    late.roundFinished(failedAt(12));
    late.roundFinished(failedAt(1));
    const second = await start({ graceMs: 10 * 60_000, metrics: late });
    second.fake.failing = true;
    second.fake.daemon = { lastSuccessAt: minutesAgo(16), lastFailureAt: minutesAgo(1) };
    reply = await call(second.url("/healthz"));
    expect(reply.status).toBe(503);
    expect(reply.body).toBe(
      `failing: failing for 12m, longer than the 10m grace period: nas.example.com A: ${FAILURE}\n`,
    );

    // Recovery.
    late.roundFinished(fixtureReport());
    second.fake.daemon = { lastSuccessAt: minutesAgo(0.5), lastFailureAt: minutesAgo(1) };
    reply = await call(second.url("/healthz"));
    expect(reply.status).toBe(200);
  });

  it("before the first round: 200 while starting, 503 once the grace is over", async () => {
    const { url, fake } = await start({ graceMs: 10 * 60_000 });
    fake.report = undefined;
    fake.daemon = { startedAt: minutesAgo(1), lastSuccessAt: undefined, lastFailureAt: undefined };
    expect(await call(url("/healthz"))).toMatchObject({
      status: 200,
      body: "starting: started 60s ago; no round has finished yet\n",
    });
    fake.daemon = { startedAt: minutesAgo(30), lastSuccessAt: undefined, lastFailureAt: undefined };
    const reply = await call(url("/healthz"));
    expect(reply.status).toBe(503);
    expect(reply.body).toMatch(/^failing: no round has finished in the 30m since the daemon started/);
  });
});

describe("connections", () => {
  it("close() ends keep-alive connections at once", async () => {
    const { server, url } = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await call(url("/healthz"), { agent })).status).toBe(200);
      expect((await call(url("/healthz"), { agent })).status).toBe(200);
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(call(url("/healthz"))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      agent.destroy();
    }
  });

  it("a client that never finishes its headers is cut off (408)", async () => {
    const { server } = await start();
    const { port } = new URL(server.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n"));
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString("utf8");
      });
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(9_000);
  }, 20_000);
});
