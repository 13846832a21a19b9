/**
 * A daemon's-eye view for the status server's tests: a config with two records on one DreamHost
 * account, a state with detection answers and a few days of address changes, and the last round's
 * report. Everything is fixed in time (NOW), so rendered output is stable.
 */
import * as v from "valibot";
import { type Config, ConfigSchema } from "../../src/config/schema.ts";
import { emptyState, type State } from "../../src/core/state.ts";
import type { DaemonInfo, RoundContext } from "../../src/engine/observer.ts";
import type { RoundReport } from "../../src/engine/round.ts";

export const NOW = new Date("2025-05-20T12:00:00.000Z");
export const API_KEY = "CANARYKEY0123456";
export const IP_OLD = "81.2.69.142";
export const IP_MID = "81.2.69.160";
export const IP_NOW = "81.2.69.170";
export const IP6 = "2a00:1450:4001:81b::200e";

export const FAILURE = "DreamHost answered HTTP 503; trying again next round";

const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

export function fixtureConfig(): Config {
  return v.parse(ConfigSchema, {
    providers: { dh: { type: "dreamhost", api_key: API_KEY } },
    records: [
      { name: "home.example.com", provider: "dh", ipv4: true, ipv6: true },
      { name: "nas.example.com", provider: "dh" },
    ],
  });
}

export function fixtureState(
  options: { history?: boolean | undefined; failing?: boolean | undefined } = {},
): State {
  const state = emptyState();
  const record = (name: string, type: "A" | "AAAA", published: string, changedAt: string | null) => ({
    provider: "dh",
    name,
    type,
    published,
    verifiedAt: minutesAgo(3),
    changedAt,
    lastRunAt: minutesAgo(3),
    lastResult: "unchanged" as const,
    lastError: null,
    failures: 0,
  });
  state.records["dh/home.example.com/A"] = record("home.example.com", "A", IP_NOW, minutesAgo(90));
  state.records["dh/home.example.com/AAAA"] = record("home.example.com", "AAAA", IP6, minutesAgo(4 * 1440));
  state.records["dh/nas.example.com/A"] = options.failing
    ? {
        ...record("nas.example.com", "A", IP_MID, minutesAgo(2 * 1440)),
        lastResult: "failed",
        lastError: FAILURE,
        failures: 2,
      }
    : record("nas.example.com", "A", IP_NOW, minutesAgo(90));
  state.detection.ipv4 = {
    at: minutesAgo(3),
    status: "known",
    address: IP_NOW,
    sources: [
      { source: "cloudflare", verdict: "agreed", address: IP_NOW },
      { source: "ipify", verdict: "agreed", address: IP_NOW },
      { source: "ipinfo", verdict: "failed", reason: "HTTP 502" },
    ],
  };
  state.detection.ipv6 = {
    at: minutesAgo(3),
    status: "known",
    address: IP6,
    sources: [
      { source: "cloudflare", verdict: "agreed", address: IP6 },
      { source: "ipify", verdict: "agreed", address: IP6 },
      { source: "ipinfo", verdict: "not needed" },
    ],
  };
  if (options.history !== false) {
    state.history = [
      {
        at: minutesAgo(5 * 1440),
        provider: "dh",
        name: "home.example.com",
        type: "A",
        from: null,
        to: IP_OLD,
      },
      {
        at: minutesAgo(5 * 1440),
        provider: "dh",
        name: "nas.example.com",
        type: "A",
        from: null,
        to: IP_OLD,
      },
      {
        at: minutesAgo(4 * 1440),
        provider: "dh",
        name: "home.example.com",
        type: "AAAA",
        from: null,
        to: IP6,
      },
      {
        at: minutesAgo(2 * 1440),
        provider: "dh",
        name: "home.example.com",
        type: "A",
        from: IP_OLD,
        to: IP_MID,
      },
      {
        at: minutesAgo(2 * 1440),
        provider: "dh",
        name: "nas.example.com",
        type: "A",
        from: IP_OLD,
        to: IP_MID,
      },
      { at: minutesAgo(90), provider: "dh", name: "home.example.com", type: "A", from: IP_MID, to: IP_NOW },
    ];
    if (!options.failing) {
      state.history.push({
        at: minutesAgo(90),
        provider: "dh",
        name: "nas.example.com",
        type: "A",
        from: IP_MID,
        to: IP_NOW,
      });
    }
  }
  return state;
}

export function fixtureDaemon(overrides: Partial<DaemonInfo> = {}): DaemonInfo {
  return {
    version: "0.1.0",
    startedAt: new Date(NOW.getTime() - 6 * 86_400_000),
    nextRoundAt: new Date(NOW.getTime() + 2 * 60_000),
    roundRunning: false,
    roundsOk: 1700,
    roundsFailed: 3,
    lastSuccessAt: new Date(NOW.getTime() - 3 * 60_000),
    lastFailureAt: new Date(NOW.getTime() - 2 * 86_400_000),
    lastFailure: `nas.example.com A: ${FAILURE}`,
    ...overrides,
  };
}

/** `failing`: nas.example.com failed its last two rounds (the last one 3 minutes ago). */
export function fixtureContext(
  options: {
    history?: boolean | undefined;
    failing?: boolean | undefined;
    daemon?: Partial<DaemonInfo> | undefined;
    now?: Date | undefined;
  } = {},
): RoundContext {
  const failing: Partial<DaemonInfo> = options.failing
    ? {
        lastSuccessAt: new Date(NOW.getTime() - 13 * 60_000),
        lastFailureAt: new Date(NOW.getTime() - 3 * 60_000),
      }
    : {};
  return {
    config: fixtureConfig(),
    state: fixtureState(options),
    daemon: fixtureDaemon({ ...failing, ...options.daemon }),
    now: options.now ?? NOW,
  };
}

export function fixtureReport(options: { ok?: boolean | undefined } = {}): RoundReport {
  const ok = options.ok ?? true;
  return {
    startedAt: new Date(NOW.getTime() - 3 * 60_000 - 850).toISOString(),
    finishedAt: minutesAgo(3),
    dryRun: false,
    detection: [
      {
        family: "ipv4",
        status: "known",
        address: IP_NOW,
        sources: [
          {
            source: "cloudflare",
            url: "https://cloudflare.com/cdn-cgi/trace",
            verdict: "agreed",
            address: IP_NOW,
            ms: 41,
          },
          { source: "ipify", url: "https://api.ipify.org/", verdict: "agreed", address: IP_NOW, ms: 87 },
          { source: "ipinfo", url: "https://ipinfo.io/ip", verdict: "failed", reason: "HTTP 502", ms: 33 },
        ],
      },
      {
        family: "ipv6",
        status: "known",
        address: IP6,
        sources: [
          {
            source: "cloudflare",
            url: "https://cloudflare.com/cdn-cgi/trace",
            verdict: "agreed",
            address: IP6,
            ms: 52,
          },
          { source: "ipify", url: "https://api64.ipify.org/", verdict: "agreed", address: IP6, ms: 120 },
          { source: "ipinfo", url: "https://v6.ipinfo.io/ip", verdict: "not needed" },
        ],
      },
    ],
    records: [
      {
        provider: "dh",
        name: "home.example.com",
        type: "A",
        status: "unchanged",
        address: IP_NOW,
        cached: true,
        warnings: [],
      },
      {
        provider: "dh",
        name: "home.example.com",
        type: "AAAA",
        status: "unchanged",
        address: IP6,
        cached: true,
        warnings: [],
      },
      ok
        ? {
            provider: "dh",
            name: "nas.example.com",
            type: "A",
            status: "unchanged",
            address: IP_NOW,
            cached: true,
            warnings: [],
          }
        : {
            provider: "dh",
            name: "nas.example.com",
            type: "A",
            status: "failed",
            reason: FAILURE,
            warnings: [],
          },
    ],
    ok,
  };
}
