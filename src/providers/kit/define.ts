/**
 * One registration per provider. A definition holds what every other part of homing needs to know
 * about a provider without loading its code: the config schema (which feeds the config loader, the
 * JSON Schema and the environment mapping), the services it reaches (`homing providers`, the README
 * table), how it changes records, and a lazy `load()` of its implementation. The list of
 * definitions is `src/providers/catalog.ts`.
 */
import * as v from "valibot";
import { duration } from "../../config/schema-parts.ts";
import type { ChangeStrategy, DnsProvider, ProviderContext } from "../provider.ts";

/** One row of `homing providers`: a service homing can update, and how. */
export interface ServiceEntry {
  /** The display name ("Porkbun", "No-IP"). */
  service: string;
  /** For a dyndns2 preset: the value of the `preset` key. */
  preset?: string;
  ipv6: boolean;
  change: ChangeStrategy;
  /**
   * Optional keys the interactive `homing init` asks for besides the secrets and the required keys
   * (an empty answer leaves one out): a dyndns2 username, a ClouDNS auth id. Default: the
   * definition's `setup`.
   */
  setup?: readonly string[];
  /** Where the user gets the credentials, shown by `homing init` before it asks for them. */
  credentials?: string;
}

export interface ProviderModule<C> {
  create(id: string, config: C, context: ProviderContext): Promise<DnsProvider>;
}

type AnySchema =
  | v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>
  | v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>;

export interface ProviderDefinition<T extends string = string, S extends AnySchema = AnySchema> {
  /** The config's `type`. */
  type: T;
  /** The service's display name. */
  service: string;
  schema: S;
  /** Whether the service takes AAAA records. */
  ipv6: boolean;
  change: ChangeStrategy;
  /**
   * What homing owns at a managed name, in a few words, for the README table ("every A and AAAA
   * row"); default: by the change strategy (`ownsByDefault`).
   */
  owns?: string;
  /** The services behind this type, when there are several (dyndns2 presets); default: one, `service`. */
  services?: readonly ServiceEntry[];
  /** Optional keys `homing init` asks for (see `ServiceEntry.setup`). */
  setup?: readonly string[];
  /** Where the user gets the credentials (see `ServiceEntry.credentials`). */
  credentials?: string;
  /**
   * The service works without any secret (an unsigned RFC 2136 update allowed by address, a custom
   * URL that carries no secret): `homing init` lets every secret be left out. Default: the first
   * secret is required.
   */
  secretsOptional?: boolean;
  /** The implementation, loaded only when a config uses this type. */
  load(): Promise<ProviderModule<v.InferOutput<S>>>;
}

export function defineProvider<const T extends string, S extends AnySchema>(
  definition: ProviderDefinition<T, S> & { schema: S & { entries: { type: v.LiteralSchema<T, undefined> } } },
): ProviderDefinition<T, S> {
  return definition;
}

/** The secret keys of a schema: each `<key>` that also has `<key>_file`. */
export function secretKeysOf(definition: ProviderDefinition): string[] {
  const entries = definition.schema.entries;
  return Object.keys(entries).filter((key) => Object.hasOwn(entries, `${key}_file`));
}

/** The keys a config must set besides `type` and the secrets. */
export function requiredKeysOf(definition: ProviderDefinition): string[] {
  const entries = definition.schema.entries;
  const secrets = new Set(secretKeysOf(definition).flatMap((key) => [key, `${key}_file`]));
  return Object.keys(entries).filter(
    (key) => key !== "type" && !secrets.has(key) && (entries[key] as { type: string }).type !== "optional",
  );
}

const OWNS: Record<ChangeStrategy, string> = {
  "in-place": "every A and AAAA row at the name",
  "add-remove": "every A and AAAA row at the name",
  rrset: "the whole A and AAAA set at the name",
  "update-url": "the name's address at the service",
};

/** What homing owns at a name of this provider, for the README table. */
export function ownsOf(definition: ProviderDefinition): string {
  return definition.owns ?? OWNS[definition.change];
}

/** Every service of a definition, as `homing providers` lists it. */
export function servicesOf(definition: ProviderDefinition): readonly ServiceEntry[] {
  return (
    definition.services ?? [
      {
        service: definition.service,
        ipv6: definition.ipv6,
        change: definition.change,
        ...(definition.setup ? { setup: definition.setup } : {}),
        ...(definition.credentials ? { credentials: definition.credentials } : {}),
      },
    ]
  );
}

/** The keys every REST provider shares: `endpoint` (the API's base URL), `zone`, `ttl`, `timeout`. */
export function restEntries(options: {
  endpoint: string;
  ttl?: { min: number; max: number; description?: string };
}) {
  const ttl = options.ttl ?? { min: 1, max: 2_147_483_647 };
  return {
    endpoint: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"),
        v.description("API base URL (default: the service's own)"),
      ),
      options.endpoint,
    ),
    zone: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.description(
          "Zone (domain) that holds the records, e.g. example.com; default: found by asking the API for each parent of the record name",
        ),
      ),
    ),
    ttl: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(ttl.min),
        v.maxValue(ttl.max),
        v.description(
          ttl.description ??
            `TTL in seconds of the records homing writes (${ttl.min} to ${ttl.max}); default: the service's`,
        ),
      ),
    ),
    timeout: duration("30s", "Deadline of each API call"),
  };
}
