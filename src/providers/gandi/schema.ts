import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const GandiSchema = v.strictObject({
  type: v.literal("gandi"),
  ...secretKeys("token", "Gandi personal access token (PAT)"),
  ...secretKeys("api_key", "Gandi legacy API key, used only when no token is set (deprecated by Gandi)"),
  // LiveDNS refuses TTLs below 300 (reference §4, LEGO gandiv5 minTTL); 30 days per Gandi's docs.
  ...restEntries({ endpoint: "https://api.gandi.net/v5/livedns/", ttl: { min: 300, max: 2_592_000 } }),
});

export const definition = defineProvider({
  type: "gandi",
  service: "Gandi LiveDNS",
  schema: GandiSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
