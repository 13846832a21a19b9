import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const VultrSchema = v.strictObject({
  type: v.literal("vultr"),
  ...secretKeys("api_key", "Vultr API key"),
  ...restEntries({ endpoint: "https://api.vultr.com/v2/", ttl: { min: 1, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "vultr",
  service: "Vultr",
  schema: VultrSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
