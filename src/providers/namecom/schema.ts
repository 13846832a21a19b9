import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const NamecomSchema = v.strictObject({
  type: v.literal("namecom"),
  username: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("Name.com account username (with -test for the sandbox)"),
  ),
  ...secretKeys("token", "Name.com API token"),
  // API v4 (the documented API that ddns-updater and lego's client use); the newer Core API
  // (https://api.name.com/core/v1/) takes the same paths and record fields below its base, so
  // `endpoint` can point there instead.
  ...restEntries({ endpoint: "https://api.name.com/v4/", ttl: { min: 300, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "namecom",
  service: "Name.com",
  schema: NamecomSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
