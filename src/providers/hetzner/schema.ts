import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const HetznerSchema = v.strictObject({
  type: v.literal("hetzner"),
  ...secretKeys("api_token", "Hetzner DNS Console API token"),
  // The DNS Console takes TTLs from 60 seconds (its zone editor's smallest choice); the reference
  // (§5a) names no bound, so homing checks only that.
  ...restEntries({ endpoint: "https://dns.hetzner.com/api/v1/", ttl: { min: 60, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "hetzner",
  service: "Hetzner DNS (DNS Console, legacy)",
  schema: HetznerSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
