/** The target of one round (a managed record with the address it should have) and its outcome shapes. */
import type { Target } from "../core/targets.ts";
import type { RecordOutcome } from "./round.ts";

/** A (record, family) that reaches its provider this round, with the detected address. */
export type RoundTarget = Target & { desired: string };

/** The fields every outcome of `target` shares; the caller adds the status. */
export function outcomeBase(target: RoundTarget) {
  return {
    provider: target.providerId,
    name: target.name,
    type: target.type,
    address: target.desired,
    warnings: [] as string[],
  };
}

export function failedOutcome(
  target: Pick<Target, "providerId" | "name" | "type">,
  reason: string,
  warnings: string[] = [],
): RecordOutcome {
  return {
    provider: target.providerId,
    name: target.name,
    type: target.type,
    status: "failed",
    reason,
    warnings,
  };
}
