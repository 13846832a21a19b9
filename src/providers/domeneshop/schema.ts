import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const DomeneshopSchema = v.strictObject({
  type: v.literal("domeneshop"),
  ...secretKeys("token", "Domeneshop API token"),
  ...secretKeys("secret", "Domeneshop API secret"),
  ...restEntries({ endpoint: "https://api.domeneshop.no/v0/", ttl: { min: 60, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "domeneshop",
  service: "Domeneshop",
  schema: DomeneshopSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
