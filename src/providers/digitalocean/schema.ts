import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const DigitaloceanSchema = v.strictObject({
  type: v.literal("digitalocean"),
  ...secretKeys("token", "DigitalOcean personal access token"),
  // DigitalOcean's smallest TTL is 30 seconds (reference §7).
  ...restEntries({ endpoint: "https://api.digitalocean.com/v2/", ttl: { min: 30, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "digitalocean",
  service: "DigitalOcean",
  schema: DigitaloceanSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
