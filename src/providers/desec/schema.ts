import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const DesecSchema = v.strictObject({
  type: v.literal("desec"),
  ...secretKeys("token", "deSEC API token"),
  // Each deSEC domain has its own minimum_ttl (3600 by default, lower for dynDNS domains): homing
  // raises a smaller ttl to it. 86400 is deSEC's largest TTL (reference §6b, DGO).
  ...restEntries({
    endpoint: "https://desec.io/api/v1/",
    ttl: {
      min: 1,
      max: 86400,
      description:
        "TTL in seconds of the records homing writes (up to 86400; raised to the domain's minimum_ttl); default: the domain's minimum_ttl",
    },
  }),
});

export const definition = defineProvider({
  type: "desec",
  service: "deSEC",
  schema: DesecSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
