import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const GodaddySchema = v.strictObject({
  type: v.literal("godaddy"),
  ...secretKeys("api_key", "GoDaddy API key (Production)"),
  ...secretKeys("api_secret", "GoDaddy API secret of that key"),
  // GoDaddy refuses TTLs below 600 (reference §3, LEGO godaddy minTTL); 30 days is the largest
  // TTL homing lets through.
  ...restEntries({ endpoint: "https://api.godaddy.com/", ttl: { min: 600, max: 2_592_000 } }),
});

export const definition = defineProvider({
  type: "godaddy",
  service: "GoDaddy",
  schema: GodaddySchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
