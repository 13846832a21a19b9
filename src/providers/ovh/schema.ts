import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

/** OVHcloud's API endpoints by the names its own tools use (python-ovh, ddns-updater). */
export const OVH_ENDPOINTS = {
  "ovh-eu": "https://eu.api.ovh.com/1.0/",
  "ovh-ca": "https://ca.api.ovh.com/1.0/",
  "ovh-us": "https://api.us.ovhcloud.com/1.0/",
  "kimsufi-eu": "https://eu.api.kimsufi.com/1.0/",
  "kimsufi-ca": "https://ca.api.kimsufi.com/1.0/",
  "soyoustart-eu": "https://eu.api.soyoustart.com/1.0/",
  "soyoustart-ca": "https://ca.api.soyoustart.com/1.0/",
} as const;

export const OvhSchema = v.strictObject({
  type: v.literal("ovh"),
  application_key: v.pipe(v.string(), v.minLength(1), v.description("OVH application key (AK), not secret")),
  ...secretKeys("application_secret", "OVH application secret (AS)"),
  ...secretKeys("consumer_key", "OVH consumer key (CK)"),
  ...restEntries({
    endpoint: OVH_ENDPOINTS["ovh-eu"],
    ttl: {
      min: 0,
      max: 2_147_483_647,
      description:
        "TTL in seconds of the records homing writes (0 = the zone's default); default: the service's",
    },
  }),
  endpoint: v.optional(
    v.union([
      v.picklist(Object.keys(OVH_ENDPOINTS) as (keyof typeof OVH_ENDPOINTS)[]),
      v.pipe(
        v.string(),
        v.regex(/^https?:\/\/[^/\s]+/, "expected ovh-eu, ovh-ca, ovh-us, … or an http(s) URL"),
      ),
    ]),
    "ovh-eu",
  ),
});

export const definition = defineProvider({
  type: "ovh",
  service: "OVHcloud",
  schema: OvhSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
