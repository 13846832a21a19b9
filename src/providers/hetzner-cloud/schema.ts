import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const HetznerCloudSchema = v.strictObject({
  type: v.literal("hetzner-cloud"),
  ...secretKeys("token", "Hetzner Cloud project API token (Read & Write)"),
  // 60 … 2147483647 as DU validates for the Cloud API (reference §5b).
  ...restEntries({ endpoint: "https://api.hetzner.cloud/v1/", ttl: { min: 60, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "hetzner-cloud",
  service: "Hetzner Cloud DNS",
  schema: HetznerCloudSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
