/**
 * The listed path (providers whose `capabilities.list` is true): one list of all of a provider's
 * names, then a pure plan (src/core/plan.ts) per (name, type), applied by apply.ts. Providers that
 * cannot list go to reconcile-unlisted.ts from here.
 */
import { planRecord } from "../core/plan.ts";
import type { ProviderRecord } from "../core/records.ts";
import { errorMessage, isAccountWide, PartialListError } from "../errors.ts";
import { methodOf } from "../providers/capabilities.ts";
import type { DnsProvider } from "../providers/provider.ts";
import { applyChange, forEachLimited, PartialChangeError, reportRemoved } from "./apply.ts";
import { DRY_RUN, done, failed, heldBack, KEEP, planned, providerHolds, skipped } from "./decision.ts";
import { activeBackoff, activeHalt, noteHalt, noteProviderError } from "./health.ts";
import { failedOutcome, outcomeBase, type RoundTarget, stepsOf } from "./outcome.ts";
import { reconcileUnlisted } from "./reconcile-unlisted.ts";
import type { RecordOutcome, RoundDependencies } from "./round.ts";

/** Lists once for all of a provider's targets, then plans and applies each target on its own. */
export async function reconcileProvider(
  providerId: string,
  targets: RoundTarget[],
  deps: RoundDependencies,
): Promise<RecordOutcome[]> {
  let provider: DnsProvider;
  let rows: ProviderRecord[];
  const outcomes: RecordOutcome[] = [];
  try {
    provider = await deps.provider(providerId);
    const halted = activeHalt(provider, deps);
    if (halted) return targets.map((target) => failedOutcome(target, halted, { steps: [skipped(halted)] }));
    if (!provider.capabilities.list) return await reconcileUnlisted(provider, targets, deps);
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
        if (why !== undefined) outcomes.push(failedOutcome(target, errorMessage(why)));
      }
      targets = targets.filter((target) => !error.failed.has(target.name));
    }
  } catch (error) {
    noteProviderError(error, providerId, deps);
    const message = errorMessage(error);
    return targets.map((target) => failedOutcome(target, message));
  }
  let blocked = activeBackoff(deps.state, providerId, deps.now());
  const handle = async (target: RoundTarget): Promise<void> => {
    const atName = rows.filter((row) => row.name === target.name);
    const plan = planRecord({
      name: target.name,
      type: target.type,
      desired: target.desired,
      rows: atName,
      foreignRowHint: provider.foreignRowHint,
      published: deps.state.records[target.key]?.published ?? undefined,
    });
    for (const warning of plan.warnings) deps.logger.warn(warning);
    const base = { ...outcomeBase(target), warnings: plan.warnings };
    const holds = providerHolds(provider.label, target.type, atName);
    if (plan.kind === "keep") {
      outcomes.push({ ...base, status: "unchanged", decision: stepsOf(target, holds, KEEP) });
      return;
    }
    if (plan.kind === "blocked") {
      const steps = [holds, skipped(plan.reason)];
      outcomes.push(failedOutcome(target, plan.reason, { warnings: plan.warnings, steps }));
      return;
    }
    const previous = plan.previous ?? null;
    const change = planned(previous, target.desired);
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
        decision: stepsOf(target, holds, change, DRY_RUN),
      });
      return;
    }
    if (blocked) {
      const steps = [holds, change, heldBack(blocked)];
      outcomes.push(failedOutcome(target, blocked, { warnings: plan.warnings, steps }));
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
        decision: stepsOf(target, holds, change, done(provider.label)),
      });
    } catch (error) {
      // A rate limit on the remove (after the add went through) must persist its back-off too.
      noteProviderError(error instanceof PartialChangeError ? error.cause : error, providerId, deps);
      const message = noteHalt(error, provider, deps, target.name);
      const added = error instanceof PartialChangeError;
      const removal = added ? reportRemoved(provider, target, previous, error.removed, deps) : undefined;
      outcomes.push({
        ...failedOutcome(target, message, {
          warnings: [...plan.warnings, ...(removal?.warnings ?? [])],
          steps: [holds, change, failed(message)],
        }),
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
