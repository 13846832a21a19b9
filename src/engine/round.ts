/**
 * One update round: detect, expand the config into targets, answer fresh ones from the state file,
 * reconcile the rest per provider, then record the outcomes. The concepts it calls each have their
 * file: detection-log.ts, freshness.ts, health.ts, reconcile.ts (listed), reconcile-unlisted.ts,
 * apply.ts (docs/design.md, "Module map").
 */
import type { Config, RecordConfig } from "../config/schema.ts";
import type { IpFamily } from "../core/ip.ts";
import { combineIpv6 } from "../core/ipv6-suffix.ts";
import type { AddressRecordType } from "../core/records.ts";
import { redact } from "../core/secret.ts";
import { HISTORY_LIMIT, type RecordState, recordKey, type State } from "../core/state.ts";
import { expandTargets, familiesOf, type Target } from "../core/targets.ts";
import type { FamilyDetection } from "../detect/detect.ts";
import type { Logger } from "../platform/log.ts";
import type { DnsProvider } from "../providers/provider.ts";
import { cacheHit, cacheMiss, decisionLine, skipped } from "./decision.ts";
import { FAMILY_LABEL, logDetection, storeDetection } from "./detection-log.ts";
import { cacheVerdict, recheckMs } from "./freshness.ts";
import { forgetUnconfiguredHalts } from "./health.ts";
import { failedOutcome, type RoundTarget } from "./outcome.ts";
import { reconcileProvider } from "./reconcile.ts";

export type OutcomeStatus = "unchanged" | "updated" | "failed" | "planned";

/** The end of one (record, family) in one round: what the CLI, exit code and state all read. */
export interface RecordOutcome {
  provider: string;
  name: string;
  type: AddressRecordType;
  status: OutcomeStatus;
  /** The address the record has (or would have) after this round. */
  address?: string;
  /** The address it replaced (null: the record was created). */
  previous?: string | null;
  /**
   * Every value the change removed (or, planned, would remove) at (name, type), `previous`
   * included; only present when there was one. The values beyond `previous` were not published by
   * homing (an address added by hand to a set the provider replaces whole): the change line and a
   * warning name each of them.
   */
  removed?: string[];
  /** Answered from the state file: no provider call was made. */
  cached?: boolean;
  reason?: string;
  /**
   * How the round decided, in words, step by step: what the cache, DNS or the provider said, what
   * was planned, why something was or was not sent (src/engine/decision.ts). `-v` logs it as one
   * line per record; `homing explain` prints it.
   */
  decision?: string[];
  warnings: string[];
}

export interface RoundReport {
  startedAt: string;
  finishedAt: string;
  dryRun: boolean;
  detection: FamilyDetection[];
  records: RecordOutcome[];
  /** Every record is correct (updated, unchanged, or in dry-run planned) and detection worked. */
  ok: boolean;
}

export interface RoundDependencies {
  config: Config;
  state: State;
  logger: Logger;
  now: () => Date;
  signal: AbortSignal;
  dryRun: boolean;
  force: boolean;
  detect: (family: IpFamily) => Promise<FamilyDetection>;
  provider: (id: string) => Promise<DnsProvider>;
}

/**
 * The address a target publishes: the detected address, or for a record with `ipv6_suffix` the
 * detected /64 combined with the suffix (core/ipv6-suffix.ts). Unknown leaves the record as it is.
 */
function desiredAddress(
  target: Target<RecordConfig>,
  detection: FamilyDetection,
): { ok: true; address: string } | { ok: false; reason: string } {
  const label = FAMILY_LABEL[target.family];
  const suffix = target.family === "ipv6" ? target.record.ipv6_suffix : undefined;
  const reason = detection.status === "unavailable" ? detection.reason : "not detected";
  if (suffix !== undefined) {
    if (detection.prefix !== undefined) {
      return { ok: true, address: combineIpv6(detection.prefix, suffix) };
    }
    return {
      ok: false,
      reason: `the public ${label} prefix is unknown (${reason}); the record was left as it is`,
    };
  }
  if (detection.address !== undefined) return { ok: true, address: detection.address };
  return {
    ok: false,
    reason: `the public ${label} address is unknown (${reason}); the record was left as it is`,
  };
}

/**
 * One update round: detect, then per (record, family) compare, plan and apply. Each record is
 * independent: one failure never stops the others. `state` is updated in place; saving it is the
 * caller's job.
 */
export async function runRound(deps: RoundDependencies): Promise<RoundReport> {
  const { config, state, logger } = deps;
  const startedAt = deps.now().toISOString();
  const targets = expandTargets(config);
  const detections = await Promise.all(familiesOf(targets).map((family) => deps.detect(family)));
  const byFamily = new Map(detections.map((d) => [d.family, d]));
  for (const detection of detections) {
    logDetection(detection, logger);
    storeDetection(state, detection, deps.now().toISOString());
  }

  forgetUnconfiguredHalts(config, state);
  const recheck = recheckMs(config.recheck);
  const outcomes: RecordOutcome[] = [];
  const pending = new Map<string, RoundTarget[]>();
  let detectionOk = true;
  for (const target of targets) {
    const detection = byFamily.get(target.family) as FamilyDetection;
    const desired = desiredAddress(target, detection);
    if (!desired.ok) {
      detectionOk = false;
      outcomes.push(failedOutcome(target, desired.reason, { steps: [skipped(desired.reason)] }));
      continue;
    }
    const now = deps.now();
    const cache = cacheVerdict(state, target, { desired: desired.address, now, recheckMs: recheck });
    if (!deps.force && cache.fresh) {
      outcomes.push({
        provider: target.providerId,
        name: target.name,
        type: target.type,
        status: "unchanged",
        address: desired.address,
        cached: true,
        warnings: [],
        decision: cacheHit(desired.address, { verifiedAt: cache.verifiedAt, now, recheckMs: recheck }),
      });
      continue;
    }
    const list = pending.get(target.providerId) ?? [];
    list.push({
      ...target,
      desired: desired.address,
      why: cacheMiss(deps.force || cache.fresh ? "--force asks the provider" : cache.why),
    });
    pending.set(target.providerId, list);
  }

  await Promise.all(
    [...pending].map(async ([providerId, providerTargets]) => {
      outcomes.push(...(await reconcileProvider(providerId, providerTargets, deps)));
    }),
  );

  // Provider replies quoted in reasons are redacted once, here, for every sink that reads the report.
  const secrets = logger.secrets();
  if (secrets.length > 0) {
    for (const outcome of outcomes) {
      if (outcome.reason !== undefined) outcome.reason = redact(outcome.reason, secrets);
      outcome.warnings = outcome.warnings.map((warning) => redact(warning, secrets));
      if (outcome.decision) outcome.decision = outcome.decision.map((step) => redact(step, secrets));
    }
  }
  const finishedAt = deps.now().toISOString();
  updateState(state, outcomes, finishedAt, deps.dryRun);
  const order = new Map(targets.map((target) => [`${target.providerId}/${target.name}`, target.recordIndex]));
  outcomes.sort(
    (a, b) =>
      (order.get(`${a.provider}/${a.name}`) ?? 0) - (order.get(`${b.provider}/${b.name}`) ?? 0) ||
      a.type.localeCompare(b.type),
  );
  for (const outcome of outcomes) logger.info(decisionLine(outcome));
  return {
    startedAt,
    finishedAt,
    dryRun: deps.dryRun,
    detection: detections,
    records: outcomes,
    ok: detectionOk && outcomes.every((o) => o.status !== "failed"),
  };
}

/** Records each outcome in the state file's records and history (not in a dry run). */
function updateState(state: State, outcomes: RecordOutcome[], at: string, dryRun: boolean): void {
  if (dryRun) return;
  for (const outcome of outcomes) {
    const key = recordKey(outcome.provider, outcome.name, outcome.type);
    const previous: RecordState | undefined = state.records[key];
    const next: RecordState = {
      provider: outcome.provider,
      name: outcome.name,
      type: outcome.type,
      published: previous?.published ?? null,
      verifiedAt: previous?.verifiedAt ?? null,
      changedAt: previous?.changedAt ?? null,
      lastRunAt: at,
      lastResult: outcome.status,
      lastError: outcome.status === "failed" ? (outcome.reason ?? "failed") : null,
      failures: outcome.status === "failed" ? (previous?.failures ?? 0) + 1 : 0,
    };
    if (outcome.status === "unchanged" && outcome.address) {
      next.published = outcome.address;
      if (!outcome.cached) next.verifiedAt = at;
    }
    if (outcome.status === "updated" && outcome.address) {
      next.published = outcome.address;
      next.verifiedAt = at;
      next.changedAt = at;
      state.history.push({
        at,
        provider: outcome.provider,
        name: outcome.name,
        type: outcome.type,
        from: outcome.previous ?? null,
        to: outcome.address,
      });
    }
    state.records[key] = next;
  }
  if (state.history.length > HISTORY_LIMIT) state.history.splice(0, state.history.length - HISTORY_LIMIT);
}
