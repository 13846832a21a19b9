/**
 * The registry of detection source kinds: each kind once, with
 * - `table`: its valibot table schema (`{ kind = "<kind>", ...its settings }`), which the config
 *   schema reads (config imports this module and nothing else of detect's);
 * - `shorthand`: its string form (`"upnp"`, `"interface:eth0"`, `"dns:cloudflare"`), turned into
 *   the same table;
 * - `load`: a dynamic import of the implementation, so a run that uses only HTTP echo services
 *   loads nothing else (the cron hot path).
 *
 * This module must stay light: valibot, types, and no `node:*` import. Implementations live in
 * `./<kind>.ts` and export `create(table, context): DetectionSource`.
 *
 * Adding a kind: one entry in KINDS below (schema, shorthand, `load: () => import("./<kind>.ts")`),
 * then its section in the README. A kind whose implementation is not merged yet keeps
 * `load: notBuilt("<kind>")`: config accepts it, `homing detect` reports it as failed.
 */
import * as v from "valibot";
import { didYouMean } from "../../core/suggest.ts";
import { BUILTIN_SOURCE_NAMES } from "../builtin-sources.ts";
import { DNS_RESOLVERS, DnsTableSchema, dnsShorthand } from "./dns-table.ts";
import { InterfaceSourceSchema, interfaceShorthand } from "./interface-table.ts";
import { FRITZBOX_TABLE, NATPMP_TABLE, PCP_TABLE, UPNP_TABLE } from "./router-tables.ts";
import type { DetectionSource, SourceContext } from "./source.ts";

/** A source table after validation: its kind and that kind's settings. */
export type SourceTable = { readonly kind: string; readonly name?: string | undefined } & {
  readonly [key: string]: unknown;
};

/** What a kind's module exports. `table` is the output of the kind's own schema. */
export interface SourceModule {
  // biome-ignore lint/suspicious/noExplicitAny: each kind narrows the table to its own schema's output
  create(table: any, context: SourceContext): DetectionSource;
}

export type ShorthandResult = { ok: true; table: SourceTable } | { ok: false; error: string };

export interface SourceKind {
  kind: string;
  /** One line for messages and the README: when to use it. */
  summary: string;
  /** The string forms, for messages ("upnp", "interface:<name>"). */
  shorthands: readonly string[];
  /** Parses the text after `<kind>` (`argument` is what follows ":", undefined without one). */
  shorthand(argument: string | undefined): ShorthandResult;
  load(): Promise<SourceModule>;
}

const nameKey = v.optional(
  v.pipe(v.string(), v.minLength(1), v.description("Name used in reports (default: the kind's own)")),
);

function kindLiteral<const K extends string>(kind: K, what: string) {
  return v.pipe(v.literal(kind), v.description(what));
}

const SOURCE_FORMATS = ["text", "json", "trace"] as const;

/** The http keys, shared by `{ url = ... }` (no kind, as before issue 11) and `{ kind = "http", url = ... }`. */
const HTTP_KEYS = {
  url: v.pipe(v.string(), v.description("URL of the source")),
  format: v.optional(
    v.pipe(
      v.picklist(SOURCE_FORMATS),
      v.description("text: the body is the address; json: a field holds it; trace: Cloudflare trace format"),
    ),
    "text",
  ),
  field: v.optional(
    v.pipe(v.string(), v.description('JSON field that holds the address (format = "json")')),
    "ip",
  ),
  name: v.optional(v.pipe(v.string(), v.description("Name used in messages (default: the URL's host)"))),
};

/** `{ url = "https://…" }`: an HTTP echo service, the table form every config before issue 11 used. */
export const HttpTableSchema = v.strictObject(HTTP_KEYS);

export { DNS_RESOLVERS };

/** The table schema of each kind, in registry order. */
export const SOURCE_TABLE_SCHEMAS = [
  v.strictObject({ kind: kindLiteral("http", "An HTTP echo service"), ...HTTP_KEYS }),
  InterfaceSourceSchema,
  UPNP_TABLE,
  NATPMP_TABLE,
  PCP_TABLE,
  FRITZBOX_TABLE,
  DnsTableSchema,
  v.strictObject({
    kind: kindLiteral("fixed", "A fixed answer: for static setups and tests"),
    address: v.optional(v.pipe(v.string(), v.description("The address this source always answers"))),
    prefix: v.optional(
      v.pipe(v.string(), v.description('The IPv6 prefix it always answers ("2001:db8:1200::/56")')),
    ),
    name: nameKey,
  }),
] as const;

function _notBuilt(kind: string): () => Promise<SourceModule> {
  return () => Promise.reject(new Error(`the "${kind}" source is not part of this build of homing`));
}

const noArgument =
  (kind: string) =>
  (argument: string | undefined): ShorthandResult =>
    argument === undefined
      ? { ok: true, table: { kind } }
      : {
          ok: false,
          error: `"${kind}" takes no argument; write "${kind}", or a table { kind = "${kind}", ... }`,
        };

export const SOURCE_KINDS: readonly SourceKind[] = [
  {
    kind: "http",
    summary: "an HTTP echo service: a built-in name or a URL",
    shorthands: [...BUILTIN_SOURCE_NAMES, "https://…"],
    // Strings of the http kind are built-in names or URLs; parseSourceString handles both itself.
    shorthand: () => ({ ok: false, error: 'write a built-in name or a URL, not "http"' }),
    load: () => import("./http.ts"),
  },
  {
    kind: "interface",
    summary: "the stable addresses of this host's interfaces",
    shorthands: ["interface", "interface:<name>"],
    shorthand: interfaceShorthand,
    load: () => import("./interface.ts"),
  },
  {
    kind: "upnp",
    summary: "the router, over UPnP IGD",
    shorthands: ["upnp"],
    shorthand: noArgument("upnp"),
    load: () => import("./upnp.ts"),
  },
  {
    kind: "natpmp",
    summary: "the router, over NAT-PMP",
    shorthands: ["natpmp"],
    shorthand: noArgument("natpmp"),
    load: () => import("./natpmp.ts"),
  },
  {
    kind: "pcp",
    summary: "the router, over PCP",
    shorthands: ["pcp"],
    shorthand: noArgument("pcp"),
    load: () => import("./pcp.ts"),
  },
  {
    kind: "fritzbox",
    summary: "a Fritz!Box, over IGD or TR-064",
    shorthands: ["fritzbox"],
    shorthand: noArgument("fritzbox"),
    load: () => import("./fritzbox.ts"),
  },
  {
    kind: "dns",
    summary: "a DNS service that answers with the address it sees",
    shorthands: DNS_RESOLVERS.map((resolver) => `dns:${resolver}`),
    shorthand: dnsShorthand,
    load: () => import("./dns.ts"),
  },
  {
    kind: "fixed",
    summary: "a fixed answer, for static setups and tests",
    shorthands: ["fixed:<address>"],
    shorthand: (argument) =>
      argument === undefined
        ? {
            ok: false,
            error:
              '"fixed" needs an address: "fixed:<address>", or a table { kind = "fixed", address = "…" }',
          }
        : { ok: true, table: { kind: "fixed", address: argument } },
    load: () => import("./fixed.ts"),
  },
];

export const SOURCE_KIND_NAMES: readonly string[] = SOURCE_KINDS.map((entry) => entry.kind);

export function sourceKind(kind: string): SourceKind | undefined {
  return SOURCE_KINDS.find((entry) => entry.kind === kind);
}

/** Every string form, for "did you mean" and messages. */
function stringForms(): string[] {
  return SOURCE_KINDS.flatMap((entry) => entry.shorthands);
}

/**
 * A source string as a table: a URL or a built-in name (kind http), or `<kind>[:<argument>]`.
 * Anything else is an error that says what was meant and what is allowed.
 */
export function parseSourceString(text: string): ShorthandResult {
  if (/^https?:/i.test(text)) return { ok: true, table: { kind: "http", url: text } };
  if (BUILTIN_SOURCE_NAMES.includes(text)) return { ok: true, table: { kind: "http", builtin: text } };
  const colon = text.indexOf(":");
  const kindName = colon === -1 ? text : text.slice(0, colon);
  const argument = colon === -1 ? undefined : text.slice(colon + 1);
  const entry = kindName === "http" ? undefined : sourceKind(kindName);
  if (entry) return entry.shorthand(argument);
  const forms = stringForms();
  const suggestion =
    didYouMean(
      text,
      forms.filter((form) => !form.includes("<") && !form.includes("…")),
    ) ?? didYouMean(kindName, SOURCE_KIND_NAMES);
  return {
    ok: false,
    error:
      `unknown source "${text}"` +
      (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
      `; use a built-in name (${BUILTIN_SOURCE_NAMES.join(", ")}), an https:// URL, or one of: ` +
      forms.filter((form) => !BUILTIN_SOURCE_NAMES.includes(form) && form !== "https://…").join(", "),
  };
}

/** A source as config holds it (detect's own type; the config schema's output satisfies it). */
export type SourceConfig =
  | string
  | { url: string; format: (typeof SOURCE_FORMATS)[number]; field: string; name?: string | undefined }
  | SourceTable;

/** Any source config as a table with its kind. Throws on a string that does not parse (config checked it). */
export function sourceTable(spec: SourceConfig): SourceTable {
  if (typeof spec === "string") {
    const parsed = parseSourceString(spec);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.table;
  }
  return "kind" in spec && typeof spec.kind === "string" ? spec : { kind: "http", ...spec };
}

/** The interfaces the config's `interface` sources read ("*": every interface), for the daemon's address watch. */
export function watchedInterfaces(specs: readonly SourceConfig[]): Set<string> {
  const out = new Set<string>();
  for (const spec of specs) {
    const table = sourceTable(spec);
    if (table.kind === "interface") out.add((table as { interface?: string }).interface ?? "*");
  }
  return out;
}

/** Builds the sources of one family, loading each kind's module once, on first use. */
export async function createSources(
  specs: readonly SourceConfig[],
  context: SourceContext,
): Promise<DetectionSource[]> {
  const modules = new Map<string, Promise<SourceModule>>();
  return Promise.all(
    specs.map(async (spec) => {
      const table = sourceTable(spec);
      const entry = sourceKind(table.kind);
      if (!entry) throw new Error(`unknown source kind "${table.kind}"`);
      let module = modules.get(entry.kind);
      if (!module) {
        module = entry.load();
        modules.set(entry.kind, module);
      }
      try {
        return (await module).create(table, context);
      } catch (error) {
        return brokenSource(table, error as Error);
      }
    }),
  );
}

/** A source whose module could not load: it fails every ask with the reason, so the rest still run. */
function brokenSource(table: SourceTable, error: Error): DetectionSource {
  return {
    kind: table.kind,
    name: table.name ?? table.kind,
    where: "-",
    ask: () => Promise.reject(error),
  };
}
