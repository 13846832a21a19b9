/**
 * When the state file may answer for the provider. A listing provider is asked again once its
 * record was verified `recheck` ago; a provider that cannot list is guarded by `guardUpdate`
 * (src/core/plan.ts), which re-sends an accepted address DNS still does not show after
 * REFRESH_AFTER_MS.
 */
import { parseDuration } from "../core/duration.ts";
import type { State } from "../core/state.ts";
import type { Target } from "../core/targets.ts";

/** An accepted address that DNS still does not show is re-sent once it is this old (a forced refresh). */
export const REFRESH_AFTER_MS = 24 * 3_600_000;

/** `recheck` in milliseconds (default one hour). */
export function recheckMs(recheck: string): number {
  return parseDuration(recheck) ?? 3_600_000;
}

/**
 * The target's published address is `desired`, its last round did not fail, and it was verified at
 * the provider less than `recheckMs` ago. A halted provider's records are never fresh: they always
 * reach the reconcile step, which says why they fail.
 */
export function isFresh(
  state: State,
  target: Target,
  options: { desired: string; now: Date; recheckMs: number },
): boolean {
  const previous = state.records[target.key];
  return (
    !state.providers[target.providerId]?.halted &&
    previous?.published === options.desired &&
    previous.lastResult !== "failed" &&
    previous.verifiedAt !== null &&
    options.now.getTime() - Date.parse(previous.verifiedAt) < options.recheckMs
  );
}
