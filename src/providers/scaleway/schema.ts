import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const ScalewaySchema = v.strictObject({
  type: v.literal("scaleway"),
  ...secretKeys("secret_key", "Scaleway API key's secret key (the access key is not needed)"),
  ...restEntries({
    endpoint: "https://api.scaleway.com/domain/v2beta1/",
    ttl: { min: 60, max: 2_147_483_647 },
  }),
});

export const definition = defineProvider({
  type: "scaleway",
  service: "Scaleway",
  schema: ScalewaySchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
