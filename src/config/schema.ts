/**
 * The config schema: the single source of truth for validation, defaults, the environment-variable
 * mapping (config/env.ts walks it), the JSON Schema for editors (scripts/schema.ts) and the README's
 * key table. Every default is written out here; adapters never invent their own.
 *
 * Config knows nothing of the providers: `configSchema(providers)` receives their table schemas
 * (PROVIDER_SCHEMAS from src/providers/schemas.ts, passed in by the composition root and
 * scripts/schema.ts), so the dependency runs from providers to config, never back.
 */
import * as v from "valibot";
import { describeIpv6Suffix } from "../core/ipv6-suffix.ts";
import { describeBadHostname } from "../core/records.ts";
import { HttpTableSchema, SOURCE_TABLE_SCHEMAS } from "../detect/sources/index.ts";
import { duration, secretKeys } from "./schema-parts.ts";

/**
 * A detection source: a string (a built-in name, a URL, or a kind's shorthand like "upnp" or
 * "interface:eth0") or a table: `{ url = … }` as before, or `{ kind = "<kind>", …its settings }`.
 * The kinds and their table schemas come from the source registry (detect/sources/index.ts, which
 * holds schemas and lazy loaders only); config/load.ts checks strings and kind tables with it too.
 */
export const SourceSchema = v.union(
  [
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        'A built-in source name ("cloudflare", "ipify", "icanhazip", "ipinfo", "ipinfo-json"), an http(s) URL whose body is one address, or a shorthand: "interface", "interface:eth0", "upnp", "natpmp", "pcp", "fritzbox", "dns:cloudflare", "dns:opendns", "dns:google"',
      ),
    ),
    HttpTableSchema,
    v.variant("kind", SOURCE_TABLE_SCHEMAS, "expected a source table with a known `kind`"),
  ],
  'expected a source name, a URL, a shorthand like "upnp", or a table like { url = "https://…" } or { kind = "interface", interface = "eth0" }',
);

export const DEFAULT_SOURCES = ["cloudflare", "ipify", "ipinfo"] as const;

/** `[detect.ipv6] temporary`: what to do when an echo service answers a temporary address of this host. */
export const TEMPORARY_POLICIES = ["refuse", "replace"] as const;

const ipv6Only = {
  temporary: v.optional(
    v.pipe(
      v.picklist(TEMPORARY_POLICIES),
      v.description(
        'When an echo source answers a temporary (privacy) IPv6 address of this host: "refuse" that answer, or "replace" it with the stable address of the same interface',
      ),
    ),
    "refuse",
  ),
};

function familyDetect(label: string) {
  return {
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
  };
}

/** The schemas of the provider tables: one strict object per provider `type`. */
export type ProviderVariants = v.VariantOptions<"type">;

/** One table per provider account; `type` picks the provider's own schema. */
export function providerSchema<const P extends ProviderVariants>(providers: P) {
  return v.variant("type", providers, "expected a provider table with a known `type`");
}

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
  ipv6_suffix: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (suffix) => describeIpv6Suffix(suffix) === undefined,
        'expected an interface identifier like "::1234:5678:9abc:def0" (an IPv6 address whose first 64 bits are zero)',
      ),
      v.description(
        "Publish the detected IPv6 prefix combined with this interface identifier (for a LAN host such as a NAS), instead of the detected address",
      ),
    ),
  ),
});

/** `[bridge] trust`: how a pushed address is used. */
export const BRIDGE_TRUST = ["router", "quorum"] as const;

const BridgeClientSchema = v.strictObject({
  user: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9._@-]{1,64}$/, "expected a user name of letters, digits, . _ @ and - (at most 64)"),
    v.description("The user name the router sends"),
  ),
  password_hash: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=_-]+\$[A-Za-z0-9+/=_-]+$/,
        "expected scrypt$N$r$p$salt$hash, as `homing bridge hash-password` prints",
      ),
      v.description("The password's scrypt hash, from `homing bridge hash-password` (reads stdin)"),
    ),
  ),
  password_file: v.optional(
    v.pipe(v.string(), v.description("File holding the password in plain text (mode 0600)")),
  ),
  hostnames: v.pipe(
    v.array(v.string()),
    v.minLength(1),
    v.description("Names of [[records]] this client may update; any other name is answered nohost"),
  ),
});

export const LOG_LEVELS = ["debug", "info", "notice", "warn", "error"] as const;

/** Every top-level key but `providers` and `records`, which come last in the schema. */
const SETTINGS = {
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
      ipv4: v.optional(v.strictObject(familyDetect("IPv4")), {}),
      ipv6: v.optional(v.strictObject({ ...familyDetect("IPv6"), ...ipv6Only }), {}),
    }),
    {},
  ),
  daemon: v.optional(
    v.strictObject({
      interval: duration("5m", "Time between rounds of `homing daemon`"),
      watch: v.optional(
        v.pipe(
          v.boolean(),
          v.description(
            "Run a round within a second of a kernel address change (`ip monitor address`); default: on when an interface source is configured",
          ),
        ),
      ),
      cron: v.optional(
        v.pipe(v.string(), v.description('A cron expression ("*/5 * * * *", "@hourly") instead of interval')),
      ),
      jitter: duration(
        "15s",
        "Random delay added to each scheduled round, so many clients do not all call at once",
      ),
      max_backoff: duration("1h", "Longest wait between retries after failed rounds"),
      shutdown_timeout: duration(
        "10s",
        "On SIGTERM, how long an in-flight round may take before it is aborted",
      ),
    }),
    {},
  ),
  status: v.optional(
    v.strictObject({
      listen: v.optional(
        v.pipe(
          v.string(),
          v.description(
            'Serve the status page, /healthz and /metrics on this address ("127.0.0.1:8080"); off when unset',
          ),
        ),
      ),
      ...secretKeys("auth_token", "Bearer token required for every page and API"),
      basic_user: v.optional(
        v.pipe(v.string(), v.description("User name for HTTP basic auth on every page")),
      ),
      ...secretKeys("basic_password", "Password for HTTP basic auth"),
      ...secretKeys("update_token", "Bearer token that enables POST /api/update (off without one)"),
      health_grace: duration("15m", "/healthz stays 200 while the last failure is younger than this"),
      refresh: duration("60s", "How often the status page reloads itself"),
    }),
    {},
  ),
  bridge: v.optional(
    v.strictObject({
      listen: v.optional(
        v.pipe(
          v.string(),
          v.description(
            'Serve the router bridge (a dyndns2 update endpoint) on this address ("127.0.0.1:8245"); off when unset. A bare ":8245" binds loopback',
          ),
        ),
      ),
      trust: v.optional(
        v.pipe(
          v.picklist(BRIDGE_TRUST),
          v.description(
            '"router": publish the pushed address alone; "quorum": the push is one source among detection\'s',
          ),
        ),
        "router",
      ),
      clients: v.optional(v.array(BridgeClientSchema), []),
    }),
    {},
  ),
  notify: v.optional(
    v.strictObject({
      urls: v.optional(
        v.pipe(
          v.array(v.string()),
          v.description(
            "Notification targets as shoutrrr-style URLs (ntfy://, gotify://, discord://, slack://, telegram://, smtp://, generic+https://)",
          ),
        ),
        [],
      ),
      urls_file: v.optional(
        v.pipe(
          v.string(),
          v.description("File with more notification URLs, one per line (they often hold tokens)"),
        ),
      ),
      failure_threshold: v.optional(
        v.pipe(
          v.number(),
          v.integer(),
          v.minValue(1),
          v.description("Tell after a record fails this many rounds in a row, and again when it recovers"),
        ),
        3,
      ),
      start_stop: v.optional(
        v.pipe(v.boolean(), v.description("Also tell when the daemon starts and stops")),
        false,
      ),
      timeout: duration("10s", "Deadline of each notification request"),
    }),
    {},
  ),
  heartbeat: v.optional(
    v.strictObject({
      healthchecks: v.optional(
        v.pipe(
          v.string(),
          v.description(
            "healthchecks.io ping URL (https://hc-ping.com/<uuid>); start/success/fail per round",
          ),
        ),
      ),
      uptime_kuma: v.optional(
        v.pipe(v.string(), v.description("Uptime Kuma push URL (https://kuma.example/api/push/<token>)")),
      ),
    }),
    {},
  ),
};

const ProviderIdSchema = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a provider id of lower-case letters, digits, - and _"),
);

/** The config schema, with `providers` tables checked against the given provider schemas. */
export function configSchema<const P extends ProviderVariants>(providers: P) {
  return v.strictObject({
    ...SETTINGS,
    providers: v.optional(v.record(ProviderIdSchema, providerSchema(providers)), {}),
    records: v.optional(v.array(RecordSchema), []),
  });
}

/**
 * A provider table as config sees it: its `type` and its keys. The provider's own schema says what
 * the keys are; `ConfigWith` has that precise type.
 */
export type ProviderTable = { readonly type: string } & { readonly [key: string]: unknown };

/** The config as everything below the composition root reads it (provider tables opaque). */
export type Config = v.InferOutput<v.StrictObjectSchema<typeof SETTINGS, undefined>> & {
  providers: Record<string, ProviderTable>;
  records: RecordConfig[];
};
/** The config with each provider table typed by the schemas it was validated with. */
export type ConfigWith<P extends ProviderVariants> = v.InferOutput<ReturnType<typeof configSchema<P>>>;
export type RecordConfig = v.InferOutput<typeof RecordSchema>;
export type BridgeClientConfig = v.InferOutput<typeof BridgeClientSchema>;
