import { statSync } from "node:fs";
import { extname, join } from "node:path";
import * as v from "valibot";
import { parseDuration } from "../core/duration.ts";
import { parseAddress } from "../core/ip.ts";
import { normalizeName } from "../core/records.ts";
import { didYouMean } from "../core/suggest.ts";
import {
  HttpTableSchema,
  parseSourceString,
  SOURCE_KIND_NAMES,
  SOURCE_TABLE_SCHEMAS,
  type SourceTable,
} from "../detect/sources/index.ts";
import { ConfigError } from "../errors.ts";
import { FileReadError, readFailure, readRegularFile } from "../platform/read-file.ts";
import { readEnvironment } from "./env.ts";
import { type Config, configSchema, type ProviderVariants } from "./schema.ts";
import { formatPath, nodeAt, objectShapes, type SchemaNode, unwrap } from "./walk.ts";

export interface ConfigLocation {
  path: string;
  /** How it was chosen, for messages: "-c", "$HOMING_CONFIG", "./homing.toml", … */
  via: string;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, if any (a container may configure everything through the environment). */
  file: string | undefined;
  warnings: string[];
}

export interface LoadOptions {
  flagPath?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  home: string;
  /** Highest-precedence layer: values from command-line flags. */
  flags?: Record<string, unknown>;
  /** When no file exists and the environment has no settings either, fail (run, check, …) or not (init). */
  requireSettings?: boolean;
  /** The provider table schemas (PROVIDER_SCHEMAS), passed in by the composition root. */
  providers: ProviderVariants;
}

/** Candidate config files in lookup order. */
export function configCandidates(
  options: Pick<LoadOptions, "flagPath" | "env" | "cwd" | "home">,
): ConfigLocation[] {
  if (options.flagPath) return [{ path: options.flagPath, via: "-c" }];
  if (options.env.HOMING_CONFIG) return [{ path: options.env.HOMING_CONFIG, via: "$HOMING_CONFIG" }];
  const xdg = options.env.XDG_CONFIG_HOME || join(options.home, ".config");
  return [
    { path: join(options.cwd, "homing.toml"), via: "./homing.toml" },
    { path: join(xdg, "homing", "config.toml"), via: "$XDG_CONFIG_HOME/homing/config.toml" },
    { path: "/etc/homing/config.toml", via: "/etc/homing/config.toml" },
  ];
}

async function exists(path: string): Promise<boolean> {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A config is a few KB; the cap keeps `-c /dev/zero` or a log file from eating memory. */
const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

async function parseFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = readRegularFile(path, CONFIG_FILE_MAX_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new ConfigError([
      `${path}: cannot read the config file: ${readFailure(error, CONFIG_FILE_MAX_BYTES)}`,
    ]);
  }
  if (extname(path) === ".json") {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`${path}: not valid JSON: ${(error as Error).message}`]);
    }
  }
  const { parse, TomlError } = await import("smol-toml");
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0];
      throw new ConfigError([`${path}:${error.line}:${error.column}: not valid TOML: ${first}`]);
    }
    throw error;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Deep merge, `override` winning. Arrays are replaced whole, except that an object with numeric keys
 * (how the environment addresses `records[0]`) merges into the array by index.
 */
export function mergeLayers(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (Array.isArray(base) && isPlainObject(override) && Object.keys(override).every((k) => /^\d+$/.test(k))) {
    const out = [...base];
    for (const [index, value] of Object.entries(override))
      out[Number(index)] = mergeLayers(out[Number(index)], value);
    return out;
  }
  if (isPlainObject(override) && Object.keys(override).every((k) => /^\d+$/.test(k)) && base === undefined) {
    return Object.keys(override)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => override[k]);
  }
  if (isPlainObject(base) && isPlainObject(override)) {
    // Null prototype: a key like "__proto__" or "constructor" stays a plain own key.
    const out: Record<string, unknown> = Object.assign(Object.create(null), base);
    for (const [key, value] of Object.entries(override)) out[key] = mergeLayers(ownValue(base, key), value);
    return out;
  }
  return override;
}

function describeReceived(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) return "a table";
  return String(value);
}

/** `object[key]` for own keys only: a user's key never reads Object.prototype. */
function ownValue(object: unknown, key: string | number): unknown {
  return typeof object === "object" && object !== null && Object.hasOwn(object, key)
    ? (object as Record<string | number, unknown>)[key]
    : undefined;
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let node = raw;
  for (const key of path) node = ownValue(node, key);
  return node;
}

function allowedValues(node: SchemaNode | undefined): string[] | undefined {
  if (!node) return undefined;
  const bare = unwrap(node);
  if (bare.type === "picklist" && bare.options) return bare.options.map(String);
  if (bare.type === "literal") return [String(bare.literal)];
  return undefined;
}

/** The allowed `type` values of a provider-table issue, in schema order. */
function variantOptions(issue: v.BaseIssue<unknown>): string[] {
  return (issue.expected ?? "")
    .replace(/^\(|\)$/g, "")
    .split(" | ")
    .map((s) => s.replace(/"/g, ""));
}

/** One readable line per valibot issue: where, which key, what is wrong, what is allowed. */
function describeIssue(
  issue: v.BaseIssue<unknown>,
  raw: unknown,
  where: (path: readonly (string | number)[]) => string,
  schemaNode: SchemaNode,
): string {
  const path = (issue.path ?? []).map((item) => item.key as string | number);
  const location = `${where(path)}: ${formatPath(path)}`;
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  if (
    issue.type === "strict_object" &&
    issue.expected === "never" &&
    Array.isArray(valueAt(raw, parentPath))
  ) {
    // `[[detect]]` or `detect = [1]`: a list where a table belongs.
    const name = formatPath(parentPath);
    return `${where(parentPath)}: ${name}: expected a table like [${name}], got a list`;
  }
  if (issue.type === "strict_object" && issue.expected === "never" && typeof last === "string") {
    const parentNode = nodeAt(schemaNode, parentPath);
    const raw_parent = valueAt(raw, parentPath) as Record<string, unknown> | undefined;
    let keys = parentNode ? [...new Set(objectShapes(parentNode).flatMap((s) => Object.keys(s)))] : [];
    // For a provider table, only the keys of its own type are allowed.
    const typeName = ownValue(raw_parent, "type");
    if (parentNode && typeof typeName === "string") {
      const shape = objectShapes(parentNode).find((s) => allowedValues(s.type)?.includes(typeName));
      if (shape) keys = Object.keys(shape);
    }
    const suggestion = didYouMean(last, keys);
    return (
      `${location}: unknown key` +
      (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
      (keys.length ? `; allowed keys here: ${keys.join(", ")}` : "")
    );
  }
  const received = valueAt(raw, path);
  if (issue.type === "variant") {
    // `providers.dh = 5` or `[[providers.dh]]`: not a table at all, whatever its type says.
    const tablePath = last === "type" ? parentPath : path;
    const table = valueAt(raw, tablePath);
    if (!isPlainObject(table)) {
      const name = formatPath(tablePath);
      const types = objectShapes(nodeAt(schemaNode, tablePath) ?? { type: "unknown" }).flatMap(
        (shape) => allowedValues(shape.type) ?? [],
      );
      return `${where(tablePath)}: ${name}: expected a table like [${name}] with type = "${types[0]}", got ${describeReceived(table)}`;
    }
  }
  if (issue.type === "variant" && last === "type" && received === undefined) {
    const options = variantOptions(issue);
    return `${location} is missing; set type to one of: ${options.map((o) => `"${o}"`).join(", ")}`;
  }
  if (issue.type === "variant" && last === "type") {
    const options = variantOptions(issue);
    const suggestion = typeof received === "string" ? didYouMean(received, options) : undefined;
    return (
      `${location}: unknown provider type ${describeReceived(received)}` +
      (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
      `; allowed values: ${options.join(", ")}`
    );
  }
  if (issue.type === "variant") {
    return `${location}: missing "type"; set type = one of: ${(issue.expected ?? "").replace(/["()]/g, "").split(" | ").join(", ")}`;
  }
  const allowed = allowedValues(nodeAt(schemaNode, path));
  if (allowed) {
    const suggestion = typeof received === "string" ? didYouMean(received, allowed) : undefined;
    return (
      `${location}: invalid value ${describeReceived(received)}` +
      (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
      `; allowed values: ${allowed.join(", ")}`
    );
  }
  if (received === undefined && issue.kind === "schema")
    return `${location}: missing required key (${issue.expected})`;
  if (issue.kind === "schema") {
    // valibot names JavaScript types; the user wrote TOML.
    const expected = (issue.expected ?? "")
      .replace(/"/g, "")
      .replace(/\bObject\b/g, "a table")
      .replace(/\bArray\b/g, "a list");
    return `${location}: expected ${expected}, got ${describeReceived(received)}`;
  }
  return `${location}: ${issue.message}, got ${describeReceived(received)}`;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** Warns about a plain-http URL to a non-loopback host; errors on a URL that does not parse. */
function checkUrl(text: string, label: string, warnings: string[], problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${label}: "${text}" is not a valid URL`);
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    problems.push(`${label}: "${url.protocol}" URLs are not supported; use https://`);
    return undefined;
  }
  if (url.protocol === "http:" && !LOOPBACK.test(url.hostname)) {
    warnings.push(
      `${label}: ${url.origin} uses plain http, so anyone on the path can read or change it; use https://`,
    );
  }
  return url;
}

/** Cross-field rules the schema cannot express. */
function checkSemantics(
  config: Config,
  where: (path: readonly (string | number)[]) => string,
): {
  problems: string[];
  warnings: string[];
} {
  const problems: string[] = [];
  const warnings: string[] = [];
  const providerIds = Object.keys(config.providers);
  const seen = new Set<string>();
  config.records.forEach((record, index) => {
    const at = (key: string) => `${where(["records", index, key])}: records[${index}].${key}`;
    if (!Object.hasOwn(config.providers, record.provider)) {
      const suggestion = didYouMean(record.provider, providerIds);
      problems.push(
        `${at("provider")}: no provider "${record.provider}" is configured` +
          (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
          (providerIds.length ? `; configured: ${providerIds.join(", ")}` : "; add a [providers.<id>] table"),
      );
    }
    if (!record.ipv4 && !record.ipv6)
      problems.push(`${at("ipv4")}: both ipv4 and ipv6 are false; enable at least one`);
    if (record.ipv6_suffix !== undefined && !record.ipv6)
      problems.push(`${at("ipv6_suffix")}: is set but ipv6 is false; set ipv6 = true or remove ipv6_suffix`);
    const key = `${record.provider}/${normalizeName(record.name)}`;
    if (seen.has(key))
      problems.push(`${at("name")}: "${record.name}" is listed twice for provider "${record.provider}"`);
    seen.add(key);
  });
  for (const family of ["ipv4", "ipv6"] as const) {
    const detect = config.detect[family];
    detect.sources.forEach((source, index) => {
      const label = `${where(["detect", family, "sources", index])}: detect.${family}.sources[${index}]`;
      const parsed = typeof source === "string" ? parseSourceString(source) : undefined;
      if (parsed && !parsed.ok) {
        problems.push(`${label}: ${parsed.error}`);
        return;
      }
      const table = parsed?.ok ? parsed.table : (source as SourceTable);
      const url = typeof table.url === "string" && table.kind !== "fixed" ? table.url : undefined;
      if (url === undefined || !(table.kind === undefined || table.kind === "http")) return;
      const checked = checkUrl(url, label, warnings, problems);
      const literal = checked && parseAddress(checked.hostname.replace(/^\[|\]$/g, ""));
      if (literal && literal.family !== family) {
        problems.push(
          `${label}: ${checked.host} is an ${literal.family} address, but this list is for ${family}`,
        );
      }
    });
    if (detect.quorum > detect.sources.length) {
      problems.push(
        `${where(["detect", family, "quorum"])}: detect.${family}.quorum is ${detect.quorum}, more than the ${detect.sources.length} source(s) listed; lower it or add sources`,
      );
    }
  }
  for (const [id, provider] of Object.entries(config.providers)) {
    const at = (key: string) => `${where(["providers", id, key])}: providers.${id}.${key}`;
    const table = provider as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(table)) {
      if (typeof value !== "string") continue;
      // A bare word is a named endpoint (OVH's default "ovh-eu"): the provider's schema checked it.
      const named = key === "endpoint" && /^[a-z0-9-]+$/i.test(value);
      if (
        (["endpoint", "url", "api_url"].includes(key) && !named) ||
        (key === "server" && /^https?:/i.test(value))
      ) {
        checkUrl(value, at(key), warnings, problems);
      }
      if (key.endsWith("_file") && table[key.slice(0, -5)] !== undefined) {
        problems.push(`${at(key.slice(0, -5))}: both ${key.slice(0, -5)} and ${key} are set; keep only one`);
      }
    }
  }
  const recordNames = new Set(config.records.map((record) => normalizeName(record.name)));
  const users = new Set<string>();
  config.bridge.clients.forEach((client, index) => {
    const at = (key: string) =>
      `${where(["bridge", "clients", index, key])}: bridge.clients[${index}].${key}`;
    if (users.has(client.user)) problems.push(`${at("user")}: "${client.user}" is listed twice`);
    users.add(client.user);
    if ((client.password_hash === undefined) === (client.password_file === undefined)) {
      problems.push(
        `${at("password_hash")}: set exactly one of password_hash (from \`homing bridge hash-password\`) and password_file`,
      );
    }
    for (const name of client.hostnames) {
      if (!recordNames.has(normalizeName(name))) {
        problems.push(
          `${at("hostnames")}: "${name}" is not the name of a configured [[records]] entry` +
            (recordNames.size ? `; configured: ${[...recordNames].join(", ")}` : ""),
        );
      }
    }
  });
  if (config.bridge.listen !== undefined && config.bridge.clients.length === 0) {
    problems.push(
      `${where(["bridge", "listen"])}: bridge.listen is set but no [[bridge.clients]] is configured`,
    );
  }
  for (const [key, text] of [
    ["recheck", config.recheck],
    ["timeout", config.timeout],
  ] as const) {
    if ((parseDuration(text) ?? 0) <= 0) problems.push(`${where([key])}: ${key}: must be longer than 0`);
  }
  return { problems, warnings };
}

/** A schema node whose only path is `detect.<family>.sources[<index>]`, leading to `item`. */
function sourceRoot(family: string, item: unknown): SchemaNode {
  const object = (entries: Record<string, SchemaNode>): SchemaNode => ({ type: "strict_object", entries });
  return object({
    detect: object({ [family]: object({ sources: { type: "array", item: item as SchemaNode } }) }),
  });
}

/**
 * Source tables, checked one by one against their own kind's schema before the whole config is:
 * the config schema's union of source forms can only say "expected one of", while this names the
 * unknown kind or key and suggests the closest one. Returns the problems and the paths it covered.
 */
function sourceTableProblems(
  raw: unknown,
  where: (path: readonly (string | number)[]) => string,
): { problems: string[]; covered: Set<string> } {
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const family of ["ipv4", "ipv6"]) {
    const sources = valueAt(raw, ["detect", family, "sources"]);
    if (!Array.isArray(sources)) continue;
    sources.forEach((item, index) => {
      if (!isPlainObject(item)) return;
      const path = ["detect", family, "sources", index];
      const kind = ownValue(item, "kind");
      let schema: v.GenericSchema | undefined;
      if (kind === undefined) schema = HttpTableSchema;
      else schema = SOURCE_TABLE_SCHEMAS.find((candidate) => candidate.entries.kind.literal === kind);
      if (!schema) {
        const suggestion = typeof kind === "string" ? didYouMean(kind, SOURCE_KIND_NAMES) : undefined;
        problems.push(
          `${where([...path, "kind"])}: ${formatPath([...path, "kind"])}: unknown source kind ${describeReceived(kind)}` +
            (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
            `; allowed values: ${SOURCE_KIND_NAMES.join(", ")}`,
        );
        covered.add(path.join("."));
        return;
      }
      const result = v.safeParse(schema, item);
      if (result.success) return;
      covered.add(path.join("."));
      const root = sourceRoot(family, schema);
      for (const issue of result.issues) {
        const prefixed = { ...issue, path: [...path.map((key) => ({ key })), ...(issue.path ?? [])] };
        problems.push(describeIssue(prefixed as v.BaseIssue<unknown>, raw, where, root));
      }
    });
  }
  return { problems: [...new Set(problems)], covered };
}

/** Keys that name a built-in property of every JavaScript object. */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The schema's record type (`[providers.<id>]`, a custom provider's `headers`) silently drops
 * these keys, because they could reach Object.prototype: a `[providers.constructor]` table would
 * vanish and its records fail later. Refuse them by name instead, wherever a record type is.
 */
function reservedKeyProblems(
  raw: unknown,
  node: SchemaNode | undefined,
  path: (string | number)[],
  where: (path: readonly (string | number)[]) => string,
): string[] {
  if (!node || typeof raw !== "object" || raw === null) return [];
  const bare = unwrap(node);
  if (Array.isArray(raw)) {
    if (bare.type !== "array") return [];
    return raw.flatMap((item, index) => reservedKeyProblems(item, bare.item, [...path, index], where));
  }
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    const value = (raw as Record<string, unknown>)[key];
    if (bare.type === "record" && RESERVED_KEYS.has(key)) {
      // The environment sets keys inside a table; any of them names the variable to blame.
      const inner = isPlainObject(value) ? Object.keys(value)[0] : undefined;
      const at = [...path, key];
      const isProviderId = path.length === 1 && path[0] === "providers";
      problems.push(
        `${where(inner ? [...at, inner] : at)}: ${formatPath(at)}: "${key}" ` +
          (isProviderId
            ? "cannot be a provider id (a reserved word); rename the table, e.g. [providers.dns1], and the records' provider to match"
            : "cannot be used as a key here (a reserved word); rename or remove it"),
      );
      continue;
    }
    const child = bare.type === "record" ? bare.value : nodeAt(bare, [key]);
    problems.push(...reservedKeyProblems(value, child, [...path, key], where));
  }
  return problems;
}

/**
 * `api_key` and `api_key_file` are one setting in two forms: when the environment sets either form,
 * the file's other form must not survive the merge (it would look like both were set).
 */
function dropShadowedSecrets(fileRaw: Record<string, unknown>, envRaw: Record<string, unknown>): void {
  if (!isPlainObject(fileRaw.providers) || !isPlainObject(envRaw.providers)) return;
  for (const [id, envTable] of Object.entries(envRaw.providers)) {
    const fileTable = ownValue(fileRaw.providers, id);
    if (!isPlainObject(envTable) || !isPlainObject(fileTable)) continue;
    for (const key of Object.keys(envTable)) {
      const other = key.endsWith("_file") ? key.slice(0, -5) : `${key}_file`;
      if (!(other in envTable)) delete fileTable[other];
    }
  }
}

/**
 * Reads defaults < file < environment < flags, validates once, and returns the config or a
 * ConfigError listing every problem with its file (or variable), key path and allowed values.
 */
export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const schema = configSchema(options.providers);
  const schemaNode = schema as unknown as SchemaNode;
  const candidates = configCandidates(options);
  let file: string | undefined;
  for (const candidate of candidates) {
    if (candidate.via === "-c" || candidate.via === "$HOMING_CONFIG" || (await exists(candidate.path))) {
      file = candidate.path;
      break;
    }
  }
  const fileRaw = file ? await parseFile(file) : {};
  const knownIds = isPlainObject(fileRaw.providers) ? Object.keys(fileRaw.providers) : [];
  const envLayer = readEnvironment(schemaNode, options.env, knownIds);
  if (envLayer.errors.length) throw new ConfigError(envLayer.errors);
  if (!file && options.requireSettings !== false && Object.keys(envLayer.raw).length === 0) {
    throw new ConfigError([
      `no config file found (looked for ${candidates.map((c) => c.path).join(", ")}); ` +
        "create one with `homing init`, point to it with -c FILE or $HOMING_CONFIG, or set HOMING_* variables",
    ]);
  }
  dropShadowedSecrets(fileRaw, envLayer.raw);
  const merged = mergeLayers(mergeLayers(fileRaw, envLayer.raw), options.flags ?? {});
  const where = (path: readonly (string | number)[]): string => {
    for (let n = path.length; n > 0; n--) {
      const origin = envLayer.origins.get(path.slice(0, n).join("."));
      if (origin) return `environment variable ${origin}`;
    }
    return file ?? "(environment)";
  };
  const reserved = reservedKeyProblems(merged, schemaNode, [], where);
  if (reserved.length) throw new ConfigError(reserved);
  const sources = sourceTableProblems(merged, where);
  const result = v.safeParse(schema, merged);
  if (!result.success || sources.problems.length) {
    const inCoveredSource = (issue: v.BaseIssue<unknown>) =>
      sources.covered.has(
        (issue.path ?? [])
          .slice(0, 4)
          .map((item) => item.key)
          .join("."),
      );
    const issues = (result.issues ?? []).filter((issue) => !inCoveredSource(issue));
    const lines = [
      ...new Set([
        ...sources.problems,
        ...issues.map((issue) => describeIssue(issue, merged, where, schemaNode)),
      ]),
    ];
    throw new ConfigError(lines);
  }
  // Every provider variant is a table with a `type` (ProviderVariants), which is all Config says of it.
  const config = result.output as Config;
  const { problems, warnings } = checkSemantics(config, where);
  if (problems.length) throw new ConfigError(problems);
  if (options.requireSettings !== false && config.records.length === 0) {
    throw new ConfigError([
      `${where(["records"])}: no [[records]] configured; add one with a name and a provider`,
    ]);
  }
  return { config, file, warnings };
}
