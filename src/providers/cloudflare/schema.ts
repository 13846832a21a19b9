import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";

export const CloudflareSchema = v.strictObject({
  type: v.literal("cloudflare"),
  ...secretKeys(
    "api_token",
    "Cloudflare API token (Zone.DNS:Edit and Zone.Zone:Read; never the Global API Key)",
  ),
  zone: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        "Zone (domain) that holds the records, e.g. example.com; default: found by asking Cloudflare for each parent of the record name",
      ),
    ),
  ),
  ttl: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.check(
        (ttl) => ttl === 1 || (ttl >= 30 && ttl <= 86400),
        "expected 1 (automatic) or 30 to 86400 seconds",
      ),
      v.description(
        "TTL in seconds for the records homing writes (1 = automatic); default: keep an existing record's TTL, automatic for new ones",
      ),
    ),
  ),
  proxied: v.optional(
    v.pipe(
      v.boolean(),
      v.description(
        "Proxy the records through Cloudflare; default: keep an existing record's setting, not proxied for new ones",
      ),
    ),
  ),
  comment: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(100),
      v.regex(/^[^\r\n]*$/, "expected one line"),
      v.description(
        "Comment that marks the records homing created; homing only ever deletes duplicates that carry it",
      ),
    ),
    "managed by homing",
  ),
  endpoint: v.optional(
    v.pipe(v.string(), v.description("API base URL")),
    "https://api.cloudflare.com/client/v4/",
  ),
  timeout: duration("30s", "Deadline of each API call"),
});

export type CloudflareConfig = v.InferOutput<typeof CloudflareSchema>;

export const definition = defineProvider({
  type: "cloudflare",
  service: "Cloudflare",
  schema: CloudflareSchema,
  credentials:
    'create an API token at https://dash.cloudflare.com/profile/api-tokens with Zone.DNS:Edit and Zone.Zone:Read (the "Edit zone DNS" template plus Zone.Zone:Read)',
  ipv6: true,
  owns: "the A and AAAA records carrying its comment, or one unmarked record",
  change: "in-place",
  load: async () => {
    const { CloudflareProvider } = await import("./provider.ts");
    return { create: (id, config, context) => CloudflareProvider.create(id, config, context) };
  },
});
