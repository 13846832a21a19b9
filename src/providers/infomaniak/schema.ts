import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const InfomaniakSchema = v.strictObject({
  type: v.literal("infomaniak"),
  ...secretKeys("token", "Infomaniak API token with the scopes dns:read and dns:write"),
  // LEGO's Infomaniak docs give 300 as the smallest TTL (§17b).
  ...restEntries({ endpoint: "https://api.infomaniak.com/", ttl: { min: 300, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "infomaniak",
  service: "Infomaniak",
  schema: InfomaniakSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
