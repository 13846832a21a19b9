import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Config } from "../config/schema.ts";
import { emptyState } from "../core/state.ts";
import { ProviderError } from "../errors.ts";
import { memoryLogger } from "../platform/log.ts";
import { methodOf } from "../providers/capabilities.ts";
import type { DnsProvider } from "../providers/provider.ts";
import { Daemon, type DaemonRuntime, type SignalSource } from "./daemon.ts";

const config = {
  recheck: "1h",
  timeout: "2m",
  daemon: { interval: "5m", jitter: "0s", max_backoff: "10m", shutdown_timeout: "10s" },
  records: [{ name: "home.example.com", provider: "dh", ipv4: true, ipv6: false }],
} as unknown as Config;

function failingProvider(calls: number[], start: number): DnsProvider {
  return {
    id: "dh",
    label: "Fake",
    capabilities: { list: true, change: "add-remove" },
    foreignRowHint: "",
    async list() {
      calls.push((Date.now() - start) / 1000);
      throw new ProviderError("the fake provider is down", { kind: "transient", provider: "dh" });
    },
    add: async () => ({ confirmed: true }),
    remove: async () => {},
    verifyAccess: async () => "ok",
  };
}

function runtime(provider: DnsProvider, detections: number[], start: number): DaemonRuntime {
  return {
    config,
    schedule: { kind: "every", ms: 300_000 },
    provider: async () => provider,
    detect: async (family) => {
      detections.push((Date.now() - start) / 1000);
      return { family, status: "known", address: "81.2.69.142", sources: [] };
    },
    observers: [],
  };
}

describe("Daemon back-off", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-20T10:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("retries a failing provider after 30 s, then doubling, capped, while detection keeps its schedule", async () => {
    const start = Date.now();
    const providerCalls: number[] = [];
    const detections: number[] = [];
    const signals = new EventEmitter() as unknown as SignalSource & EventEmitter;
    const logger = memoryLogger("info");
    const daemon = new Daemon({
      version: "test",
      state: emptyState(),
      saveState: () => {},
      logger,
      initial: runtime(failingProvider(providerCalls, start), detections, start),
      reload: async () => {
        throw new Error("not used");
      },
      signals,
    });
    const done = daemon.run();
    await vi.advanceTimersByTimeAsync(31 * 60_000);
    daemon.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await done;

    // 0, +30 s, +60 s, +120 s, +240 s, +480 s, then capped at max_backoff (10 min).
    expect(providerCalls.slice(0, 8)).toEqual([0, 30, 90, 210, 450, 930, 1530]);
    expect(logger.lines.join("\n")).toMatch(/provider dh failed \d+ round\(s\) in a row, next try in/);
    expect(daemon.context().daemon.roundsFailed).toBeGreaterThan(0);
  });

  it("a provider that recovers goes back to the normal schedule", async () => {
    const start = Date.now();
    const providerCalls: number[] = [];
    let failing = true;
    const provider = failingProvider(providerCalls, start);
    const original = methodOf(provider, "list");
    provider.list = async (names, options) => {
      if (failing) return original(names, options);
      providerCalls.push((Date.now() - start) / 1000);
      return [{ name: "home.example.com", type: "A", value: "81.2.69.142", owned: true }];
    };
    const signals = new EventEmitter() as unknown as SignalSource & EventEmitter;
    const daemon = new Daemon({
      version: "test",
      state: emptyState(),
      saveState: () => {},
      logger: memoryLogger("info"),
      initial: runtime(provider, [], start),
      reload: async () => {
        throw new Error("not used");
      },
      signals,
    });
    const done = daemon.run();
    await vi.advanceTimersByTimeAsync(10_000);
    failing = false;
    await vi.advanceTimersByTimeAsync(12 * 60_000);
    daemon.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    // Failed at 0, recovered at the 30 s retry, then cached: no further provider call for an hour.
    expect(providerCalls).toEqual([0, 30]);
    expect(daemon.context().daemon.roundsOk).toBeGreaterThanOrEqual(2);
  });
});

describe("Daemon log lines", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-20T10:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a change that took away a hand-added address names it, with a warning that says why", async () => {
    // One A set holding an old address and one added by hand; replace() swaps the whole set.
    const provider: DnsProvider = {
      id: "dh",
      label: "Fake",
      capabilities: { list: true, change: "rrset" },
      foreignRowHint: "",
      ownership: "homing owns the whole A set at this name",
      list: async () => [
        { name: "home.example.com", type: "A", value: "81.2.69.1", owned: true },
        { name: "home.example.com", type: "A", value: "192.0.2.7", owned: true },
      ],
      replace: async () => ({ removed: ["81.2.69.1", "192.0.2.7"] }),
      add: async () => ({ confirmed: true }),
      remove: async () => {},
      verifyAccess: async () => "ok",
    };
    const logger = memoryLogger("info");
    const daemon = new Daemon({
      version: "test",
      state: emptyState(),
      saveState: () => {},
      logger,
      initial: runtime(provider, [], Date.now()),
      reload: async () => {
        throw new Error("not used");
      },
      signals: new EventEmitter() as unknown as SignalSource & EventEmitter,
    });
    const done = daemon.run();
    await vi.advanceTimersByTimeAsync(1000);
    daemon.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    const lines = logger.lines.join("\n");
    expect(lines).toContain("home.example.com A 81.2.69.1 -> 81.2.69.142 (dh); also removed 192.0.2.7");
    expect(lines).toContain(
      "warning: home.example.com A (dh): also removed 192.0.2.7, which homing had not published (homing owns the whole A set at this name)",
    );
  });
});
