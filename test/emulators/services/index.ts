/**
 * Every kit service module, and one per change strategy for the bench's scale rows
 * (scripts/bench-scale.ts). Each module's behaviour table runs from its own test file in
 * test/integration/providers/.
 */
import type { ServiceModule } from "../kit/emulator.ts";
import { porkbun } from "./porkbun.ts";

export const SERVICES: readonly ServiceModule[] = [porkbun];

/** One service per change strategy ("family"), for the bench. */
export const KIT_FAMILIES: ReadonlyArray<{ family: string; module: ServiceModule }> = [
  { family: "in-place", module: porkbun },
];
