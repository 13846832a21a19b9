/**
 * When the state file may answer for the provider. A listing provider is asked again once its
 * record was verified `recheck` ago; a provider that cannot list is guarded by `guardUpdate`
 * (src/core/plan.ts), which re-sends an accepted address DNS still does not show after
 * REFRESH_AFTER_MS.
 */
import { formatDuration, parseDuration } from "../core/duration.ts";
import type { State } from "../core/state.ts";
import type { Target } from "../core/targets.ts";

/** An accepted address that DNS still does not show is re-sent once it is this old (a forced refresh). */
export const REFRESH_AFTER_MS = 24 * 3_600_000;

/** `recheck` in milliseconds (default one hour). */
export function recheckMs(recheck: string): number {
  return parseDuration(recheck) ?? 3_600_000;
}

/** Whether the state file may answer for a target, and why not when it may not. */
export type CacheVerdict = { fresh: true; verifiedAt: string } | { fresh: false; why: string };

/**
 * Fresh: the target's published address is `desired`, its last round did not fail, and it was
 * verified at the provider less than `recheckMs` ago. A halted provider's records are never fresh:
 * they always reach the reconcile step, which says why they fail. Otherwise `why` says which of
 * these did not hold, in words (`homing run -v`, `homing explain`).
 */
export function cacheVerdict(
  state: State,
  target: Target,
  options: { desired: string; now: Date; recheckMs: number },
): CacheVerdict {
  const previous = state.records[target.key];
  if (state.providers[target.providerId]?.halted) return { fresh: false, why: "the provider is halted" };
  if (!previous) return { fresh: false, why: "no earlier run in the state file" };
  if (previous.lastResult === "failed") return { fresh: false, why: "the last round failed" };
  if (previous.published !== options.desired) {
    return {
      fresh: false,
      why: previous.published
        ? `the cached ${previous.published} differs from the detected ${options.desired}`
        : "no address published yet",
    };
  }
  if (previous.verifiedAt === null) return { fresh: false, why: "never verified at the provider" };
  const age = options.now.getTime() - Date.parse(previous.verifiedAt);
  if (!(age < options.recheckMs)) {
    return {
      fresh: false,
      why: `last verified ${formatDuration(age)} ago, recheck is every ${formatDuration(options.recheckMs)}`,
    };
  }
  return { fresh: true, verifiedAt: previous.verifiedAt };
}
