import type { Config } from "../config/schema.ts";
import { formatDuration, parseDuration } from "../core/duration.ts";
import type { IpFamily } from "../core/ip.ts";
import { guardUpdate, planRecord, sameAddress } from "../core/plan.ts";
import { type AddressRecordType, normalizeName, type ProviderRecord, recordTypeOf } from "../core/records.ts";
import { redact } from "../core/secret.ts";
import { HISTORY_LIMIT, type ProviderHalt, type RecordState, recordKey, type State } from "../core/state.ts";
import type { FamilyDetection } from "../detect/detect.ts";
import { errorMessage, isAccountWide, PartialListError, ProviderError } from "../errors.ts";
import type { Logger } from "../platform/log.ts";
import { methodOf } from "../providers/capabilities.ts";
import {
  type ChangeResult,
  configFingerprint,
  type DnsProvider,
  type RecordChange,
  type UnchangedRecord,
} from "../providers/provider.ts";

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

interface Target {
  provider: string;
  name: string;
  type: AddressRecordType;
  desired: string;
}

const FAMILY_LABEL: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };

function familiesNeeded(config: Config): IpFamily[] {
  const families: IpFamily[] = [];
  if (config.records.some((record) => record.ipv4)) families.push("ipv4");
  if (config.records.some((record) => record.ipv6)) families.push("ipv6");
  return families;
}

function logDetection(detection: FamilyDetection, logger: Logger): void {
  const label = FAMILY_LABEL[detection.family];
  for (const source of detection.sources) {
    if (source.hint) logger.warn(`${label} source ${source.source}: ${source.reason}. ${source.hint}`);
  }
  if (detection.status === "known") {
    const agreeing = detection.sources.filter((s) => s.verdict === "agreed").map((s) => s.source);
    logger.info(`public ${label} address is ${detection.address} (agreed: ${agreeing.join(", ")})`);
    for (const source of detection.sources) {
      if (source.verdict === "minority") {
        logger.warn(
          `${label} source ${source.source} answered ${source.address}, but ${agreeing.join(" and ")} agree on ${detection.address}; ignoring ${source.source}`,
        );
      } else if (source.verdict === "rejected" || source.verdict === "failed") {
        logger.info(`${label} source ${source.source} gave no usable answer: ${source.reason}`);
      }
    }
    return;
  }
  const answers = detection.sources
    .map((s) => `${s.source}: ${s.address ?? s.reason ?? s.verdict}`)
    .join("; ");
  logger.error(
    `cannot tell the public ${label} address, so nothing was changed: ${detection.reason} (${answers})`,
  );
}

/**
 * One update round: detect, then per (record, family) compare, plan and apply. Each record is
 * independent: one failure never stops the others. `state` is updated in place; saving it is the
 * caller's job.
 */
export async function runRound(deps: RoundDependencies): Promise<RoundReport> {
  const { config, state, logger } = deps;
  const startedAt = deps.now().toISOString();
  const recheckMs = parseDuration(config.recheck) ?? 3_600_000;
  const families = familiesNeeded(config);
  const detections = await Promise.all(families.map((family) => deps.detect(family)));
  const byFamily = new Map(detections.map((d) => [d.family, d]));
  for (const detection of detections) {
    logDetection(detection, logger);
    state.detection[detection.family] = {
      at: deps.now().toISOString(),
      status: detection.status,
      ...(detection.status === "known" ? { address: detection.address } : { reason: detection.reason }),
      sources: detection.sources.map((s) => ({
        source: s.source,
        ...(s.url ? { url: s.url } : {}),
        verdict: s.verdict,
        ...(s.address ? { address: s.address } : {}),
        ...(s.reason ? { reason: s.reason } : {}),
      })),
    };
  }

  forgetUnconfiguredHalts(config, state);
  const outcomes: RecordOutcome[] = [];
  const pending = new Map<string, Target[]>();
  for (const record of config.records) {
    const name = normalizeName(record.name);
    for (const family of families) {
      if (!record[family]) continue;
      const type = recordTypeOf(family);
      const detection = byFamily.get(family) as FamilyDetection;
      if (detection.status !== "known") {
        outcomes.push({
          provider: record.provider,
          name,
          type,
          status: "failed",
          reason: `the public ${FAMILY_LABEL[family]} address is unknown (${detection.reason}); the record was left as it is`,
          warnings: [],
        });
        continue;
      }
      const previous = state.records[recordKey(record.provider, name, type)];
      // A halted provider's records always reach reconcileProvider, which says why they fail.
      const fresh =
        !state.providers[record.provider]?.halted &&
        previous?.published === detection.address &&
        previous.lastResult !== "failed" &&
        previous.verifiedAt !== null &&
        deps.now().getTime() - Date.parse(previous.verifiedAt) < recheckMs;
      if (fresh && !deps.force) {
        outcomes.push({
          provider: record.provider,
          name,
          type,
          status: "unchanged",
          address: detection.address,
          cached: true,
          warnings: [],
        });
        continue;
      }
      const list = pending.get(record.provider) ?? [];
      list.push({ provider: record.provider, name, type, desired: detection.address });
      pending.set(record.provider, list);
    }
  }

  await Promise.all(
    [...pending].map(async ([providerId, targets]) => {
      outcomes.push(...(await reconcileProvider(providerId, targets, deps)));
    }),
  );

  // Provider replies quoted in reasons are redacted once, here, for every sink that reads the report.
  const secrets = logger.secrets();
  if (secrets.length > 0) {
    for (const outcome of outcomes) {
      if (outcome.reason !== undefined) outcome.reason = redact(outcome.reason, secrets);
      outcome.warnings = outcome.warnings.map((warning) => redact(warning, secrets));
    }
  }
  const finishedAt = deps.now().toISOString();
  updateState(state, outcomes, finishedAt, deps.dryRun);
  const order = new Map(
    config.records.map((record, index) => [`${record.provider}/${normalizeName(record.name)}`, index]),
  );
  outcomes.sort(
    (a, b) =>
      (order.get(`${a.provider}/${a.name}`) ?? 0) - (order.get(`${b.provider}/${b.name}`) ?? 0) ||
      a.type.localeCompare(b.type),
  );
  const detectionOk = detections.every((d) => d.status === "known");
  return {
    startedAt,
    finishedAt,
    dryRun: deps.dryRun,
    detection: detections,
    records: outcomes,
    ok: detectionOk && outcomes.every((o) => o.status !== "failed"),
  };
}

/** A hostname halt outlives its record only until the record is renamed or removed from the config. */
function forgetUnconfiguredHalts(config: Config, state: State): void {
  for (const [id, entry] of Object.entries(state.providers)) {
    if (!entry.haltedNames) continue;
    const names = new Set(config.records.filter((r) => r.provider === id).map((r) => normalizeName(r.name)));
    for (const name of Object.keys(entry.haltedNames)) if (!names.has(name)) delete entry.haltedNames[name];
    if (Object.keys(entry.haltedNames).length === 0) delete entry.haltedNames;
  }
}

function activeBackoff(state: State, providerId: string, now: Date): string | undefined {
  const entry = state.providers[providerId];
  if (!entry?.backoffUntil) return undefined;
  const until = Date.parse(entry.backoffUntil);
  if (!(until > now.getTime())) return undefined;
  return `${entry.backoffReason ?? "the provider asked homing to slow down"}; no changes are made until ${entry.backoffUntil} (in ${formatDuration(until - now.getTime())})`;
}

function noteProviderError(error: unknown, providerId: string, deps: RoundDependencies): void {
  if (error instanceof ProviderError && error.kind === "rate_limited") {
    const until = new Date(deps.now().getTime() + (error.retryAfterMs ?? 3_600_000));
    deps.state.providers[providerId] = {
      ...deps.state.providers[providerId],
      backoffUntil: until.toISOString(),
      backoffReason: redact(error.message, deps.logger.secrets()),
    };
  }
}

const HALT_FIX = "fix the config; homing retries once it changes";

function fingerprintOf(provider: DnsProvider, deps: RoundDependencies): string {
  return provider.fingerprint ?? configFingerprint(deps.config.providers[provider.id], []);
}

/**
 * The reason a halted provider's records fail without a request, or undefined. A halt whose
 * fingerprint no longer matches (the user changed the config or a secret) is lifted here.
 */
function activeHalt(provider: DnsProvider, deps: RoundDependencies): string | undefined {
  const entry = deps.state.providers[provider.id];
  if (!entry?.halted) return undefined;
  if (entry.halted.fingerprint === fingerprintOf(provider, deps)) {
    return `${entry.halted.reason} (since ${entry.halted.at}); no request was sent: ${HALT_FIX}`;
  }
  deps.logger.info(
    `the config of provider ${provider.id} changed since ${provider.label} stopped it; trying again`,
  );
  const { halted: _lifted, ...rest } = entry;
  deps.state.providers[provider.id] = rest;
  return undefined;
}

/**
 * The fingerprint a hostname's halt is keyed to: the provider's, plus the config of every record at
 * that name, so a fix to the record (or to the provider) lifts it.
 */
function nameFingerprint(provider: DnsProvider, name: string, deps: RoundDependencies): string {
  const records = deps.config.records.filter(
    (record) => record.provider === provider.id && normalizeName(record.name) === name,
  );
  return configFingerprint({ provider: fingerprintOf(provider, deps), records }, []);
}

/** The reason a halted hostname's records fail without a request, or undefined (lifting a stale halt). */
function activeNameHalt(provider: DnsProvider, name: string, deps: RoundDependencies): string | undefined {
  const halts = deps.state.providers[provider.id]?.haltedNames;
  const entry = halts && Object.hasOwn(halts, name) ? halts[name] : undefined;
  if (!halts || !entry) return undefined;
  if (entry.fingerprint === nameFingerprint(provider, name, deps)) {
    return `${entry.reason} (since ${entry.at}); nothing was sent for ${name}: fix the record or the provider's config; homing retries once it changes`;
  }
  deps.logger.info(
    `the config of ${name} at provider ${provider.id} changed since it was refused; trying again`,
  );
  delete halts[name];
  return undefined;
}

/** Persists a halt when the error asks for one; returns the message the record fails with. */
function noteHalt(error: unknown, provider: DnsProvider, deps: RoundDependencies, name?: string): string {
  const message = redact(errorMessage(error), deps.logger.secrets());
  if (!(error instanceof ProviderError && error.halt)) return message;
  if (error.halt === "name" && name !== undefined) {
    const entry = deps.state.providers[provider.id] ?? { backoffUntil: null, backoffReason: null };
    const halts: Record<string, ProviderHalt> = entry.haltedNames ?? {};
    if (!Object.hasOwn(halts, name)) {
      halts[name] = {
        fingerprint: nameFingerprint(provider, name, deps),
        reason: message,
        at: deps.now().toISOString(),
      };
    }
    deps.state.providers[provider.id] = { ...entry, haltedNames: halts };
    return `${message}; homing sends nothing more for ${name} until its record or provider config changes`;
  }
  const entry = deps.state.providers[provider.id];
  // The first refusal of the round is the one kept (activeHalt cleared any older one).
  deps.state.providers[provider.id] = {
    backoffUntil: null,
    backoffReason: null,
    ...entry,
    halted: entry?.halted ?? {
      fingerprint: fingerprintOf(provider, deps),
      reason: message,
      at: deps.now().toISOString(),
    },
  };
  return `${message}; homing sends nothing more to ${provider.id} until its config changes`;
}

/** Lists once for all of a provider's targets, then plans and applies each target on its own. */
async function reconcileProvider(
  providerId: string,
  targets: Target[],
  deps: RoundDependencies,
): Promise<RecordOutcome[]> {
  const fail = (target: Target, reason: string, warnings: string[] = []): RecordOutcome => ({
    provider: providerId,
    name: target.name,
    type: target.type,
    status: "failed",
    reason,
    warnings,
  });
  let provider: DnsProvider;
  let rows: ProviderRecord[];
  const outcomes: RecordOutcome[] = [];
  try {
    provider = await deps.provider(providerId);
    const halted = activeHalt(provider, deps);
    if (halted) return targets.map((target) => fail(target, halted));
    if (!provider.capabilities.list) return await reconcileByState(provider, targets, deps);
    try {
      rows = await methodOf(provider, "list")([...new Set(targets.map((t) => t.name))], {
        signal: deps.signal,
      });
    } catch (error) {
      if (!(error instanceof PartialListError)) throw error;
      // Some names could not be listed: only their records fail; the others go on with what was read.
      rows = error.rows;
      for (const target of targets) {
        const why = error.failed.get(target.name);
        if (why !== undefined) outcomes.push(fail(target, errorMessage(why)));
      }
      targets = targets.filter((target) => !error.failed.has(target.name));
    }
  } catch (error) {
    noteProviderError(error, providerId, deps);
    return targets.map((target) => fail(target, errorMessage(error)));
  }
  let blocked = activeBackoff(deps.state, providerId, deps.now());
  const handle = async (target: Target): Promise<void> => {
    const plan = planRecord({
      name: target.name,
      type: target.type,
      desired: target.desired,
      rows: rows.filter((row) => row.name === target.name),
      foreignRowHint: provider.foreignRowHint,
      published: deps.state.records[recordKey(providerId, target.name, target.type)]?.published ?? undefined,
    });
    for (const warning of plan.warnings) deps.logger.warn(warning);
    const base = {
      provider: providerId,
      name: target.name,
      type: target.type,
      address: target.desired,
      warnings: plan.warnings,
    };
    if (plan.kind === "keep") {
      outcomes.push({ ...base, status: "unchanged" });
      return;
    }
    if (plan.kind === "blocked") {
      outcomes.push(fail(target, plan.reason, plan.warnings));
      return;
    }
    const previous = plan.previous ?? null;
    if (deps.dryRun) {
      const removal = reportRemoved(
        provider,
        target,
        previous,
        plan.remove.map((row) => row.value),
        deps,
      );
      outcomes.push({
        ...base,
        ...removal,
        warnings: [...plan.warnings, ...removal.warnings],
        status: "planned",
        previous,
      });
      return;
    }
    if (blocked) {
      outcomes.push(fail(target, blocked, plan.warnings));
      return;
    }
    try {
      const removed = await applyChange(
        provider,
        { name: target.name, type: target.type, add: plan.add, remove: plan.remove },
        deps,
      );
      const removal = reportRemoved(provider, target, previous, removed, deps);
      outcomes.push({
        ...base,
        ...removal,
        warnings: [...plan.warnings, ...removal.warnings],
        status: "updated",
        previous,
      });
    } catch (error) {
      // A rate limit on the remove (after the add went through) must persist its back-off too.
      noteProviderError(error instanceof PartialChangeError ? error.cause : error, providerId, deps);
      const message = noteHalt(error, provider, deps, target.name);
      const added = error instanceof PartialChangeError;
      const removal = added ? reportRemoved(provider, target, previous, error.removed, deps) : undefined;
      outcomes.push({
        ...fail(target, message, [...plan.warnings, ...(removal?.warnings ?? [])]),
        ...(added
          ? { address: target.desired, previous, ...(removal?.removed ? { removed: removal.removed } : {}) }
          : {}),
      });
      // Only an account-wide refusal stops the other records; one name's problem stays its own.
      if (isAccountWide(error)) blocked = errorMessage(error);
      else if (error instanceof PartialChangeError && isAccountWide(error.cause)) {
        blocked = errorMessage(error.cause);
      }
    }
  };
  await forEachLimited(targets, provider.capabilities.maxConcurrency ?? 1, handle);
  return outcomes;
}

/** An accepted address that DNS still does not show is re-sent once it is this old (a forced refresh). */
const REFRESH_AFTER_MS = 24 * 3_600_000;

/**
 * Providers that cannot list (dyndns2, DuckDNS, custom URL; docs/providers.md): the state file's last
 * accepted address guards every update and a DNS lookup fills in when there is no state, because
 * these services ban accounts for repeated no-change updates. The round's updates go to the
 * provider together, so it can combine them (IPv4 and IPv6 of a name in one request).
 */
async function reconcileByState(
  provider: DnsProvider,
  targets: Target[],
  deps: RoundDependencies,
): Promise<RecordOutcome[]> {
  let rows: ProviderRecord[] | undefined;
  try {
    rows = await methodOf(provider, "lookup")([...new Set(targets.map((t) => t.name))], {
      signal: deps.signal,
    });
  } catch (error) {
    deps.logger.info(`${provider.id}: ${errorMessage(error)}; deciding from the state file alone`);
  }
  const outcomes: RecordOutcome[] = [];
  const sends: Array<{ target: Target; previous: string | undefined }> = [];
  let keptDespiteForce = false;
  for (const target of targets) {
    const entry = deps.state.records[recordKey(provider.id, target.name, target.type)];
    const decision = guardUpdate({
      name: target.name,
      type: target.type,
      desired: target.desired,
      resolved: rows
        ?.filter((row) => row.name === target.name && row.type.toUpperCase() === target.type)
        .map((row) => row.value),
      accepted: entry?.published ? { address: entry.published, at: entry.verifiedAt } : undefined,
      now: deps.now().getTime(),
      refreshAfterMs: REFRESH_AFTER_MS,
    });
    if (decision.note) deps.logger.info(decision.note);
    if (decision.kind === "send") {
      sends.push({ target, previous: decision.previous });
      continue;
    }
    keptDespiteForce ||= deps.force;
    outcomes.push({
      ...outcomeBase(provider.id, target),
      status: "unchanged",
      ...(decision.fromState ? { cached: true } : {}),
    });
  }
  if (keptDespiteForce) {
    deps.logger.info(
      `--force does not resend unchanged addresses to ${provider.label} (${provider.id}): the service counts repeated no-change updates as abuse`,
    );
  }
  if (sends.length === 0) return outcomes;
  if (deps.dryRun) {
    for (const { target, previous } of sends) {
      outcomes.push({ ...outcomeBase(provider.id, target), status: "planned", previous: previous ?? null });
    }
    return outcomes;
  }
  const blocked = activeBackoff(deps.state, provider.id, deps.now());
  if (blocked) return [...outcomes, ...sends.map(({ target }) => failed(provider.id, target, blocked))];
  // A hostname the service refused for good gets no request until its config changes.
  const open = sends.filter(({ target }) => {
    const halted = activeNameHalt(provider, target.name, deps);
    if (halted) outcomes.push(failed(provider.id, target, halted));
    return !halted;
  });
  if (open.length === 0) return outcomes;
  const changes = open.map(({ target }) => ({
    name: target.name,
    type: target.type,
    add: target.desired,
    remove: [],
  }));
  const results = await sendChanges(provider, changes, unchangedSiblings(provider.id, changes, deps), deps);
  for (const [index, { target, previous }] of open.entries()) {
    const result = results[index] ?? { error: new Error(`${provider.label} gave no result for this change`) };
    if (result.error === undefined) {
      const status = result.unchanged ? "unchanged" : "updated";
      outcomes.push({ ...outcomeBase(provider.id, target), status, previous: previous ?? null });
      continue;
    }
    noteProviderError(result.error, provider.id, deps);
    outcomes.push(failed(provider.id, target, noteHalt(result.error, provider, deps, target.name)));
  }
  return outcomes;
}

/**
 * The other managed family of each changing name, at the address the service last accepted (even
 * when this round answered it from the cache), so a protocol that sets both at once can repeat it.
 */
function unchangedSiblings(
  providerId: string,
  changes: RecordChange[],
  deps: RoundDependencies,
): UnchangedRecord[] {
  const out: UnchangedRecord[] = [];
  for (const name of new Set(changes.map((change) => change.name))) {
    const managed = deps.config.records.filter(
      (record) => record.provider === providerId && normalizeName(record.name) === name,
    );
    for (const family of ["ipv4", "ipv6"] as const) {
      const type = recordTypeOf(family);
      if (!managed.some((record) => record[family])) continue;
      if (changes.some((change) => change.name === name && change.type === type)) continue;
      const published = deps.state.records[recordKey(providerId, name, type)]?.published;
      if (published) out.push({ name, type, value: published });
    }
  }
  return out;
}

/** All changes through `replaceMany` (update-url), else one `replace` (in-place, rrset) or `add` each. */
async function sendChanges(
  provider: DnsProvider,
  changes: RecordChange[],
  unchanged: UnchangedRecord[],
  deps: RoundDependencies,
): Promise<ChangeResult[]> {
  const options = { signal: deps.signal };
  const strategy = provider.capabilities.change;
  if (strategy === "update-url") {
    try {
      return await methodOf(provider, "replaceMany")(changes, { ...options, unchanged });
    } catch (error) {
      return changes.map(() => ({ error }));
    }
  }
  const results: ChangeResult[] = [];
  let stopped: unknown;
  for (const change of changes) {
    if (stopped !== undefined) {
      results.push({ error: stopped });
      continue;
    }
    try {
      if (strategy === "add-remove")
        await methodOf(provider, "add")(change.name, change.type, change.add as string, options);
      else await methodOf(provider, "replace")(change, options);
      results.push({});
    } catch (error) {
      results.push({ error });
      // The account as a whole is refused or throttled: the remaining changes are not sent.
      if (isAccountWide(error)) stopped = error;
    }
  }
  return results;
}

function outcomeBase(providerId: string, target: Target) {
  return {
    provider: providerId,
    name: target.name,
    type: target.type,
    address: target.desired,
    warnings: [] as string[],
  };
}

function failed(providerId: string, target: Target, reason: string): RecordOutcome {
  return {
    provider: providerId,
    name: target.name,
    type: target.type,
    status: "failed",
    reason,
    warnings: [],
  };
}

/** Runs `task` over `items` with at most `limit` in flight; order of completion is free. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** The new value is published but an old one could not be removed: the name answers with both. */
class PartialChangeError extends Error {
  override readonly name = "PartialChangeError";
  /** The old values that were removed before the failure. */
  readonly removed: string[];

  constructor(message: string, options: { cause: unknown; removed: string[] }) {
    super(message, { cause: options.cause });
    this.removed = options.removed;
  }
}

/**
 * The `removed` of an outcome, and a warning for each removed value other than `previous` (the one
 * the change line shows as replaced): those are values homing did not publish, such as an address
 * someone added by hand to a set the provider replaces whole. The warning is logged here.
 */
function reportRemoved(
  provider: DnsProvider,
  target: Target,
  previous: string | null,
  removed: readonly string[],
  deps: RoundDependencies,
): { removed?: string[]; warnings: string[] } {
  if (removed.length === 0) return { warnings: [] };
  const verb = deps.dryRun ? "would also remove" : "also removed";
  const why = provider.ownership ?? `homing owns these ${target.type} records at ${provider.label}`;
  const warnings = removed
    .filter((value) => value !== previous)
    .map(
      (value) =>
        `${target.name} ${target.type} (${provider.id}): ${verb} ${value}, which homing had not published (${why})`,
    );
  for (const warning of warnings) deps.logger.warn(warning);
  return { removed: [...removed], warnings };
}

/**
 * Applies one change in the order the provider's `capabilities.change` says: atomically (rrset) or
 * in place through `replace()`, one `replaceMany()` request (update-url), otherwise add first and remove the stale rows only after the add is confirmed. Resolves with the
 * values that were removed.
 */
async function applyChange(
  provider: DnsProvider,
  change: { name: string; type: AddressRecordType; add: string | undefined; remove: ProviderRecord[] },
  deps: RoundDependencies,
): Promise<string[]> {
  const options = { signal: deps.signal };
  const strategy = provider.capabilities.change;
  if (strategy === "in-place" || strategy === "rrset") {
    return (await methodOf(provider, "replace")(change, options)).removed;
  }
  if (strategy === "update-url") {
    const [result] = await methodOf(provider, "replaceMany")([change], { ...options, unchanged: [] });
    if (result?.error !== undefined) throw result.error;
    return [];
  }
  if (change.add !== undefined) {
    const result = await methodOf(provider, "add")(change.name, change.type, change.add, options);
    if (!result.confirmed) await confirmAdd(provider, change, change.add, result.reply, deps);
  }
  const removed: string[] = [];
  for (const stale of change.remove) {
    try {
      await methodOf(provider, "remove")(stale, options);
      removed.push(stale.value);
    } catch (error) {
      throw new PartialChangeError(
        `${change.name} ${change.type} now has ${change.add ?? "the new address"}, but the old value "${stale.value}" could not be removed (${errorMessage(error)}); the name answers with both until the next run removes it`,
        { cause: error, removed },
      );
    }
  }
  return removed;
}

/**
 * The rule behind "a name never loses its record through us": a remove is only ever issued after a
 * confirmed add. An add whose reply is not the service's documented confirmation is believed only when
 * a fresh list shows the new row; otherwise the change fails, nothing is removed, and the reply is
 * quoted so the user can see what the service said.
 */
async function confirmAdd(
  provider: DnsProvider,
  change: { name: string; type: AddressRecordType; remove: ProviderRecord[] },
  value: string,
  reply: string,
  deps: RoundDependencies,
): Promise<void> {
  const what = `${provider.label} answered the add of ${change.name} ${change.type} ${value} with ${reply}, which does not confirm it`;
  const kept = change.remove.length
    ? `nothing was removed, so ${change.name} keeps ${change.remove.map((row) => row.value).join(", ")}`
    : "nothing else was changed";
  let rows: ProviderRecord[];
  try {
    rows = await methodOf(provider, "list")([change.name], { signal: deps.signal });
  } catch (error) {
    throw new ProviderError(
      `${what}, and the record list to check it failed (${errorMessage(error)}); ${kept}; homing tries again on the next run`,
      { kind: "transient", provider: provider.id, cause: error },
    );
  }
  const shown = rows.some(
    (row) =>
      row.name === change.name && row.type.toUpperCase() === change.type && sameAddress(row.value, value),
  );
  if (shown) return;
  throw new ProviderError(
    `${what}, and the record list does not show the new row; ${kept}; homing tries again on the next run`,
    { kind: "transient", provider: provider.id },
  );
}

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
