/**
 * A daemon's-eye view for the status server's tests: a config with two records on one DreamHost
 * account, a state with detection answers and a few days of address changes, and the last round's
 * report. Everything is fixed in time (NOW), so rendered output is stable.
 *
 * `twoProviders` adds what a busier setup shows: home.example.com also at an RFC 2136 server "ns",
 * whose every record fails BADSIG, with history of its own, and two URL sources on one host.
 */
import * as v from "valibot";
import { type Config, configSchema } from "../../src/config/schema.ts";
import { emptyState, type State } from "../../src/core/state.ts";
import type { DaemonInfo, RoundContext } from "../../src/engine/observer.ts";
import type { RoundReport } from "../../src/engine/round.ts";
import { PROVIDER_SCHEMAS } from "../../src/providers/schemas.ts";

export const NOW = new Date("2025-05-20T12:00:00.000Z");
export const API_KEY = "CANARYKEY0123456";
export const IP_OLD = "81.2.69.142";
export const IP_MID = "81.2.69.160";
export const IP_NOW = "81.2.69.170";
export const IP6 = "2a00:1450:4001:81b::200e";

export const FAILURE = "DreamHost answered HTTP 503; trying again next round";
export const BADSIG =
  "127.0.0.1:5353 refused the UPDATE of home.example.com A: BADSIG (the server could not verify the TSIG signature); check key_secret";
/** Two detection sources on one host, told apart only by their path; the query value is redacted. */
export const SOURCE_HOST = "127.0.0.1:38080";
export const SOURCE_URLS = [
  `http://${SOURCE_HOST}/ip`,
  `http://${SOURCE_HOST}/v4/echo?key=[redacted]`,
] as const;

export interface FixtureOptions {
  history?: boolean | undefined;
  failing?: boolean | undefined;
  twoProviders?: boolean | undefined;
}

const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

export function fixtureConfig(options: FixtureOptions = {}): Config {
  return v.parse(configSchema(PROVIDER_SCHEMAS), {
    providers: {
      dh: { type: "dreamhost", api_key: API_KEY },
      ...(options.twoProviders
        ? { ns: { type: "rfc2136", server: "127.0.0.1:5353", key_name: "homing", key_secret: API_KEY } }
        : {}),
    },
    records: [
      { name: "home.example.com", provider: "dh", ipv4: true, ipv6: true },
      { name: "nas.example.com", provider: "dh" },
      ...(options.twoProviders ? [{ name: "home.example.com", provider: "ns" }] : []),
    ],
  });
}

export function fixtureState(options: FixtureOptions = {}): State {
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
      {
        source: "cloudflare",
        kind: "http",
        url: "https://1.1.1.1/cdn-cgi/trace",
        verdict: "agreed",
        address: IP_NOW,
      },
      { source: "ipify", kind: "http", url: "https://api.ipify.org/", verdict: "agreed", address: IP_NOW },
      { source: "ipinfo", kind: "http", url: "https://ipinfo.io/ip", verdict: "failed", reason: "HTTP 502" },
      ...(options.twoProviders
        ? [
            { source: SOURCE_HOST, kind: "http", url: SOURCE_URLS[0], verdict: "agreed", address: IP_NOW },
            { source: SOURCE_HOST, kind: "http", url: SOURCE_URLS[1], verdict: "failed", reason: "HTTP 404" },
          ]
        : []),
    ],
  };
  state.detection.ipv6 = {
    at: minutesAgo(3),
    status: "known",
    address: IP6,
    sources: [
      {
        source: "cloudflare",
        kind: "http",
        url: "https://[2606:4700:4700::1111]/cdn-cgi/trace",
        verdict: "agreed",
        address: IP6,
      },
      { source: "ipify", kind: "http", url: "https://api6.ipify.org/", verdict: "agreed", address: IP6 },
      { source: "ipinfo", kind: "http", url: "https://v6.ipinfo.io/ip", verdict: "not needed" },
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
    if (options.twoProviders) {
      state.history.push(
        {
          at: minutesAgo(5 * 1440 - 30),
          provider: "ns",
          name: "home.example.com",
          type: "A",
          from: null,
          to: IP_OLD,
        },
        {
          at: minutesAgo(2 * 1440 - 30),
          provider: "ns",
          name: "home.example.com",
          type: "A",
          from: IP_OLD,
          to: IP_MID,
        },
      );
      state.history.sort((a, b) => a.at.localeCompare(b.at));
    }
  }
  if (options.twoProviders) {
    state.records["ns/home.example.com/A"] = {
      ...record("home.example.com", "A", IP_MID, minutesAgo(2 * 1440 - 30)),
      provider: "ns",
      lastResult: "failed",
      lastError: BADSIG,
      failures: 4,
    };
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
  options: FixtureOptions & { daemon?: Partial<DaemonInfo> | undefined; now?: Date | undefined } = {},
): RoundContext {
  const failing: Partial<DaemonInfo> =
    options.failing || options.twoProviders
      ? {
          lastSuccessAt: new Date(NOW.getTime() - 13 * 60_000),
          lastFailureAt: new Date(NOW.getTime() - 3 * 60_000),
          ...(options.twoProviders ? { lastFailure: `home.example.com A: ${BADSIG}` } : {}),
        }
      : {};
  return {
    config: fixtureConfig(options),
    state: fixtureState(options),
    daemon: fixtureDaemon({ ...failing, ...options.daemon }),
    now: options.now ?? NOW,
  };
}

export function fixtureReport(
  options: { ok?: boolean | undefined; twoProviders?: boolean | undefined } = {},
): RoundReport {
  const ok = (options.ok ?? true) && !options.twoProviders;
  const report: RoundReport = {
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
            kind: "http",
            url: "https://1.1.1.1/cdn-cgi/trace",
            verdict: "agreed",
            address: IP_NOW,
            ms: 41,
          },
          {
            source: "ipify",
            kind: "http",
            url: "https://api.ipify.org/",
            verdict: "agreed",
            address: IP_NOW,
            ms: 87,
          },
          {
            source: "ipinfo",
            kind: "http",
            url: "https://ipinfo.io/ip",
            verdict: "failed",
            reason: "HTTP 502",
            ms: 33,
          },
        ],
      },
      {
        family: "ipv6",
        status: "known",
        address: IP6,
        sources: [
          {
            source: "cloudflare",
            kind: "http",
            url: "https://[2606:4700:4700::1111]/cdn-cgi/trace",
            verdict: "agreed",
            address: IP6,
            ms: 52,
          },
          {
            source: "ipify",
            kind: "http",
            url: "https://api6.ipify.org/",
            verdict: "agreed",
            address: IP6,
            ms: 120,
          },
          { source: "ipinfo", kind: "http", url: "https://v6.ipinfo.io/ip", verdict: "not needed" },
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
  if (options.twoProviders) {
    report.detection[0]?.sources.push(
      { source: SOURCE_HOST, kind: "http", url: SOURCE_URLS[0], verdict: "agreed", address: IP_NOW, ms: 4 },
      {
        source: SOURCE_HOST,
        kind: "http",
        url: SOURCE_URLS[1],
        verdict: "failed",
        reason: "HTTP 404",
        ms: 3,
      },
    );
    report.records.push({
      provider: "ns",
      name: "home.example.com",
      type: "A",
      status: "failed",
      reason: BADSIG,
      warnings: [],
    });
  }
  return report;
}
