/**
 * `homing notify --test` through the real CLI, against the local receivers of the notification
 * tests (test/support/notify-receiver.ts): one line per target and heartbeat with ok or failed and
 * why, exit 0 only when all succeeded, and no token of any URL in any output.
 */
import { appendFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllWorlds, lines, startWorld } from "../support/harness.ts";
import {
  canary,
  leakedFragment,
  type Receiver,
  type Reply,
  startHttpReceiver,
} from "../support/notify-receiver.ts";

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await closeAllWorlds();
});

async function receiver(fallback?: Reply): Promise<Receiver> {
  const started = await startHttpReceiver([], fallback);
  receivers.push(started);
  return started;
}

/** A world whose config has these [notify] urls and [heartbeat] keys. */
async function worldWith(urls: string[], heartbeat: Record<string, string> = {}) {
  const world = await startWorld();
  const toml = [
    "",
    "[notify]",
    `urls = ${JSON.stringify(urls)}`,
    `timeout = "3s"`,
    "",
    "[heartbeat]",
    ...Object.entries(heartbeat).map(([key, value]) => `${key} = ${JSON.stringify(value)}`),
    "",
  ].join("\n");
  await appendFile(world.configPath, toml);
  return world;
}

describe("homing notify --test", () => {
  it("sends to every target and heartbeat, one line each; a failing one makes exit 1; no token is printed", async () => {
    const ntfyToken = canary();
    const gotifyToken = canary();
    const hookToken = canary();
    const hcUuid = canary();
    const kumaToken = canary();
    const ntfy = await receiver();
    // A Gotify that refuses the token and quotes it back in its error page.
    const gotify = await receiver({ status: 401, echo: true });
    const hook = await receiver();
    const hc = await receiver({ status: 200, body: "OK" });
    const kuma = await receiver({ status: 200, body: '{"ok":true}' });
    const world = await worldWith(
      [
        `ntfy://:${ntfyToken}@127.0.0.1:${ntfy.port}/homing-topic?scheme=http`,
        `gotify://127.0.0.1:${gotify.port}/${gotifyToken}?disabletls=yes`,
        `generic+http://127.0.0.1:${hook.port}/hook?@Authorization=Bearer+${hookToken}`,
      ],
      {
        healthchecks: `http://127.0.0.1:${hc.port}/ping/${hcUuid}`,
        uptime_kuma: `http://127.0.0.1:${kuma.port}/api/push/${kumaToken}?status=up&msg=OK&ping=`,
      },
    );

    const result = await world.run("notify", ["--test"]);

    expect(result.code).toBe(1);
    const shown = lines(result.stdout);
    expect(shown).toHaveLength(5);
    expect(shown[0]).toMatch(
      new RegExp(`^notification ntfy://127\\.0\\.0\\.1:${ntfy.port}: ok \\(\\d+ ms\\)$`),
    );
    expect(shown[1]).toMatch(
      new RegExp(`^notification gotify://127\\.0\\.0\\.1:${gotify.port}: failed \\(\\d+ ms\\): .*401`),
    );
    expect(shown[2]).toMatch(/^notification generic\+http:\/\/127\.0\.0\.1:\d+: ok \(\d+ ms\)$/);
    expect(shown[3]).toMatch(
      new RegExp(`^heartbeat healthchecks 127\\.0\\.0\\.1:${hc.port}: ok \\(\\d+ ms\\)$`),
    );
    expect(shown[4]).toMatch(
      new RegExp(`^heartbeat Uptime Kuma 127\\.0\\.0\\.1:${kuma.port}: ok \\(\\d+ ms\\)$`),
    );

    // Each was sent exactly once (a test is not retried), and the test message arrived.
    expect(ntfy.requests).toHaveLength(1);
    expect(gotify.requests).toHaveLength(1);
    expect(ntfy.requests[0]?.body).toMatch(/A test from "homing notify --test"/);
    expect(hook.json()).toMatchObject({ title: "homing test message" });
    expect(hc.requests[0]).toMatchObject({ method: "POST", path: `/ping/${hcUuid}` });
    expect(kuma.requests[0]?.path).toMatch(/status=up/);

    for (const token of [ntfyToken, gotifyToken, hookToken, hcUuid, kumaToken]) {
      expect(leakedFragment(result.stdout + result.stderr, token)).toBeUndefined();
    }
  });

  it("exits 0 when every target succeeded, and --json gives the same results", async () => {
    const token = canary();
    const ntfy = await receiver();
    const world = await worldWith([`ntfy://:${token}@127.0.0.1:${ntfy.port}/t?scheme=http`]);

    const text = await world.run("notify", ["--test"]);
    expect(text.code).toBe(0);
    expect(lines(text.stdout)).toEqual([
      expect.stringMatching(/^notification ntfy:\/\/127\.0\.0\.1:\d+: ok/),
    ]);

    const json = await world.run("notify", ["--test", "--json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { results: unknown[] };
    expect(parsed.results).toEqual([
      { kind: "notification", target: `ntfy://127.0.0.1:${ntfy.port}`, ok: true, ms: expect.any(Number) },
    ]);
    expect(leakedFragment(json.stdout + text.stdout, token)).toBeUndefined();
  });

  it("a target that cannot be reached fails with the reason; exit 1", async () => {
    const closed = await receiver();
    await closed.close();
    const world = await worldWith([`generic+http://127.0.0.1:${closed.port}/gone`]);
    const result = await world.run("notify", ["--test"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^notification generic\+http:\/\/127\.0\.0\.1:\d+: failed \(\d+ ms\): .*connection refused$/m,
    );
  });

  it("with nothing configured, says so and how to add a target; exit 1", async () => {
    const world = await startWorld();
    const result = await world.run("notify", ["--test"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /nothing to test: no notification target or heartbeat is configured; .*\[notify\] urls = /,
    );
  });

  it("without --test it is a usage error", async () => {
    const world = await startWorld();
    const result = await world.run("notify");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/homing notify takes --test/);
  });
});
