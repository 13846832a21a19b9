/**
 * `homing providers [--json]` and the provider table of `homing init --provider <type>`, both read
 * from the catalog (src/providers/catalog.ts), the one registration list.
 */
import { PROVIDERS } from "../providers/catalog.ts";
import {
  type ProviderDefinition,
  requiredKeysOf,
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

/**
 * The `[providers.<id>]` table for a type (or a dyndns2 preset id): required keys set, secrets as
 * `<key>_file` in /etc/homing, every optional key commented out with its description and default.
 */
export function starterProvider(wanted: string): { id: string; type: string; table: string } | undefined {
  let definition = DEFINITIONS.find((d) => d.type === wanted);
  let preset: string | undefined;
  if (!definition) {
    definition = DEFINITIONS.find((d) => servicesOf(d).some((s) => s.preset === wanted));
    preset = definition ? wanted : undefined;
  }
  if (!definition) return undefined;
  const id = (preset ?? definition.type).replace(/[^a-z0-9_-]/gi, "");
  const entries = definition.schema.entries as unknown as Record<string, Node>;
  const secrets = new Set(secretKeysOf(definition));
  const required = new Set(requiredKeysOf(definition));
  const service = servicesOf(definition).find((s) => s.preset === preset) ?? servicesOf(definition)[0];
  const lines = [
    `# ${service?.service ?? definition.service}: docs/providers/${definition.type}.md`,
    `[providers.${id}]`,
    `type = "${definition.type}"`,
  ];
  if (preset) lines.push(`preset = "${preset}"`);
  for (const [key, node] of Object.entries(entries)) {
    if (key === "type" || key === "preset" || key.endsWith("_file")) continue;
    const about = descriptionOf(node);
    if (secrets.has(key)) {
      if (about)
        lines.push(
          `# ${about.replace(/ \(prefer .*\)$/, "")}; keep it in a file only you can read (chmod 600)`,
        );
      lines.push(`${key}_file = "/etc/homing/${id}.${key.replace(/_/g, "-")}"`);
    } else if (required.has(key)) {
      if (about) lines.push(`# ${about}`);
      lines.push(`${key} = "CHANGE-ME"`);
    } else if (!(preset && key === "server")) {
      const fallback = node.type === "optional" ? node.default : undefined;
      if (fallback === undefined) lines.push(`# ${key}: ${about ?? "optional"}`);
      else lines.push(`# ${key} = ${JSON.stringify(fallback)}${about ? `    # ${about}` : ""}`);
    }
  }
  return { id, type: definition.type, table: lines.join("\n") };
}
