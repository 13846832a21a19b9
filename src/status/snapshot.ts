import { redactDeep } from "../core/secret.ts";
import type { HistoryEntry } from "../core/state.ts";
import { expandTargets } from "../core/targets.ts";
import type { RoundContext } from "../engine/observer.ts";
import type { OutcomeStatus, RoundReport } from "../engine/round.ts";

export type RecordHealth = "ok" | "failing" | "pending" | "planned";

export interface RecordStatus {
  provider: string;
  /** The provider's `type` ("dreamhost"); null when the provider table is gone from the config. */
  providerType: string | null;
  name: string;
  type: "A" | "AAAA";
  family: "ipv4" | "ipv6";
  /** What homing last saw or made correct at the provider. */
  published: string | null;
  /** The public address detection last settled on for this family. */
  detected: string | null;
  /** When the record was last looked at (a round that included it). */
  lastCheck: string | null;
  /** When the provider last confirmed `published`. */
  verifiedAt: string | null;
  lastChange: string | null;
  lastResult: OutcomeStatus | null;
  lastError: string | null;
  consecutiveFailures: number;
  status: RecordHealth;
}

export interface SourceStatus {
  source: string;
  /** Scheme, host, port and path; query values redacted. Null for state files older than this field. */
  url: string | null;
  verdict: string;
  address: string | null;
  reason: string | null;
  /** How long the source took in the last round, when it answered. */
  ms: number | null;
}

export interface DetectionStatus {
  family: "ipv4" | "ipv6";
  status: "known" | "unavailable";
  address: string | null;
  reason: string | null;
  at: string;
  /** The family's detection time in the last round: the slowest source that was waited for. */
  ms: number | null;
  sources: SourceStatus[];
}

/** halted > backing off > failing (a record of it failed its last check) > ok. */
export type ProviderHealth = "ok" | "failing" | "backing off" | "halted";

export interface ProviderStatus {
  id: string;
  type: string;
  status: ProviderHealth;
  /** Its configured (record, family) pairs, and how many of them failed their last check. */
  records: number;
  failingRecords: number;
  /** The first failing record's error, as "name TYPE: error". */
  lastError: string | null;
  backoffUntil: string | null;
  backoffReason: string | null;
  /** The back-off is still in force at `generatedAt`. */
  backingOff: boolean;
  /** The service refused in a way only the user can fix; nothing is sent until its config changes. */
  halted: { reason: string; at: string } | null;
}

export interface LastRoundStatus {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  dryRun: boolean;
  counts: Record<OutcomeStatus, number>;
}

export type HealthState = "ok" | "starting" | "grace" | "failing";

export interface HealthStatus {
  ok: boolean;
  state: HealthState;
  reason: string;
  /** The first failed round since the last successful one. */
  failingSince: string | null;
  graceSeconds: number;
}

export interface DaemonStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  nextRoundAt: string | null;
  roundRunning: boolean;
  roundsOk: number;
  roundsFailed: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailure: string | null;
  /** "every 5m" or the cron expression. */
  schedule: string;
}

/** The last push of one router-bridge client (issue 12); never a secret. */
export interface BridgePushStatus {
  user: string;
  at: string;
  /** The address the request came from. */
  source: string;
  /** The addresses it pushed (empty when refused). */
  addresses: string[];
  /** The dyndns2 reply lines it got, one per host. */
  replies: string[];
}

export interface StatusSnapshot {
  generatedAt: string;
  daemon: DaemonStatus;
  health: HealthStatus;
  lastRound: LastRoundStatus | null;
  records: RecordStatus[];
  detection: DetectionStatus[];
  providers: ProviderStatus[];
  /** Address changes, oldest first (the state file keeps the last 200). */
  history: HistoryEntry[];
  /** The router bridge's last push per client; absent when the bridge is off. */
  bridge?: BridgePushStatus[];
}

export interface SnapshotOptions {
  /** /healthz stays 200 while the current run of failures is younger than this. Default 15 minutes. */
  healthGraceMs?: number;
  /** When the current run of failed rounds began (MetricsObserver tracks it); else the last failure. */
  failingSince?: string | undefined;
  /** The router bridge's last push per client, when the bridge is on. */
  pushes?: BridgePushStatus[] | undefined;
}

const DEFAULT_GRACE_MS = 15 * 60_000;

const iso = (date: Date | undefined): string | null => (date ? date.toISOString() : null);

function spanText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.round(hours / 24)}d`;
}

/**
 * /healthz semantics. Healthy when the last round succeeded, or when the rounds have been failing for
 * less than the grace period (a provider hiccup must not page anyone). Before the first round ends,
 * healthy for one grace period after start.
 */
export function evaluateHealth(
  daemon: RoundContext["daemon"],
  now: Date,
  options: SnapshotOptions = {},
): HealthStatus {
  const graceMs = options.healthGraceMs ?? DEFAULT_GRACE_MS;
  const graceSeconds = Math.round(graceMs / 1000);
  const success = daemon.lastSuccessAt?.getTime();
  const failure = daemon.lastFailureAt?.getTime();
  const nowMs = now.getTime();
  if (failure === undefined || (success !== undefined && success >= failure)) {
    if (success !== undefined) {
      return {
        ok: true,
        state: "ok",
        reason: `the last round succeeded ${spanText(nowMs - success)} ago (${new Date(success).toISOString()})`,
        failingSince: null,
        graceSeconds,
      };
    }
    const age = nowMs - daemon.startedAt.getTime();
    return age < graceMs
      ? {
          ok: true,
          state: "starting",
          reason: `started ${spanText(age)} ago; no round has finished yet`,
          failingSince: null,
          graceSeconds,
        }
      : {
          ok: false,
          state: "failing",
          reason: `no round has finished in the ${spanText(age)} since the daemon started (grace ${spanText(graceMs)})`,
          failingSince: null,
          graceSeconds,
        };
  }
  let since = options.failingSince ? Date.parse(options.failingSince) : Number.NaN;
  // A failure streak cannot begin before the last success or after the last failure.
  if (!Number.isFinite(since) || since > failure || (success !== undefined && since <= success))
    since = failure;
  const failingFor = nowMs - since;
  const why = daemon.lastFailure ?? "the round failed";
  const ok = failingFor < graceMs;
  return {
    ok,
    state: ok ? "grace" : "failing",
    reason: ok
      ? `the last round failed (${why}); failing for ${spanText(failingFor)}, within the ${spanText(graceMs)} grace period`
      : `failing for ${spanText(failingFor)}, longer than the ${spanText(graceMs)} grace period: ${why}`,
    failingSince: new Date(since).toISOString(),
    graceSeconds,
  };
}

function recordHealth(
  lastResult: OutcomeStatus | null,
  published: string | null,
  lastCheck: string | null,
): RecordHealth {
  if (lastResult === "failed") return "failing";
  if (lastResult === "planned") return "planned";
  if (lastCheck === null || published === null) return "pending";
  return "ok";
}

/**
 * Each source's time in the last report, by URL (two sources may share a name: the host of two
 * URLs) and, for state files without URLs, by name.
 */
function familyMs(report: RoundReport | undefined, family: "ipv4" | "ipv6"): Map<string, number> | undefined {
  const detection = report?.detection.find((d) => d.family === family);
  if (!detection) return undefined;
  const times = new Map<string, number>();
  for (const source of detection.sources) {
    if (source.ms === undefined) continue;
    times.set(`url ${source.url}`, source.ms);
    if (!times.has(`name ${source.source}`)) times.set(`name ${source.source}`, source.ms);
  }
  return times;
}

/** Builds the snapshot from the daemon's context and its last report (undefined before the first round). */
export function buildSnapshot(
  context: RoundContext,
  lastReport: RoundReport | undefined,
  options: SnapshotOptions = {},
): StatusSnapshot {
  const { config, state, daemon, now } = context;
  const records: RecordStatus[] = [];
  const seen = new Set<string>();
  for (const { providerId, name, type, family, key } of expandTargets(config)) {
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = state.records[key];
    const detection = state.detection[family];
    const published = entry?.published ?? null;
    const lastCheck = entry?.lastRunAt ?? null;
    const lastResult = entry?.lastResult ?? null;
    records.push({
      provider: providerId,
      providerType: config.providers[providerId]?.type ?? null,
      name,
      type,
      family,
      published,
      detected: detection?.status === "known" ? (detection.address ?? null) : null,
      lastCheck,
      verifiedAt: entry?.verifiedAt ?? null,
      lastChange: entry?.changedAt ?? null,
      lastResult,
      lastError: entry?.lastError ?? null,
      consecutiveFailures: entry?.failures ?? 0,
      status: recordHealth(lastResult, published, lastCheck),
    });
  }

  const detection: DetectionStatus[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const entry = state.detection[family];
    if (!entry) continue;
    const times = familyMs(lastReport, family);
    const sources = entry.sources.map((source) => ({
      source: source.source,
      // Sources of other kinds than http have no URL; where they ask takes its place.
      url: source.url ?? source.where ?? null,
      verdict: source.verdict,
      address: source.address ?? (source.prefix ? `prefix ${source.prefix}` : null),
      reason: source.reason ?? null,
      ms: times?.get(`url ${source.url}`) ?? times?.get(`name ${source.source}`) ?? null,
    }));
    const waited = times ? [...times.values()] : [];
    detection.push({
      family,
      status: entry.status,
      address: entry.address ?? null,
      reason: entry.reason ?? null,
      at: entry.at,
      ms: waited.length > 0 ? Math.max(...waited) : null,
      sources,
    });
  }

  const providers: ProviderStatus[] = Object.entries(config.providers)
    .map(([id, provider]): ProviderStatus => {
      const backoff = state.providers[id];
      const until = backoff?.backoffUntil ?? null;
      const backingOff = until !== null && Date.parse(until) > now.getTime();
      const own = records.filter((record) => record.provider === id);
      const failing = own.filter((record) => record.status === "failing");
      const first = failing[0];
      return {
        id,
        type: provider.type,
        status: backoff?.halted
          ? "halted"
          : backingOff
            ? "backing off"
            : failing.length > 0
              ? "failing"
              : "ok",
        records: own.length,
        failingRecords: failing.length,
        lastError: first ? `${first.name} ${first.type}: ${first.lastError ?? "failed"}` : null,
        backoffUntil: until,
        backoffReason: backoff?.backoffReason ?? null,
        backingOff,
        // The halt's fingerprint is derived from the provider's secrets: never shown.
        halted: backoff?.halted ? { reason: backoff.halted.reason, at: backoff.halted.at } : null,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));

  let lastRound: LastRoundStatus | null = null;
  if (lastReport) {
    const counts: Record<OutcomeStatus, number> = { unchanged: 0, updated: 0, failed: 0, planned: 0 };
    for (const outcome of lastReport.records) counts[outcome.status]++;
    lastRound = {
      startedAt: lastReport.startedAt,
      finishedAt: lastReport.finishedAt,
      durationMs: Math.max(0, Date.parse(lastReport.finishedAt) - Date.parse(lastReport.startedAt)) || 0,
      ok: lastReport.ok,
      dryRun: lastReport.dryRun,
      counts,
    };
  }

  return {
    generatedAt: now.toISOString(),
    daemon: {
      version: daemon.version,
      startedAt: daemon.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((now.getTime() - daemon.startedAt.getTime()) / 1000)),
      nextRoundAt: iso(daemon.nextRoundAt),
      roundRunning: daemon.roundRunning,
      roundsOk: daemon.roundsOk,
      roundsFailed: daemon.roundsFailed,
      lastSuccessAt: iso(daemon.lastSuccessAt),
      lastFailureAt: iso(daemon.lastFailureAt),
      lastFailure: daemon.lastFailure ?? null,
      schedule: config.daemon.cron ? `cron ${config.daemon.cron}` : `every ${config.daemon.interval}`,
    },
    health: evaluateHealth(daemon, now, options),
    lastRound,
    records,
    detection,
    providers,
    history: state.history.map((entry) => ({ ...entry })),
    ...(options.pushes ? { bridge: options.pushes.map((push) => ({ ...push })) } : {}),
  };
}

/**
 * Second line of defence: replaces every known secret value in every string of the snapshot with
 * "[redacted]", the way the logger redacts its lines.
 */
export function redactSnapshot(snapshot: StatusSnapshot, secrets: readonly string[]): StatusSnapshot {
  const useful = secrets.filter((secret) => secret.length >= 4);
  if (useful.length === 0) return snapshot;
  return redactDeep(snapshot, useful);
}
