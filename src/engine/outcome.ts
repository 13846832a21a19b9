/** The target of one round (a managed record with the address it should have) and its outcome shapes. */
import type { Target } from "../core/targets.ts";
import { failed } from "./decision.ts";
import type { RecordOutcome } from "./round.ts";

/**
 * A (record, family) that reaches its provider this round, with the detected address and why the
 * state file did not answer for it (the first step of its decision, src/engine/decision.ts).
 */
export type RoundTarget = Target & { desired: string; why?: string };

/** The decision of `target`: why the cache did not answer, then `steps`. */
export function stepsOf(target: { why?: string }, ...steps: string[]): string[] {
  return target.why === undefined ? steps : [target.why, ...steps];
}

/** The fields every outcome of `target` shares; the caller adds the status and the decision's steps. */
export function outcomeBase(target: RoundTarget) {
  return {
    provider: target.providerId,
    name: target.name,
    type: target.type,
    address: target.desired,
    warnings: [] as string[],
  };
}

/** A failed outcome; its decision ends with `failed: <reason>` unless `steps` say otherwise. */
export function failedOutcome(
  target: Pick<Target, "providerId" | "name" | "type"> & { why?: string },
  reason: string,
  options: { warnings?: string[]; steps?: string[] } = {},
): RecordOutcome {
  return {
    provider: target.providerId,
    name: target.name,
    type: target.type,
    status: "failed",
    reason,
    warnings: options.warnings ?? [],
    decision: stepsOf(target, ...(options.steps ?? [failed(reason)])),
  };
}
