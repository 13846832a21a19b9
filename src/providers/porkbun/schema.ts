import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const PorkbunSchema = v.strictObject({
  type: v.literal("porkbun"),
  ...secretKeys("api_key", "Porkbun API key (pk1_…)"),
  ...secretKeys("secret_api_key", "Porkbun secret API key (sk1_…)"),
  // Porkbun's docs say 600 is the minimum TTL, nrdcg/porkbun says 300: homing accepts 300 and up
  // and lets the service refuse what it will not take.
  ...restEntries({ endpoint: "https://api.porkbun.com/api/json/v3/", ttl: { min: 300, max: 86400 } }),
});

export const definition = defineProvider({
  type: "porkbun",
  service: "Porkbun",
  schema: PorkbunSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
