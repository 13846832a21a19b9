/**
 * The config schema: the single source of truth for validation, defaults, the environment-variable
 * mapping (config/env.ts walks it), the JSON Schema for editors (scripts/schema.ts) and the README's
 * key table. Every default is written out here; adapters never invent their own.
 */
import * as v from "valibot";
import { DURATION_PATTERN } from "../core/duration.ts";
import { describeBadHostname } from "../core/records.ts";

function duration(defaultValue: string, description: string) {
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(DURATION_PATTERN, 'expected a duration like "30s", "5m" or "1h"'),
      v.description(description),
    ),
    defaultValue,
  );
}

const SOURCE_FORMATS = ["text", "json", "trace"] as const;

export const SourceSchema = v.union(
  [
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        'A built-in source name ("cloudflare", "ipify", "icanhazip", "ipinfo", "ipinfo-json") or an http(s) URL whose body is one address',
      ),
    ),
    v.strictObject({
      url: v.pipe(v.string(), v.description("URL of the source")),
      format: v.optional(
        v.pipe(
          v.picklist(SOURCE_FORMATS),
          v.description(
            "text: the body is the address; json: a field holds it; trace: Cloudflare trace format",
          ),
        ),
        "text",
      ),
      field: v.optional(
        v.pipe(v.string(), v.description('JSON field that holds the address (format = "json")')),
        "ip",
      ),
      name: v.optional(v.pipe(v.string(), v.description("Name used in messages (default: the URL's host)"))),
    }),
  ],
  'expected a source name, a URL, or a table like { url = "https://…", format = "json", field = "ip" }',
);

export const DEFAULT_SOURCES = ["cloudflare", "ipify", "ipinfo"] as const;

function familyDetect(label: string) {
  return v.optional(
    v.strictObject({
      sources: v.optional(
        v.pipe(
          v.array(SourceSchema),
          v.minLength(1),
          v.description(`Sources asked for the public ${label} address`),
        ),
        [...DEFAULT_SOURCES],
      ),
      quorum: v.optional(
        v.pipe(
          v.number(),
          v.integer(),
          v.minValue(1),
          v.description(
            "At least this many sources must report the same address (and it must be the strict majority)",
          ),
        ),
        2,
      ),
    }),
    {},
  );
}

const DreamHostSchema = v.strictObject({
  type: v.literal("dreamhost"),
  api_key: v.optional(
    v.pipe(v.string(), v.description("The API key itself (prefer api_key_file or the environment)")),
  ),
  api_key_file: v.optional(v.pipe(v.string(), v.description("File holding the API key (mode 0600)"))),
  endpoint: v.optional(v.pipe(v.string(), v.description("API endpoint")), "https://api.dreamhost.com/"),
  account: v.optional(
    v.pipe(v.string(), v.description("DreamHost account number, for keys that see several accounts")),
  ),
  comment: v.optional(
    v.pipe(v.string(), v.maxLength(100), v.description("Comment stored on records homing adds")),
    "homing",
  ),
  timeout: duration("30s", "Deadline of each API call"),
});

export const ProviderSchema = v.variant(
  "type",
  [DreamHostSchema],
  "expected a provider table with a known `type`",
);

export const PROVIDER_TYPES = ["dreamhost"] as const;

const RecordSchema = v.strictObject({
  name: v.pipe(
    v.string(),
    v.check(
      (name) => describeBadHostname(name) === undefined,
      "expected a fully qualified host name like home.example.com",
    ),
    v.description("The DNS name to keep pointing at this host"),
  ),
  provider: v.pipe(v.string(), v.description("Id of a [providers.<id>] table")),
  ipv4: v.optional(v.pipe(v.boolean(), v.description("Manage the A record")), true),
  ipv6: v.optional(v.pipe(v.boolean(), v.description("Manage the AAAA record")), false),
});

export const LOG_LEVELS = ["debug", "info", "notice", "warn", "error"] as const;

export const ConfigSchema = v.strictObject({
  state_dir: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        "State/cache and lock directory (default: $STATE_DIRECTORY, else /var/lib/homing as root, else ~/.local/state/homing)",
      ),
    ),
  ),
  recheck: duration("1h", "Re-verify at the provider after this long even when the address is unchanged"),
  timeout: duration("2m", "Deadline of one whole run"),
  log_level: v.optional(
    v.pipe(v.picklist(LOG_LEVELS), v.description("Least severe message printed")),
    "notice",
  ),
  log_format: v.optional(
    v.pipe(v.picklist(["text", "json"]), v.description("Log line format on stderr")),
    "text",
  ),
  detect: v.optional(
    v.strictObject({
      timeout: duration("5s", "Deadline of each detection request"),
      ipv4: familyDetect("IPv4"),
      ipv6: familyDetect("IPv6"),
    }),
    {},
  ),
  providers: v.optional(
    v.record(
      v.pipe(
        v.string(),
        v.regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a provider id of lower-case letters, digits, - and _"),
      ),
      ProviderSchema,
    ),
    {},
  ),
  records: v.optional(v.array(RecordSchema), []),
});

export type Config = v.InferOutput<typeof ConfigSchema>;
export type ProviderConfig = v.InferOutput<typeof ProviderSchema>;
export type DreamHostConfig = v.InferOutput<typeof DreamHostSchema>;
export type RecordConfig = v.InferOutput<typeof RecordSchema>;
export type SourceConfig = v.InferOutput<typeof SourceSchema>;
