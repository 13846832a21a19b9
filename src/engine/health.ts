/**
 * Provider health, in one place: the back-off a rate limit sets (kept in the state file), account
 * halts and per-name halts (a refusal that repeating cannot fix, keyed by a fingerprint of the
 * config, so a fix lifts it), and the daemon's retry gate (exponential back-off after failed
 * rounds, kept in memory for the daemon's life).
 */
import type { Config } from "../config/schema.ts";
import { formatDuration } from "../core/duration.ts";
import { normalizeName } from "../core/records.ts";
import { retryDelay } from "../core/schedule.ts";
import { redact } from "../core/secret.ts";
import type { ProviderHalt, State } from "../core/state.ts";
import { expandTargets, namesOf } from "../core/targets.ts";
import { errorMessage, ProviderError } from "../errors.ts";
import type { Logger } from "../platform/log.ts";
import { configFingerprint, type DnsProvider } from "../providers/provider.ts";
import { heldBack } from "./decision.ts";
import { failedOutcome } from "./outcome.ts";
import type { RecordOutcome, RoundReport } from "./round.ts";

/** What the health checks read and write: the round's config, state, logger and clock. */
export interface HealthContext {
  config: Config;
  state: State;
  logger: Logger;
  now: () => Date;
}

/** A halt on a hostname outlives its record only until the record is renamed or removed from the config. */
export function forgetUnconfiguredHalts(config: Config, state: State): void {
  const targets = expandTargets(config);
  for (const [id, entry] of Object.entries(state.providers)) {
    if (!entry.haltedNames) continue;
    const names = new Set(namesOf(targets, id));
    for (const name of Object.keys(entry.haltedNames)) if (!names.has(name)) delete entry.haltedNames[name];
    if (Object.keys(entry.haltedNames).length === 0) delete entry.haltedNames;
  }
}

/** The reason no change is sent while the provider's rate-limit back-off lasts, or undefined. */
export function activeBackoff(state: State, providerId: string, now: Date): string | undefined {
  const entry = state.providers[providerId];
  if (!entry?.backoffUntil) return undefined;
  const until = Date.parse(entry.backoffUntil);
  if (!(until > now.getTime())) return undefined;
  return `${entry.backoffReason ?? "the provider asked homing to slow down"}; no changes are made until ${entry.backoffUntil} (in ${formatDuration(until - now.getTime())})`;
}

/** A rate limit persists a back-off (its Retry-After, else an hour); other errors change nothing here. */
export function noteProviderError(error: unknown, providerId: string, context: HealthContext): void {
  if (error instanceof ProviderError && error.kind === "rate_limited") {
    const until = new Date(context.now().getTime() + (error.retryAfterMs ?? 3_600_000));
    context.state.providers[providerId] = {
      ...context.state.providers[providerId],
      backoffUntil: until.toISOString(),
      backoffReason: redact(error.message, context.logger.secrets()),
    };
  }
}

const HALT_FIX = "fix the config; homing retries once it changes";

function fingerprintOf(provider: DnsProvider, context: HealthContext): string {
  return provider.fingerprint ?? configFingerprint(context.config.providers[provider.id], []);
}

/**
 * The reason a halted provider's records fail without a request, or undefined. A halt whose
 * fingerprint no longer matches (the user changed the config or a secret) is lifted here.
 */
export function activeHalt(provider: DnsProvider, context: HealthContext): string | undefined {
  const entry = context.state.providers[provider.id];
  if (!entry?.halted) return undefined;
  if (entry.halted.fingerprint === fingerprintOf(provider, context)) {
    return `${entry.halted.reason} (since ${entry.halted.at}); no request was sent: ${HALT_FIX}`;
  }
  context.logger.info(
    `the config of provider ${provider.id} changed since ${provider.label} stopped it; trying again`,
  );
  const { halted: _lifted, ...rest } = entry;
  context.state.providers[provider.id] = rest;
  return undefined;
}

/**
 * The fingerprint a hostname's halt is keyed to: the provider's, plus the config of every record at
 * that name, so a fix to the record (or to the provider) lifts it.
 */
function nameFingerprint(provider: DnsProvider, name: string, context: HealthContext): string {
  const records = context.config.records.filter(
    (record) => record.provider === provider.id && normalizeName(record.name) === name,
  );
  return configFingerprint({ provider: fingerprintOf(provider, context), records }, []);
}

/** The reason a halted hostname's records fail without a request, or undefined (lifting a stale halt). */
export function activeNameHalt(
  provider: DnsProvider,
  name: string,
  context: HealthContext,
): string | undefined {
  const halts = context.state.providers[provider.id]?.haltedNames;
  const entry = halts && Object.hasOwn(halts, name) ? halts[name] : undefined;
  if (!halts || !entry) return undefined;
  if (entry.fingerprint === nameFingerprint(provider, name, context)) {
    return `${entry.reason} (since ${entry.at}); nothing was sent for ${name}: fix the record or the provider's config; homing retries once it changes`;
  }
  context.logger.info(
    `the config of ${name} at provider ${provider.id} changed since it was refused; trying again`,
  );
  delete halts[name];
  return undefined;
}

/** Persists a halt when the error asks for one; returns the message the record fails with. */
export function noteHalt(
  error: unknown,
  provider: DnsProvider,
  context: HealthContext,
  name?: string,
): string {
  const message = redact(errorMessage(error), context.logger.secrets());
  if (!(error instanceof ProviderError && error.halt)) return message;
  const { state } = context;
  if (error.halt === "name" && name !== undefined) {
    const entry = state.providers[provider.id] ?? { backoffUntil: null, backoffReason: null };
    const halts: Record<string, ProviderHalt> = entry.haltedNames ?? {};
    if (!Object.hasOwn(halts, name)) {
      halts[name] = {
        fingerprint: nameFingerprint(provider, name, context),
        reason: message,
        at: context.now().toISOString(),
      };
    }
    state.providers[provider.id] = { ...entry, haltedNames: halts };
    return `${message}; homing sends nothing more for ${name} until its record or provider config changes`;
  }
  const entry = state.providers[provider.id];
  // The first refusal of the round is the one kept (activeHalt cleared any older one).
  state.providers[provider.id] = {
    backoffUntil: null,
    backoffReason: null,
    ...entry,
    halted: entry?.halted ?? {
      fingerprint: fingerprintOf(provider, context),
      reason: message,
      at: context.now().toISOString(),
    },
  };
  return `${message}; homing sends nothing more to ${provider.id} until its config changes`;
}

/** A provider the daemon waits for after failed rounds. */
export interface ProviderRetry {
  failures: number;
  retryAt: number;
  reason: string;
}

/**
 * The daemon's retry gate: after a round in which a provider failed (detection failures do not
 * count), its records sit out the following rounds until an exponential back-off (capped at
 * `daemon.max_backoff`) has passed. In memory only: a restart or a reload tries every provider.
 */
export class RetryGate {
  readonly #retries = new Map<string, ProviderRetry>();

  clear(): void {
    this.#retries.clear();
  }

  /** When each waiting provider may be tried again (epoch ms): the daemon wakes for the earliest. */
  retryTimes(): number[] {
    return [...this.#retries.values()].map((retry) => retry.retryAt);
  }

  /** Providers still waiting for their retry time at `now`: they sit this round out. */
  gated(now: number): Map<string, ProviderRetry> {
    const gated = new Map<string, ProviderRetry>();
    for (const [id, retry] of this.#retries) if (retry.retryAt > now) gated.set(id, retry);
    return gated;
  }

  /** The config without the gated providers' records: what the round runs on. */
  withoutGated(config: Config, gated: ReadonlyMap<string, ProviderRetry>): Config {
    return gated.size ? { ...config, records: config.records.filter((r) => !gated.has(r.provider)) } : config;
  }

  /** A failed outcome for each record of a gated provider, saying when it is tried next. */
  waitingOutcomes(config: Config, gated: ReadonlyMap<string, ProviderRetry>, now: number): RecordOutcome[] {
    const outcomes: RecordOutcome[] = [];
    for (const target of expandTargets(config)) {
      const retry = gated.get(target.providerId);
      if (!retry) continue;
      const wait = formatDuration(retry.retryAt - now);
      const reason = `provider ${target.providerId} failed ${retry.failures} round(s) in a row, next try in ${wait}: ${retry.reason}`;
      outcomes.push(failedOutcome(target, reason, { steps: [heldBack(reason)] }));
    }
    return outcomes;
  }

  /** Counts provider failures (not detection failures) and sets each provider's next retry. */
  update(
    report: RoundReport,
    gated: ReadonlyMap<string, ProviderRetry>,
    options: { maxMs: number; now: number; logger: Logger },
  ): void {
    const unknown = new Set(report.detection.filter((d) => d.status !== "known").map((d) => d.family));
    const byProvider = new Map<string, RecordOutcome[]>();
    for (const outcome of report.records) {
      if (gated.has(outcome.provider)) continue;
      const family = outcome.type === "A" ? "ipv4" : "ipv6";
      if (outcome.status === "failed" && unknown.has(family)) continue;
      const list = byProvider.get(outcome.provider) ?? [];
      list.push(outcome);
      byProvider.set(outcome.provider, list);
    }
    for (const [id, outcomes] of byProvider) {
      const failed = outcomes.find((o) => o.status === "failed");
      if (!failed) {
        this.#retries.delete(id);
        continue;
      }
      const failures = (this.#retries.get(id)?.failures ?? 0) + 1;
      const delay = retryDelay(failures, { maxMs: options.maxMs });
      this.#retries.set(id, { failures, retryAt: options.now + delay, reason: failed.reason ?? "failed" });
      options.logger.info(
        `provider ${id}: retrying in ${formatDuration(delay)} (failure ${failures} in a row)`,
      );
    }
  }
}
