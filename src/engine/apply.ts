import type { AddressRecordType, ProviderRecord } from "../core/records.ts";
import { errorMessage, isAccountWide } from "../errors.ts";
import type { Logger } from "../platform/log.ts";
import { methodOf } from "../providers/capabilities.ts";
import {
  type ChangeResult,
  confirmAdd,
  type DnsProvider,
  type RecordChange,
  type UnchangedRecord,
} from "../providers/provider.ts";
import type { RoundTarget } from "./outcome.ts";

/** What applying needs of the round. */
export interface ApplyContext {
  signal: AbortSignal;
  logger: Logger;
  dryRun: boolean;
}

/** Runs `task` over `items` with at most `limit` in flight; order of completion is free. */
export async function forEachLimited<T>(
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
export class PartialChangeError extends Error {
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
export function reportRemoved(
  provider: DnsProvider,
  target: RoundTarget,
  previous: string | null,
  removed: readonly string[],
  context: ApplyContext,
): { removed?: string[]; warnings: string[] } {
  if (removed.length === 0) return { warnings: [] };
  const verb = context.dryRun ? "would also remove" : "also removed";
  const why = provider.ownership ?? `homing owns these ${target.type} records at ${provider.label}`;
  const warnings = removed
    .filter((value) => value !== previous)
    .map(
      (value) =>
        `${target.name} ${target.type} (${provider.id}): ${verb} ${value}, which homing had not published (${why})`,
    );
  for (const warning of warnings) context.logger.warn(warning);
  return { removed: [...removed], warnings };
}

/**
 * Applies one change in the order the provider's `capabilities.change` says: atomically (rrset) or
 * in place through `replace()`, one `replaceMany()` request (update-url), otherwise add first and
 * remove the stale rows only after the add is confirmed. Resolves with the values that were removed.
 */
export async function applyChange(
  provider: DnsProvider,
  change: { name: string; type: AddressRecordType; add: string | undefined; remove: ProviderRecord[] },
  context: ApplyContext,
): Promise<string[]> {
  const options = { signal: context.signal };
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
    if (!result.confirmed)
      await confirmAdd(
        { id: provider.id, label: provider.label, list: methodOf(provider, "list") },
        change,
        change.add,
        result.reply,
        context.signal,
      );
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
 * A round's changes to a provider that cannot list: all through `replaceMany` (update-url), else one
 * `replace` (in-place, rrset) or `add` each, stopping at an account-wide refusal.
 */
export async function sendChanges(
  provider: DnsProvider,
  changes: RecordChange[],
  unchanged: UnchangedRecord[],
  context: ApplyContext,
): Promise<ChangeResult[]> {
  const options = { signal: context.signal };
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
