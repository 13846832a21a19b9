/**
 * Providers that cannot list (`capabilities.list` false: dyndns2, DuckDNS, custom URL;
 * docs/providers.md): the state file and a DNS lookup guard every update, and the round's updates
 * go to the provider together.
 */
import { guardUpdate } from "../core/plan.ts";
import type { ProviderRecord } from "../core/records.ts";
import { expandTargets } from "../core/targets.ts";
import { errorMessage } from "../errors.ts";
import { methodOf } from "../providers/capabilities.ts";
import type { DnsProvider, RecordChange, UnchangedRecord } from "../providers/provider.ts";
import { sendChanges } from "./apply.ts";
import {
  DRY_RUN,
  dnsAnswers,
  done,
  failed,
  heldBack,
  KEEP,
  lastAccepted,
  planned,
  skipped,
} from "./decision.ts";
import { REFRESH_AFTER_MS } from "./freshness.ts";
import { activeBackoff, activeNameHalt, noteHalt, noteProviderError } from "./health.ts";
import { failedOutcome, outcomeBase, type RoundTarget, stepsOf } from "./outcome.ts";
import type { RecordOutcome, RoundDependencies } from "./round.ts";

/**
 * Providers that cannot list (dyndns2, DuckDNS, custom URL; docs/providers.md): the state file's last
 * accepted address guards every update and a DNS lookup fills in when there is no state, because
 * these services ban accounts for repeated no-change updates. The round's updates go to the
 * provider together, so it can combine them (IPv4 and IPv6 of a name in one request).
 */
export async function reconcileUnlisted(
  provider: DnsProvider,
  targets: RoundTarget[],
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
  const sends: Array<{ target: RoundTarget; previous: string | undefined; steps: string[] }> = [];
  let keptDespiteForce = false;
  for (const target of targets) {
    const entry = deps.state.records[target.key];
    const resolved = rows
      ?.filter((row) => row.name === target.name && row.type.toUpperCase() === target.type)
      .map((row) => row.value);
    const decision = guardUpdate({
      name: target.name,
      type: target.type,
      desired: target.desired,
      resolved,
      accepted: entry?.published ? { address: entry.published, at: entry.verifiedAt } : undefined,
      now: deps.now().getTime(),
      refreshAfterMs: REFRESH_AFTER_MS,
    });
    if (decision.note) deps.logger.info(decision.note);
    const seen = [
      dnsAnswers(resolved),
      lastAccepted(entry?.published ?? undefined, entry?.verifiedAt, deps.now()),
      // The note says why DNS and the state disagree; it names the record, which the line already does.
      ...(decision.note ? [decision.note.replace(`${target.name} ${target.type}: `, "")] : []),
    ];
    if (decision.kind === "send") {
      sends.push({
        target,
        previous: decision.previous,
        steps: [...seen, planned(decision.previous, target.desired)],
      });
      continue;
    }
    keptDespiteForce ||= deps.force;
    outcomes.push({
      ...outcomeBase(target),
      status: "unchanged",
      ...(decision.fromState ? { cached: true } : {}),
      decision: stepsOf(
        target,
        ...seen,
        `${KEEP}; not sent (${provider.label} counts repeated no-change updates as abuse${deps.force ? ", even with --force" : ""})`,
      ),
    });
  }
  if (keptDespiteForce) {
    deps.logger.info(
      `--force does not resend unchanged addresses to ${provider.label} (${provider.id}): the service counts repeated no-change updates as abuse`,
    );
  }
  if (sends.length === 0) return outcomes;
  if (deps.dryRun) {
    for (const { target, previous, steps } of sends) {
      outcomes.push({
        ...outcomeBase(target),
        status: "planned",
        previous: previous ?? null,
        decision: stepsOf(target, ...steps, DRY_RUN),
      });
    }
    return outcomes;
  }
  const blocked = activeBackoff(deps.state, provider.id, deps.now());
  if (blocked) {
    return [
      ...outcomes,
      ...sends.map(({ target, steps }) =>
        failedOutcome(target, blocked, { steps: [...steps, heldBack(blocked)] }),
      ),
    ];
  }
  // A hostname the service refused for good gets no request until its config changes.
  const open = sends.filter(({ target, steps }) => {
    const halted = activeNameHalt(provider, target.name, deps);
    if (halted) outcomes.push(failedOutcome(target, halted, { steps: [...steps, skipped(halted)] }));
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
  for (const [index, { target, previous, steps }] of open.entries()) {
    const result = results[index] ?? { error: new Error(`${provider.label} gave no result for this change`) };
    if (result.error === undefined) {
      const status = result.unchanged ? "unchanged" : "updated";
      const said = result.unchanged
        ? `${provider.label} said the address was already set`
        : done(provider.label);
      outcomes.push({
        ...outcomeBase(target),
        status,
        previous: previous ?? null,
        decision: stepsOf(target, ...steps, said),
      });
      continue;
    }
    noteProviderError(result.error, provider.id, deps);
    const message = noteHalt(result.error, provider, deps, target.name);
    outcomes.push(failedOutcome(target, message, { steps: [...steps, failed(message)] }));
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
  const names = new Set(changes.map((change) => change.name));
  const out: UnchangedRecord[] = [];
  const seen = new Set<string>();
  for (const target of expandTargets(deps.config)) {
    if (target.providerId !== providerId || !names.has(target.name) || seen.has(target.key)) continue;
    seen.add(target.key);
    if (changes.some((change) => change.name === target.name && change.type === target.type)) continue;
    const published = deps.state.records[target.key]?.published;
    if (published) out.push({ name: target.name, type: target.type, value: published });
  }
  return out;
}
