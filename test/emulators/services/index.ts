/**
 * One kit service per change strategy ("family"), for the bench's scale rows
 * (scripts/bench-scale.ts). Every kit service's behaviour table runs from its own test file in
 * test/integration/providers/ (scripts/provider-docs.test.ts checks that each catalog type has one).
 */
import type { ServiceModule } from "../kit/emulator.ts";
import { digitalocean } from "./digitalocean.ts";
import { gandi } from "./gandi.ts";
import { porkbun } from "./porkbun.ts";

export const KIT_FAMILIES: ReadonlyArray<{ family: string; module: ServiceModule }> = [
  { family: "in-place, a registrar (zones probed per name)", module: porkbun },
  { family: "in-place, a zone list", module: digitalocean },
  { family: "rrset", module: gandi },
];
