import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const NamesiloSchema = v.strictObject({
  type: v.literal("namesilo"),
  ...secretKeys("api_key", "NameSilo API key (Account → API Manager)"),
  // NameSilo's TTL floor is 3600; the ceiling is 2592000 in LEGO and 2592001 in DDNS-Updater
  // (reference §19): homing takes the lower one.
  ...restEntries({ endpoint: "https://www.namesilo.com/api/", ttl: { min: 3600, max: 2_592_000 } }),
});

export const definition = defineProvider({
  type: "namesilo",
  service: "NameSilo",
  schema: NamesiloSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
