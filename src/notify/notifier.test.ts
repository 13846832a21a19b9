import { describe, expect, it } from "vitest";
import type { Config } from "../config/schema.ts";
import { emptyState, type RecordState, recordKey, type State } from "../core/state.ts";
import type { RoundContext } from "../engine/observer.ts";
import type { OutcomeStatus, RecordOutcome, RoundReport } from "../engine/round.ts";
import { HttpRequestError } from "../http/request.ts";
import { memoryLogger } from "../platform/log.ts";
import type { NotifyMessage } from "./messages.ts";
import { Notifier } from "./notifier.ts";
import { backoffDelay, NotifySendError, withRetries } from "./retry.ts";
import type { SendFunction } from "./senders.ts";
import { parseNotifyUrl } from "./urls.ts";

const NAME = "home.example.com";
const KEY = recordKey("dh", NAME, "A");

/** Applies a round's outcome to the state the way the engine does (failures count up, reset on success). */
function round(state: State, status: OutcomeStatus, extra: Partial<RecordOutcome> = {}): RoundReport {
  const outcome: RecordOutcome = { provider: "dh", name: NAME, type: "A", status, warnings: [], ...extra };
  const previous = state.records[KEY];
  const next: RecordState = {
    provider: "dh",
    name: NAME,
    type: "A",
    published: outcome.address ?? previous?.published ?? null,
    verifiedAt: null,
    changedAt: null,
    lastRunAt: "2026-01-01T00:00:00Z",
    lastResult: status,
    lastError: status === "failed" ? (outcome.reason ?? "failed") : null,
    failures: status === "failed" ? (previous?.failures ?? 0) + 1 : 0,
  };
  state.records[KEY] = next;
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
    dryRun: false,
    detection: [],
    records: [outcome],
    ok: status !== "failed",
  };
}

function context(state: State): RoundContext {
  return {
    config: {
      records: [{ name: NAME, provider: "dh", ipv4: true, ipv6: true }],
      daemon: { interval: "5m" },
    } as unknown as Config,
    state,
    daemon: {
      version: "0.1.0",
      startedAt: new Date("2026-01-01T00:00:00Z"),
      nextRoundAt: undefined,
      roundRunning: false,
      roundsOk: 7,
      roundsFailed: 2,
      lastSuccessAt: undefined,
      lastFailureAt: undefined,
      lastFailure: undefined,
    },
    now: new Date("2026-01-01T01:30:00Z"),
  };
}

function setup(options: { threshold?: number; startStop?: boolean; send?: SendFunction } = {}) {
  const sent: NotifyMessage[] = [];
  const logger = memoryLogger();
  const notifier = new Notifier({
    targets: [parseNotifyUrl("ntfy://ntfy.sh/topic-of-the-test")],
    failureThreshold: options.threshold ?? 3,
    startStop: options.startStop ?? false,
    timeoutMs: 1000,
    logger,
    sleep: async () => {},
    hostname: "pi",
    send:
      options.send ??
      (async (_target, message) => {
        sent.push(message);
      }),
  });
  const state = emptyState();
  /** One whole round: roundStarted, the engine's state update, roundFinished. */
  const run = async (status: OutcomeStatus, extra: Partial<RecordOutcome> = {}) => {
    notifier.roundStarted(context(state));
    await notifier.roundFinished(round(state, status, extra), context(state));
  };
  return { notifier, sent, logger, state, run };
}

describe("Notifier: when it tells", () => {
  it("tells about a published change, not about an unchanged record", async () => {
    const { sent, run } = setup();
    await run("unchanged", { address: "81.2.69.142" });
    await run("updated", { address: "81.2.69.160", previous: "81.2.69.142" });
    expect(sent.map((m) => m.body)).toEqual(["home.example.com A: 81.2.69.142 → 81.2.69.160 (dh)"]);
  });

  it("tells once when the failures reach the threshold, and again on recovery", async () => {
    const { sent, run } = setup({ threshold: 3 });
    await run("failed", { reason: "connection refused" });
    await run("failed", { reason: "connection refused" });
    expect(sent).toEqual([]);
    await run("failed", { reason: "connection refused" });
    await run("failed", { reason: "connection refused" });
    await run("failed", { reason: "connection refused" });
    await run("unchanged", { address: "81.2.69.142" });
    await run("unchanged", { address: "81.2.69.142" });
    expect(sent.map((m) => m.title)).toEqual([
      "homing: home.example.com A is failing",
      "homing: home.example.com A recovered",
    ]);
    expect(sent[0]?.body).toMatch(
      /^home\.example\.com A has failed 3 rounds in a row: connection refused\. /,
    );
    expect(sent[1]?.body).toBe("home.example.com A works again after 5 failed rounds: 81.2.69.142 (dh)");
  });

  it("does not tell about failures below the threshold, nor their end", async () => {
    const { sent, run } = setup({ threshold: 3 });
    await run("failed", { reason: "x" });
    await run("failed", { reason: "x" });
    await run("unchanged", { address: "81.2.69.142" });
    expect(sent).toEqual([]);
  });

  it("merges recovery and change into one line", async () => {
    const { sent, run } = setup({ threshold: 1 });
    await run("failed", { reason: "x" });
    await run("updated", { address: "81.2.69.160", previous: "81.2.69.142" });
    expect(sent[1]?.body).toBe(
      "home.example.com A works again after 1 failed round: 81.2.69.142 → 81.2.69.160 (dh)",
    );
  });

  it("after a restart, does not repeat a failure the state already had past the threshold, but tells its recovery", async () => {
    const { notifier, sent, state, run } = setup({ threshold: 3 });
    for (let i = 0; i < 4; i++) round(state, "failed", { reason: "x" });
    await notifier.daemonStarted(context(state));
    await run("failed", { reason: "x" });
    expect(sent).toEqual([]);
    await run("updated", { address: "81.2.69.160", previous: "81.2.69.142" });
    expect(sent.map((m) => m.body)).toEqual([
      "home.example.com A works again after 5 failed rounds: 81.2.69.142 → 81.2.69.160 (dh)",
    ]);
  });

  it("works without roundStarted: counts from the state the round updated", async () => {
    const { notifier, sent, state } = setup({ threshold: 2 });
    for (let i = 0; i < 3; i++)
      await notifier.roundFinished(round(state, "failed", { reason: "x" }), context(state));
    expect(sent.map((m) => m.title)).toEqual(["homing: home.example.com A is failing"]);
  });

  it("ignores dry runs", async () => {
    const { notifier, sent, state } = setup();
    const report = {
      ...round(state, "planned", { address: "81.2.69.160", previous: "81.2.69.142" }),
      dryRun: true,
    };
    await notifier.roundFinished(report, context(state));
    expect(sent).toEqual([]);
  });

  it("tells start and stop only when start_stop is on", async () => {
    const off = setup();
    await off.notifier.daemonStarted(context(off.state));
    await off.notifier.daemonStopping(context(off.state));
    expect(off.sent).toEqual([]);

    const on = setup({ startStop: true });
    await on.notifier.daemonStarted(context(on.state));
    await on.notifier.daemonStopping(context(on.state));
    expect(on.sent.map((m) => m.body)).toEqual([
      "homing 0.1.0 started on pi: keeping home.example.com A, home.example.com AAAA up to date, every 5m.",
      "homing stopped on pi after 90m (9 rounds, 7 ok, 2 failed). DNS records are not kept up to date until it runs again.",
    ]);
  });
});

describe("Notifier: delivery", () => {
  it("retries a retryable failure twice, then logs it with the target's label and gives up", async () => {
    let calls = 0;
    const { notifier, logger } = setup({
      send: async () => {
        calls++;
        throw new HttpRequestError("network", "https://ntfy.sh: connection refused");
      },
    });
    const deliveries = await notifier.notify({ title: "t", body: "b", severity: "info" });
    expect(calls).toBe(3);
    expect(deliveries).toEqual([
      { label: "ntfy://ntfy.sh", ok: false, attempts: 3, error: "https://ntfy.sh: connection refused" },
    ]);
    expect(logger.lines).toContain(
      "warning: notification to ntfy://ntfy.sh failed after 3 attempts: https://ntfy.sh: connection refused",
    );
  });

  it("does not retry a refusal that another try cannot fix", async () => {
    let calls = 0;
    const { notifier } = setup({
      send: async () => {
        calls++;
        throw new NotifySendError("HTTP 401: unauthorized", { retryable: false });
      },
    });
    const [delivery] = await notifier.notify({ title: "t", body: "b", severity: "info" });
    expect(calls).toBe(1);
    expect(delivery).toMatchObject({ ok: false, attempts: 1 });
  });

  it("never throws from an observer method, whatever the sender does", async () => {
    const { notifier, state } = setup({
      threshold: 1,
      send: () => {
        throw new Error("synchronous bug");
      },
    });
    await expect(
      notifier.roundFinished(round(state, "failed", { reason: "x" }), context(state)),
    ).resolves.toBe(undefined);
  });
});

describe("retry policy", () => {
  it("backs off about 1 s, then 2 s, with ±50 % jitter", () => {
    expect(backoffDelay(1, 1000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, () => 0.999)).toBe(1499);
    expect(backoffDelay(2, 1000, () => 0.5)).toBe(2000);
  });

  it("sleeps between attempts and stops at the first success", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new NotifySendError("HTTP 503", { retryable: true });
      },
      { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    expect(result).toEqual({ ok: true, attempts: 3 });
    expect(sleeps).toEqual([1000, 2000]);
  });
});
