import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const LinodeSchema = v.strictObject({
  type: v.literal("linode"),
  ...secretKeys("token", "Linode personal access token with the scope Domains: Read/Write"),
  // Linode rounds ttl_sec to the nearest of its fixed steps (300, 3600, … 2419200); 0 = the domain's default.
  ...restEntries({ endpoint: "https://api.linode.com/v4/", ttl: { min: 0, max: 2_419_200 } }),
});

export const definition = defineProvider({
  type: "linode",
  service: "Linode (Akamai Cloud)",
  schema: LinodeSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
