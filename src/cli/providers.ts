/**
 * `homing providers [--json]` and the provider table of `homing init --provider <type>`, both read
 * from the catalog (src/providers/catalog.ts), the one registration list.
 */
import * as v from "valibot";
import { PROVIDERS } from "../providers/catalog.ts";
import {
  type ProviderDefinition,
  requiredKeysOf,
  type ServiceEntry,
  secretKeysOf,
  servicesOf,
} from "../providers/kit/define.ts";
import type { ChangeStrategy } from "../providers/provider.ts";

/** One object of `homing providers --json`. */
export interface ServiceListing {
  service: string;
  type: string;
  preset?: string;
  secrets: string[];
  required: string[];
  ipv6: boolean;
  change: ChangeStrategy;
}

const DEFINITIONS = PROVIDERS as readonly unknown[] as readonly ProviderDefinition[];

/** Every service homing can update, one entry each (a dyndns2 preset is a service of its own). */
export function serviceListing(): ServiceListing[] {
  return DEFINITIONS.flatMap((definition) => {
    const secrets = secretKeysOf(definition);
    const required = requiredKeysOf(definition);
    return servicesOf(definition).map((entry) => ({
      service: entry.service,
      type: definition.type,
      ...(entry.preset !== undefined ? { preset: entry.preset } : {}),
      secrets,
      required:
        entry.preset !== undefined ? ["preset", ...required.filter((key) => key !== "server")] : required,
      ipv6: entry.ipv6,
      change: entry.change,
    }));
  });
}

const CHANGE_WORDS: Record<ChangeStrategy, string> = {
  "in-place": "updates the record in place",
  rrset: "replaces the whole A/AAAA set at once",
  "add-remove": "adds the new record, then removes the old",
  "update-url": "calls an update URL (cannot list)",
};

export function describeChange(change: ChangeStrategy): string {
  return CHANGE_WORDS[change];
}

/** The text table of `homing providers`. */
export function renderServiceTable(listing: readonly ServiceListing[]): string {
  const rows = listing.map((entry) => [
    entry.service,
    entry.preset ? `${entry.type} (preset = "${entry.preset}")` : entry.type,
    entry.ipv6 ? "yes" : "no",
    entry.change,
    entry.secrets.join(", ") || "-",
  ]);
  const header = ["SERVICE", "TYPE", "IPV6", "CHANGE", "SECRETS"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ");
  return [
    line(header),
    ...rows.map(line),
    "",
    `${listing.length} services. CHANGE: ${Object.entries(CHANGE_WORDS)
      .map(([key, words]) => `${key} ${words}`)
      .join("; ")}.`,
    "Start a config for one: homing init --provider <type or preset>. Docs: docs/providers/<type>.md.",
  ].join("\n");
}

interface Node {
  type: string;
  wrapped?: Node;
  pipe?: readonly { type?: string; description?: string }[];
  default?: unknown;
  literal?: unknown;
}

function descriptionOf(node: Node): string | undefined {
  for (let current: Node | undefined = node; current; current = current.wrapped) {
    const found = current.pipe?.find((item) => item.type === "description")?.description;
    if (found) return found;
  }
  return undefined;
}

/** What `homing init` fills in: answered keys, and the files that hold the typed secrets. */
export interface ProviderAnswers {
  /** Non-secret keys (required or setup keys), as validated by `settingValue`. */
  values?: Readonly<Record<string, string | number>>;
  /** Secret key → the file that holds it; a secret left out is written commented out. */
  secretFiles?: Readonly<Record<string, string>>;
}

function findService(
  given: string,
): { definition: ProviderDefinition; preset: string | undefined; service: ServiceEntry } | undefined {
  let wanted = given;
  // "dyndns2:<preset>" names a preset whose id is also a type (desec, ovh, inwx, …).
  const qualified = /^dyndns2:(.+)$/.exec(wanted)?.[1];
  let definition = qualified === undefined ? DEFINITIONS.find((d) => d.type === wanted) : undefined;
  let preset: string | undefined;
  if (qualified !== undefined) wanted = qualified;
  if (!definition) {
    definition = DEFINITIONS.find((d) => servicesOf(d).some((s) => s.preset === wanted));
    preset = definition ? wanted : undefined;
  }
  if (!definition) return undefined;
  const services = servicesOf(definition);
  const service = services.find((s) => s.preset === preset) ?? services[0];
  return service ? { definition, preset, service } : undefined;
}

/** The `[providers.<id>]` id of a starter table: the preset id, else the type. */
function tableIdOf(type: string, preset: string | undefined): string {
  return (preset ?? type).replace(/[^a-z0-9_-]/gi, "");
}

const tomlValue = (value: string | number): string =>
  typeof value === "number" ? String(value) : JSON.stringify(value);

/**
 * The `[providers.<id>]` table for a type (or a dyndns2 preset id): required keys set, secrets as
 * `<key>_file` in /etc/homing, every optional key commented out with its description and default.
 * With `answers` (the interactive `homing init`), the answered keys and secret files instead.
 */
export function starterProvider(
  wanted: string,
  answers?: ProviderAnswers,
): { id: string; type: string; table: string } | undefined {
  const found = findService(wanted);
  if (!found) return undefined;
  const { definition, preset, service } = found;
  const id = tableIdOf(definition.type, preset);
  const entries = definition.schema.entries as unknown as Record<string, Node>;
  const secrets = new Set(secretKeysOf(definition));
  const required = new Set(requiredKeysOf(definition));
  const values = answers?.values ?? {};
  const lines = [
    `# ${service.service}: docs/providers/${definition.type}.md`,
    `[providers.${id}]`,
    `type = "${definition.type}"`,
  ];
  if (preset) lines.push(`preset = "${preset}"`);
  for (const [key, node] of Object.entries(entries)) {
    if (key === "type" || key === "preset" || key.endsWith("_file")) continue;
    const about = descriptionOf(node);
    const answered = Object.hasOwn(values, key) ? values[key] : undefined;
    if (secrets.has(key)) {
      if (about)
        lines.push(
          `# ${about.replace(/ \(prefer .*\)$/, "")}; keep it in a file only you can read (chmod 600)`,
        );
      const file = answers?.secretFiles?.[key];
      if (answers?.secretFiles && file === undefined)
        lines.push(`# ${key}_file = "/etc/homing/${id}.${key.replace(/_/g, "-")}"    # not used`);
      else
        lines.push(`${key}_file = ${JSON.stringify(file ?? `/etc/homing/${id}.${key.replace(/_/g, "-")}`)}`);
    } else if (answered !== undefined) {
      if (about) lines.push(`# ${about}`);
      lines.push(`${key} = ${tomlValue(answered)}`);
    } else if (required.has(key)) {
      if (about) lines.push(`# ${about}`);
      lines.push(`${key} = "CHANGE-ME"`);
    } else if (!(preset && (key === "server" || key === "endpoint"))) {
      const fallback = node.type === "optional" ? node.default : undefined;
      if (fallback === undefined) lines.push(`# ${key}: ${about ?? "optional"}`);
      else lines.push(`# ${key} = ${JSON.stringify(fallback)}${about ? `    # ${about}` : ""}`);
    }
  }
  return { id, type: definition.type, table: lines.join("\n") };
}

/** One key `homing init` asks for. */
export interface AskedKey {
  key: string;
  /** The schema's description, without the "(prefer …_file)" advice. */
  about: string | undefined;
  /** Required keys are asked again on an empty answer; others may be left out. */
  required: boolean;
}

/** A service as the interactive `homing init` offers it: what to ask, from the registration. */
export interface InitService {
  /** What `--provider` and the prompt accept: the preset id, else the type. */
  name: string;
  /** The id of its `[providers.<id>]` table (`starterProvider` gives the same). */
  id: string;
  service: string;
  type: string;
  preset?: string;
  ipv6: boolean;
  /** Non-secret keys: the required ones, then the service's setup keys. */
  settings: AskedKey[];
  /**
   * Secret keys: the first is required (unless the definition says `secretsOptional`), later ones
   * may be left out (alternatives, session tokens).
   */
  secrets: AskedKey[];
  credentials?: string;
}

/**
 * Every service with the keys `homing init` asks for: the API providers in catalog order, then the
 * dyndns2 services (a preset whose id is also a type is named `dyndns2:<preset>`).
 */
export function initServices(): InitService[] {
  const types = new Set(DEFINITIONS.map((definition) => definition.type));
  const services = DEFINITIONS.flatMap((definition) => {
    const entries = definition.schema.entries as unknown as Record<string, Node>;
    const about = (key: string) => {
      const node = entries[key];
      return node ? descriptionOf(node)?.replace(/ \(prefer .*\)$/, "") : undefined;
    };
    const secretKeys = secretKeysOf(definition);
    return servicesOf(definition).map((entry) => {
      const required = requiredKeysOf(definition).filter(
        (key) => !(entry.preset !== undefined && key === "server"),
      );
      const setup = (entry.setup ?? []).filter((key) => !required.includes(key) && key in entries);
      const name = entry.preset === undefined ? definition.type : entry.preset;
      return {
        name: types.has(name) && entry.preset !== undefined ? `dyndns2:${name}` : name,
        id: tableIdOf(definition.type, entry.preset),
        service: entry.service,
        type: definition.type,
        ...(entry.preset !== undefined ? { preset: entry.preset } : {}),
        ipv6: entry.ipv6,
        settings: [
          ...required.map((key) => ({ key, about: about(key), required: true })),
          ...setup.map((key) => ({ key, about: about(key), required: false })),
        ],
        secrets: secretKeys.map((key, index) => ({
          key,
          about: about(key),
          required: index === 0 && definition.secretsOptional !== true,
        })),
        ...(entry.credentials !== undefined ? { credentials: entry.credentials } : {}),
      };
    });
  });
  return [
    ...services.filter((service) => service.preset === undefined),
    ...services.filter((service) => service.preset !== undefined),
  ];
}

/**
 * An answer for a provider key, checked against the provider's schema: the value to write, or what
 * is wrong with it. Digits become a number when the key takes one.
 */
export function settingValue(
  type: string,
  key: string,
  text: string,
): { ok: true; value: string | number } | { ok: false; error: string } {
  const definition = DEFINITIONS.find((d) => d.type === type);
  const schema = (definition?.schema.entries as Record<string, v.GenericSchema> | undefined)?.[key];
  if (!schema) return { ok: false, error: `no key "${key}" in a ${type} table` };
  const candidates: Array<string | number> = [text];
  if (/^-?\d+$/.test(text)) candidates.push(Number(text));
  let error = "not accepted";
  for (const candidate of candidates) {
    const result = v.safeParse(schema, candidate);
    if (result.success) return { ok: true, value: candidate };
    error = result.issues[0]?.message ?? error;
  }
  return { ok: false, error };
}
