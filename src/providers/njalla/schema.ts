import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const NjallaSchema = v.strictObject({
  type: v.literal("njalla"),
  ...secretKeys("token", "Njalla API token (Settings → API access)"),
  // The reference gives no TTL bounds for Njalla (LEGO writes 300): homing takes 60 to 86400 and
  // lets the service refuse what it will not take.
  ...restEntries({ endpoint: "https://njal.la/api/1/", ttl: { min: 60, max: 86400 } }),
});

export const definition = defineProvider({
  type: "njalla",
  service: "Njalla",
  schema: NjallaSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
