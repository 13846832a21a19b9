/**
 * Prometheus metrics. `MetricsObserver` counts what happens in rounds (it is one of the daemon's
 * RoundObservers); `renderMetrics` is pure and turns those counters plus a status snapshot into the
 * text exposition format 0.0.4.
 */
import type { RoundContext, RoundObserver } from "../engine/observer.ts";
import type { OutcomeStatus, RoundReport } from "../engine/round.ts";
import type { StatusSnapshot } from "./snapshot.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface RecordLabels {
  provider: string;
  name: string;
  type: "A" | "AAAA";
}

/** Everything the observer counted since the daemon started, as plain data. */
export interface MetricsCounters {
  rounds: { ok: number; failed: number };
  roundDuration: { sumSeconds: number; count: number };
  recordUpdates: Array<RecordLabels & { result: OutcomeStatus; value: number }>;
  recordFailures: Array<RecordLabels & { value: number }>;
  /** Sources that failed or gave an unusable answer. */
  detectionFailures: Array<{ family: "ipv4" | "ipv6"; source: string; value: number }>;
  /** Rounds in which a family's address could not be settled. */
  detectionUnavailable: Array<{ family: "ipv4" | "ipv6"; value: number }>;
  detectionDuration: Array<{ family: "ipv4" | "ipv6"; sumSeconds: number; count: number }>;
}

export function emptyCounters(): MetricsCounters {
  return {
    rounds: { ok: 0, failed: 0 },
    roundDuration: { sumSeconds: 0, count: 0 },
    recordUpdates: [],
    recordFailures: [],
    detectionFailures: [],
    detectionUnavailable: [],
    detectionDuration: [],
  };
}

function spanSeconds(startedAt: string, finishedAt: string): number {
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

function bump<T extends { value: number }>(list: T[], match: (item: T) => boolean, create: () => T): void {
  const found = list.find(match);
  if (found) found.value++;
  else list.push({ ...create(), value: 1 });
}

/** Counts rounds, record outcomes and detection results, for /metrics and /healthz. */
export class MetricsObserver implements RoundObserver {
  readonly name = "metrics";
  readonly #counters: MetricsCounters = emptyCounters();
  #failingSince: string | undefined;

  roundFinished(report: RoundReport, _context?: RoundContext): void {
    const c = this.#counters;
    if (report.ok) {
      c.rounds.ok++;
      this.#failingSince = undefined;
    } else {
      c.rounds.failed++;
      this.#failingSince ??= report.finishedAt;
    }
    c.roundDuration.sumSeconds += spanSeconds(report.startedAt, report.finishedAt);
    c.roundDuration.count++;
    for (const o of report.records) {
      const same = (item: RecordLabels) =>
        item.provider === o.provider && item.name === o.name && item.type === o.type;
      const labels = { provider: o.provider, name: o.name, type: o.type };
      bump(
        c.recordUpdates,
        (item) => same(item) && item.result === o.status,
        () => ({
          ...labels,
          result: o.status,
          value: 0,
        }),
      );
      if (o.status === "failed") bump(c.recordFailures, same, () => ({ ...labels, value: 0 }));
    }
    for (const detection of report.detection) {
      const family = detection.family;
      if (detection.status === "unavailable") {
        bump(
          c.detectionUnavailable,
          (item) => item.family === family,
          () => ({ family, value: 0 }),
        );
      }
      for (const source of detection.sources) {
        if (source.verdict !== "failed" && source.verdict !== "rejected") continue;
        bump(
          c.detectionFailures,
          (item) => item.family === family && item.source === source.source,
          () => ({
            family,
            source: source.source,
            value: 0,
          }),
        );
      }
      const times = detection.sources.flatMap((source) => (source.ms === undefined ? [] : [source.ms]));
      if (times.length === 0) continue;
      let entry = c.detectionDuration.find((item) => item.family === family);
      if (!entry) {
        entry = { family, sumSeconds: 0, count: 0 };
        c.detectionDuration.push(entry);
      }
      entry.sumSeconds += Math.max(...times) / 1000;
      entry.count++;
    }
  }

  /** A deep copy of the counters, safe to hand to a renderer. */
  counters(): MetricsCounters {
    return structuredClone(this.#counters);
  }

  /** When the current run of failed rounds began (finish time of its first round); undefined when the last round succeeded. */
  failingSince(): string | undefined {
    return this.#failingSince;
  }
}

// ---- text exposition -------------------------------------------------------------------------

type Labels = Record<string, string>;
interface Sample {
  suffix?: string;
  labels?: Labels;
  value: number;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

function family(
  name: string,
  type: "counter" | "gauge" | "summary",
  help: string,
  samples: Sample[],
  out: string[],
): void {
  if (samples.length === 0) return;
  out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  for (const sample of samples) {
    out.push(`${name}${sample.suffix ?? ""}${labelText(sample.labels)} ${formatValue(sample.value)}`);
  }
}

const seconds = (iso: string | null): number | undefined => {
  if (iso === null) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
};

function byLabels<T>(items: T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const recordKeyOf = (r: RecordLabels) => `${r.provider}\u0000${r.name}\u0000${r.type}`;
const RESULTS: readonly OutcomeStatus[] = ["unchanged", "updated", "failed", "planned"];

/** Renders the Prometheus text exposition (format 0.0.4). Series of known records start at 0. */
export function renderMetrics(snapshot: StatusSnapshot, counters: MetricsCounters): string {
  const out: string[] = [];
  const known = snapshot.records.map((r) => ({ provider: r.provider, name: r.name, type: r.type }));

  family(
    "homing_build_info",
    "gauge",
    "Version of the running homing; always 1.",
    [{ labels: { version: snapshot.daemon.version }, value: 1 }],
    out,
  );
  family(
    "homing_up",
    "gauge",
    "1 when /healthz answers 200 (the last round succeeded, or failures are younger than the grace period), else 0.",
    [{ value: snapshot.health.ok ? 1 : 0 }],
    out,
  );
  const started = seconds(snapshot.daemon.startedAt);
  family(
    "homing_start_time_seconds",
    "gauge",
    "When the daemon started, in seconds since the Unix epoch.",
    started === undefined ? [] : [{ value: started }],
    out,
  );

  family(
    "homing_rounds_total",
    "counter",
    "Update rounds since the daemon started, by result.",
    [
      { labels: { result: "ok" }, value: counters.rounds.ok },
      { labels: { result: "failed" }, value: counters.rounds.failed },
    ],
    out,
  );
  family(
    "homing_round_duration_seconds",
    "summary",
    "Wall-clock time of update rounds.",
    [
      { suffix: "_sum", value: counters.roundDuration.sumSeconds },
      { suffix: "_count", value: counters.roundDuration.count },
    ],
    out,
  );
  family(
    "homing_round_running",
    "gauge",
    "1 while a round is running.",
    [{ value: snapshot.daemon.roundRunning ? 1 : 0 }],
    out,
  );
  const timestamp = (name: string, help: string, iso: string | null) => {
    const value = seconds(iso);
    family(name, "gauge", help, value === undefined ? [] : [{ value }], out);
  };
  timestamp(
    "homing_last_success_timestamp_seconds",
    "When the last successful round finished, in seconds since the Unix epoch (absent before the first one).",
    snapshot.daemon.lastSuccessAt,
  );
  timestamp(
    "homing_last_failure_timestamp_seconds",
    "When the last failed round finished, in seconds since the Unix epoch (absent before the first one).",
    snapshot.daemon.lastFailureAt,
  );
  timestamp(
    "homing_next_round_timestamp_seconds",
    "When the next scheduled round starts, in seconds since the Unix epoch (absent while a round runs).",
    snapshot.daemon.nextRoundAt,
  );

  const updates = new Map(counters.recordUpdates.map((u) => [`${recordKeyOf(u)}\u0000${u.result}`, u]));
  for (const record of known) {
    for (const result of RESULTS.slice(0, 3)) {
      const key = `${recordKeyOf(record)}\u0000${result}`;
      if (!updates.has(key)) updates.set(key, { ...record, result, value: 0 });
    }
  }
  family(
    "homing_record_updates_total",
    "counter",
    "Record checks by outcome: unchanged, updated (changed at the provider), failed, planned (dry run).",
    byLabels([...updates.values()], (u) => `${recordKeyOf(u)}\u0000${RESULTS.indexOf(u.result)}`).map(
      (u) => ({
        labels: { provider: u.provider, name: u.name, type: u.type, result: u.result },
        value: u.value,
      }),
    ),
    out,
  );
  const failures = new Map(counters.recordFailures.map((f) => [recordKeyOf(f), f]));
  for (const record of known)
    if (!failures.has(recordKeyOf(record))) failures.set(recordKeyOf(record), { ...record, value: 0 });
  family(
    "homing_record_failures_total",
    "counter",
    "Rounds in which a record could not be checked or changed.",
    byLabels([...failures.values()], recordKeyOf).map((f) => ({
      labels: { provider: f.provider, name: f.name, type: f.type },
      value: f.value,
    })),
    out,
  );
  family(
    "homing_record_consecutive_failures",
    "gauge",
    "Failed rounds in a row per record (0 when the last one worked).",
    byLabels(snapshot.records, recordKeyOf).map((r) => ({
      labels: { provider: r.provider, name: r.name, type: r.type },
      value: r.consecutiveFailures,
    })),
    out,
  );
  family(
    "homing_record_last_change_timestamp_seconds",
    "gauge",
    "When homing last changed the record at the provider, in seconds since the Unix epoch.",
    byLabels(snapshot.records, recordKeyOf).flatMap((r) => {
      const value = seconds(r.lastChange);
      return value === undefined
        ? []
        : [{ labels: { provider: r.provider, name: r.name, type: r.type }, value }];
    }),
    out,
  );
  family(
    "homing_published_address_info",
    "gauge",
    "The address each record holds at the provider, as a label; always 1.",
    byLabels(snapshot.records, recordKeyOf).flatMap((r) =>
      r.published === null
        ? []
        : [{ labels: { provider: r.provider, name: r.name, type: r.type, address: r.published }, value: 1 }],
    ),
    out,
  );
  family(
    "homing_detected_address_info",
    "gauge",
    "The public address detection last settled on, per family, as a label; always 1.",
    snapshot.detection.flatMap((d) =>
      d.status === "known" && d.address !== null
        ? [{ labels: { family: d.family, address: d.address }, value: 1 }]
        : [],
    ),
    out,
  );

  const durations = byLabels(counters.detectionDuration, (d) => d.family);
  family(
    "homing_detection_duration_seconds",
    "summary",
    "Time to settle the public address per family (the slowest source that was waited for).",
    durations.flatMap((d) => [
      { suffix: "_sum", labels: { family: d.family }, value: d.sumSeconds },
      { suffix: "_count", labels: { family: d.family }, value: d.count },
    ]),
    out,
  );
  family(
    "homing_detection_failures_total",
    "counter",
    "Detection sources that failed or gave an unusable answer, by family and source.",
    byLabels(counters.detectionFailures, (d) => `${d.family}\u0000${d.source}`).map((d) => ({
      labels: { family: d.family, source: d.source },
      value: d.value,
    })),
    out,
  );
  family(
    "homing_detection_unavailable_total",
    "counter",
    "Rounds in which a family's public address could not be settled (nothing was changed).",
    byLabels(counters.detectionUnavailable, (d) => d.family).map((d) => ({
      labels: { family: d.family },
      value: d.value,
    })),
    out,
  );
  family(
    "homing_provider_backoff",
    "gauge",
    "1 while a provider asked homing to slow down and no changes are made, else 0.",
    snapshot.providers.map((p) => ({ labels: { provider: p.id }, value: p.backingOff ? 1 : 0 })),
    out,
  );
  family(
    "homing_provider_halted",
    "gauge",
    "1 while a provider is halted: it refused in a way only a config change can fix, and nothing is sent to it.",
    snapshot.providers.map((p) => ({ labels: { provider: p.id }, value: p.halted ? 1 : 0 })),
    out,
  );
  if (snapshot.bridge) {
    family(
      "homing_bridge_last_push_timestamp_seconds",
      "gauge",
      "When each router-bridge client last pushed, in seconds since the Unix epoch.",
      snapshot.bridge.flatMap((push) => {
        const value = seconds(push.at);
        return value === undefined ? [] : [{ labels: { client: push.user }, value }];
      }),
      out,
    );
    family(
      "homing_bridge_last_push_ok",
      "gauge",
      "1 when a router-bridge client's last push got only good/nochg replies, else 0.",
      snapshot.bridge.map((push) => ({
        labels: { client: push.user },
        value: push.replies.every((line) => /^(good|nochg) /.test(line)) ? 1 : 0,
      })),
      out,
    );
  }
  return `${out.join("\n")}\n`;
}
