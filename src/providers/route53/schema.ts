import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const Route53Schema = v.strictObject({
  type: v.literal("route53"),
  access_key_id: v.pipe(v.string(), v.minLength(1), v.description("AWS access key id (AKIA…), not secret")),
  ...secretKeys("secret_access_key", "AWS secret access key"),
  ...secretKeys("session_token", "AWS session token, for temporary (STS) credentials"),
  zone_id: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(\/hostedzone\/)?[A-Z0-9]+$/, "expected a hosted zone id such as Z148QEXAMPLE8V"),
      v.description("Hosted zone id; default: found by name with ListHostedZonesByName"),
    ),
  ),
  ...restEntries({
    endpoint: "https://route53.amazonaws.com/2013-04-01/",
    ttl: { min: 0, max: 2_147_483_647 },
  }),
});

export const definition = defineProvider({
  type: "route53",
  service: "AWS Route 53",
  schema: Route53Schema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
