import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY,
  BADSIG,
  FAILURE,
  fixtureContext,
  fixtureDaemon,
  fixtureReport,
  IP_MID,
  IP_NOW,
  IP6,
  NOW,
  SOURCE_HOST,
  SOURCE_URLS,
} from "../../test/support/status-fixture.ts";
import { statusText } from "../cli/output.ts";
import { parseState } from "../core/state.ts";
import type { DaemonInfo } from "../engine/observer.ts";
import { MetricsObserver, renderMetrics } from "./metrics.ts";
import { renderPage } from "./page.ts";
import { buildSnapshot, evaluateHealth, redactSnapshot } from "./snapshot.ts";

const minutes = (m: number) => new Date(NOW.getTime() - m * 60_000);
const GRACE = 15 * 60_000;

describe("buildSnapshot", () => {
  it("lists every configured (record, family) with its provider, addresses and times", () => {
    const snapshot = buildSnapshot(fixtureContext({ failing: true }), fixtureReport({ ok: false }));
    expect(snapshot.records.map((r) => `${r.name} ${r.type}`)).toEqual([
      "home.example.com A",
      "home.example.com AAAA",
      "nas.example.com A",
    ]);
    expect(snapshot.records[0]).toEqual({
      provider: "dh",
      providerType: "dreamhost",
      name: "home.example.com",
      type: "A",
      family: "ipv4",
      published: IP_NOW,
      detected: IP_NOW,
      lastCheck: minutes(3).toISOString(),
      verifiedAt: minutes(3).toISOString(),
      lastChange: minutes(90).toISOString(),
      lastResult: "unchanged",
      lastError: null,
      consecutiveFailures: 0,
      status: "ok",
    });
    expect(snapshot.records[1]).toMatchObject({ published: IP6, detected: IP6, status: "ok" });
    expect(snapshot.records[2]).toMatchObject({
      published: IP_MID,
      detected: IP_NOW,
      lastError: FAILURE,
      consecutiveFailures: 2,
      status: "failing",
    });
  });

  it("a record never checked is pending, with nulls rather than made-up values", () => {
    const context = fixtureContext();
    context.state.records = {};
    const snapshot = buildSnapshot(context, undefined);
    expect(snapshot.records[0]).toMatchObject({
      published: null,
      lastCheck: null,
      lastChange: null,
      lastResult: null,
      status: "pending",
    });
    expect(snapshot.lastRound).toBeNull();
  });

  it("gives each detection source's latest answer, with its time from the last report", () => {
    const snapshot = buildSnapshot(fixtureContext(), fixtureReport());
    const ipv4 = snapshot.detection.find((d) => d.family === "ipv4");
    expect(ipv4).toMatchObject({ status: "known", address: IP_NOW, ms: 87 });
    expect(ipv4?.sources).toEqual([
      {
        source: "cloudflare",
        url: "https://1.1.1.1/cdn-cgi/trace",
        verdict: "agreed",
        address: IP_NOW,
        reason: null,
        ms: 41,
      },
      {
        source: "ipify",
        url: "https://api.ipify.org/",
        verdict: "agreed",
        address: IP_NOW,
        reason: null,
        ms: 87,
      },
      {
        source: "ipinfo",
        url: "https://ipinfo.io/ip",
        verdict: "failed",
        address: null,
        reason: "HTTP 502",
        ms: 33,
      },
    ]);
    // Without a report (a fresh daemon reading an old state file) the answers are still there.
    const cold = buildSnapshot(fixtureContext(), undefined);
    expect(cold.detection[0]?.sources[0]).toMatchObject({ source: "cloudflare", ms: null });
    expect(cold.detection[0]?.ms).toBeNull();
  });

  it("summarises the last round and copies the history (oldest first)", () => {
    const snapshot = buildSnapshot(fixtureContext({ failing: true }), fixtureReport({ ok: false }));
    expect(snapshot.lastRound).toEqual({
      startedAt: new Date(minutes(3).getTime() - 850).toISOString(),
      finishedAt: minutes(3).toISOString(),
      durationMs: 850,
      ok: false,
      dryRun: false,
      counts: { unchanged: 2, updated: 0, failed: 1, planned: 0 },
    });
    expect(snapshot.history).toHaveLength(6);
    expect(snapshot.history.map((entry) => entry.at)).toEqual(
      snapshot.history.map((entry) => entry.at).sort(),
    );
  });

  it("reports provider back-offs that are still in force", () => {
    const context = fixtureContext();
    context.state.providers.dh = {
      backoffUntil: new Date(NOW.getTime() + 600_000).toISOString(),
      backoffReason: "DreamHost is rate-limiting this key",
    };
    expect(buildSnapshot(context, undefined).providers).toEqual([
      {
        id: "dh",
        type: "dreamhost",
        status: "backing off",
        records: 3,
        failingRecords: 0,
        lastError: null,
        backoffUntil: new Date(NOW.getTime() + 600_000).toISOString(),
        backoffReason: "DreamHost is rate-limiting this key",
        backingOff: true,
        halted: null,
      },
    ]);
    context.state.providers.dh = { backoffUntil: minutes(1).toISOString(), backoffReason: null };
    expect(buildSnapshot(context, undefined).providers[0]?.backingOff).toBe(false);
  });

  it("reports a halted provider with its reason, never the halt's fingerprint", () => {
    const context = fixtureContext();
    context.state.providers.dh = {
      backoffUntil: null,
      backoffReason: null,
      halted: {
        fingerprint: "0123456789abcdef",
        reason: "badauth: the user name or password is wrong",
        at: minutes(30).toISOString(),
      },
    };
    const snapshot = buildSnapshot(context, undefined);
    expect(snapshot.providers[0]?.halted).toEqual({
      reason: "badauth: the user name or password is wrong",
      at: minutes(30).toISOString(),
    });
    expect(JSON.stringify(snapshot)).not.toContain("0123456789abcdef");
  });

  it("never holds a secret, and is plain JSON", () => {
    const snapshot = buildSnapshot(fixtureContext({ twoProviders: true }), fixtureReport());
    const text = JSON.stringify(snapshot);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain("api_key");
    expect(JSON.parse(text)).toEqual(snapshot);
  });

  it("a provider whose records fail is failing, with the count and the first error", () => {
    const snapshot = buildSnapshot(
      fixtureContext({ twoProviders: true }),
      fixtureReport({ twoProviders: true }),
    );
    expect(
      snapshot.providers.map(({ id, status, records, failingRecords, lastError }) => ({
        id,
        status,
        records,
        failingRecords,
        lastError,
      })),
    ).toEqual([
      { id: "dh", status: "ok", records: 3, failingRecords: 0, lastError: null },
      {
        id: "ns",
        status: "failing",
        records: 1,
        failingRecords: 1,
        lastError: `home.example.com A: ${BADSIG}`,
      },
    ]);
  });

  it("two sources on one host keep their own URL and time", () => {
    const snapshot = buildSnapshot(
      fixtureContext({ twoProviders: true }),
      fixtureReport({ twoProviders: true }),
    );
    const shared = snapshot.detection[0]?.sources.filter((s) => s.source === SOURCE_HOST);
    expect(shared?.map(({ url, verdict, ms }) => ({ url, verdict, ms }))).toEqual([
      { url: SOURCE_URLS[0], verdict: "agreed", ms: 4 },
      { url: SOURCE_URLS[1], verdict: "failed", ms: 3 },
    ]);
  });

  it("history entries carry their provider", () => {
    const snapshot = buildSnapshot(fixtureContext({ twoProviders: true }), undefined);
    const home = snapshot.history.filter((e) => e.name === "home.example.com" && e.type === "A");
    expect(new Set(home.map((e) => e.provider))).toEqual(new Set(["dh", "ns"]));
  });

  it("redactSnapshot replaces known secret values in every string", () => {
    const context = fixtureContext({ failing: true });
    const record = context.state.records["dh/nas.example.com/A"];
    if (record) record.lastError = `the server said: bad key ${API_KEY}`;
    const snapshot = redactSnapshot(buildSnapshot(context, undefined), [API_KEY, "ab"]);
    expect(JSON.stringify(snapshot)).not.toContain(API_KEY);
    expect(snapshot.records[2]?.lastError).toBe("the server said: bad key [redacted]");
  });
});

describe("evaluateHealth", () => {
  const at = (overrides: Partial<DaemonInfo>) =>
    evaluateHealth(fixtureDaemon({ startedAt: minutes(24 * 60), ...overrides }), NOW, {
      healthGraceMs: GRACE,
    });

  it.each<{ case: string; daemon: Partial<DaemonInfo>; failingSince?: string; ok: boolean; state: string }>([
    {
      case: "last round succeeded",
      daemon: { lastSuccessAt: minutes(2), lastFailureAt: minutes(60) },
      ok: true,
      state: "ok",
    },
    {
      case: "succeeded, never failed",
      daemon: { lastSuccessAt: minutes(2), lastFailureAt: undefined },
      ok: true,
      state: "ok",
    },
    {
      case: "failed 3 minutes after a success 10 minutes ago: within grace",
      daemon: { lastSuccessAt: minutes(10), lastFailureAt: minutes(3) },
      failingSince: minutes(7).toISOString(),
      ok: true,
      state: "grace",
    },
    {
      case: "failing for 20 minutes, although the last failure is fresh",
      daemon: { lastSuccessAt: minutes(25), lastFailureAt: minutes(1) },
      failingSince: minutes(20).toISOString(),
      ok: false,
      state: "failing",
    },
    {
      case: "without a streak start, the last failure counts",
      daemon: { lastSuccessAt: minutes(60), lastFailureAt: minutes(5) },
      ok: true,
      state: "grace",
    },
    {
      case: "a streak start from before the last success is ignored",
      daemon: { lastSuccessAt: minutes(60), lastFailureAt: minutes(5) },
      failingSince: minutes(120).toISOString(),
      ok: true,
      state: "grace",
    },
    {
      case: "never succeeded, failing for longer than the grace",
      daemon: { lastSuccessAt: undefined, lastFailureAt: minutes(1) },
      failingSince: minutes(30).toISOString(),
      ok: false,
      state: "failing",
    },
    {
      case: "just started, no round finished",
      daemon: { startedAt: minutes(2), lastSuccessAt: undefined, lastFailureAt: undefined },
      ok: true,
      state: "starting",
    },
    {
      case: "started long ago and no round ever finished",
      daemon: { startedAt: minutes(40), lastSuccessAt: undefined, lastFailureAt: undefined },
      ok: false,
      state: "failing",
    },
  ])("$case", ({ daemon, failingSince, ok, state }) => {
    const health = evaluateHealth(fixtureDaemon({ startedAt: minutes(24 * 60), ...daemon }), NOW, {
      healthGraceMs: GRACE,
      failingSince,
    });
    expect({ ok: health.ok, state: health.state }).toEqual({ ok, state });
    expect(health.graceSeconds).toBe(900);
  });

  it("says why, naming the failure and the grace period", () => {
    const health = at({
      lastSuccessAt: minutes(25),
      lastFailureAt: minutes(3),
      lastFailure: "nas A: HTTP 503",
    });
    expect(health.reason).toBe(
      "the last round failed (nas A: HTTP 503); failing for 3m, within the 15m grace period",
    );
    const streak = evaluateHealth(
      fixtureDaemon({
        lastSuccessAt: minutes(25),
        lastFailureAt: minutes(1),
        lastFailure: "nas A: HTTP 503",
      }),
      NOW,
      { healthGraceMs: GRACE, failingSince: minutes(20).toISOString() },
    );
    expect(streak).toEqual({
      ok: false,
      state: "failing",
      reason: "failing for 20m, longer than the 15m grace period: nas A: HTTP 503",
      failingSince: minutes(20).toISOString(),
      graceSeconds: 900,
    });
  });
});

describe("a damaged state file reaches the status page, the metrics and homing status (property)", () => {
  type Edit = { path: (string | number)[]; value: unknown };
  const step = fc.oneof(
    fc.constantFrom(
      "records",
      "providers",
      "detection",
      "history",
      "ipv4",
      "ipv6",
      "sources",
      "source",
      "verdict",
    ),
    fc.constantFrom(
      "status",
      "at",
      "address",
      "lastResult",
      "published",
      "failures",
      "halted",
      "backoffUntil",
    ),
    fc.constantFrom("__proto__", "constructor", "toString", "dh/home.example.com/A", "dh"),
    fc.nat(2),
  );
  const edit: fc.Arbitrary<Edit> = fc.record({
    path: fc.array(step, { minLength: 1, maxLength: 4 }),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, "constructor", "9999-99-99", -1, 1e308),
    ),
  });

  function apply(root: Record<string | number, unknown>, { path, value }: Edit): void {
    let node = root;
    for (const key of path.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (typeof next !== "object" || next === null) return;
      node = next as Record<string | number, unknown>;
    }
    Object.defineProperty(node, path[path.length - 1] as string | number, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }

  it("never throws on 2,000 damaged state files", () => {
    const context = fixtureContext({ history: true, failing: true });
    const text = JSON.stringify(context.state);
    const keys = context.config.records.map((r) => `${r.provider}/${r.name}/A`);
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const raw = JSON.parse(text) as Record<string, unknown>;
        for (const e of edits) apply(raw, e);
        const { state } = parseState(JSON.stringify(raw));
        const snapshot = buildSnapshot({ ...context, state }, fixtureReport({ ok: false }));
        renderPage(snapshot, { refreshSeconds: 60 });
        renderMetrics(snapshot, new MetricsObserver().counters());
        statusText(state, keys, NOW);
      }),
      {
        numRuns: 2000,
        examples: [
          [[{ path: ["detection", "ipv4", "sources", 0], value: null }]],
          [[{ path: ["detection", "ipv4", "sources"], value: [1, "x"] }]],
          [[{ path: ["providers", "dh", "halted"], value: { reason: 1 } }]],
          [[{ path: ["detection", "ipv4", "address"], value: {} }]],
          [[{ path: ["detection", "ipv4", "sources", 0, "url"], value: [] }]],
          [[{ path: ["history", 0, "name"], value: 7 }]],
        ],
      },
    );
  }, 30_000);
});
