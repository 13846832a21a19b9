import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const GcloudSchema = v.strictObject({
  type: v.literal("gcloud"),
  project: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("Google Cloud project ID that holds the managed zones"),
  ),
  ...secretKeys("service_account", "Google Cloud service account key (the content of its JSON key file)"),
  token_endpoint: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"),
      v.description(
        "OAuth2 token endpoint (default: the key file's token_uri, else https://oauth2.googleapis.com/token)",
      ),
    ),
  ),
  ...restEntries({ endpoint: "https://dns.googleapis.com/dns/v1/", ttl: { min: 1, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "gcloud",
  service: "Google Cloud DNS",
  schema: GcloudSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
