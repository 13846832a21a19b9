import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

/** The only TTLs ClouDNS accepts (reference §21a). */
export const CLOUDNS_TTLS = [
  60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000,
] as const;

const id = (what: string) =>
  v.optional(
    v.pipe(
      v.union([v.pipe(v.string(), v.regex(/^\d+$/, "expected digits")), v.pipe(v.number(), v.integer())]),
      v.transform((value) => String(value)),
      v.description(what),
    ),
  );

export const CloudnsSchema = v.strictObject({
  type: v.literal("cloudns"),
  // Exactly one of the two (checked when the provider starts).
  auth_id: id("ClouDNS API user id (auth-id); set this or sub_auth_id"),
  sub_auth_id: id("ClouDNS API sub-user id (sub-auth-id, can be limited to zones); set this or auth_id"),
  ...secretKeys("auth_password", "ClouDNS API user's password (auth-password)"),
  ...restEntries({ endpoint: "https://api.cloudns.net/dns/" }),
  ttl: v.optional(
    v.pipe(
      v.picklist(CLOUDNS_TTLS, `expected one of ${CLOUDNS_TTLS.join(", ")}`),
      v.description(
        `TTL in seconds of the records homing writes, one of ${CLOUDNS_TTLS.join(", ")}; default: 3600`,
      ),
    ),
  ),
});

export const definition = defineProvider({
  type: "cloudns",
  service: "ClouDNS",
  schema: CloudnsSchema,
  setup: ["auth_id", "sub_auth_id"],
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
