import { didYouMean } from "../core/suggest.ts";
import { objectShapes, type SchemaNode, unwrap } from "./walk.ts";

export const ENV_PREFIX = "HOMING_";
/**
 * Variables that are not a key: HOMING_CONFIG selects the file; HOMING_FRITZBOX_PASSWORD holds the
 * TR-064 password of a `fritzbox` source (read by detect/sources/fritzbox.ts, never from argv).
 */
const NOT_CONFIG_KEYS = new Set(["HOMING_CONFIG", "HOMING_FRITZBOX_PASSWORD"]);

export interface EnvLayer {
  raw: Record<string, unknown>;
  /** Key path ("records.0.name") → the variable that set it, so errors can name it. */
  origins: Map<string, string>;
  errors: string[];
}

function coerceLeaf(node: SchemaNode, text: string): unknown {
  const bare = unwrap(node);
  switch (bare.type) {
    case "number": {
      const n = Number(text.trim());
      return text.trim() !== "" && Number.isFinite(n) ? n : text;
    }
    case "boolean": {
      const t = text.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(t)) return true;
      if (["0", "false", "no", "off"].includes(t)) return false;
      return text;
    }
    case "array":
    case "record":
    case "strict_object":
      if (/^\s*[[{]/.test(text)) {
        try {
          return JSON.parse(text);
        } catch {
          return text;
        }
      }
      return bare.type === "array"
        ? text
            .split(",")
            .map((part) => part.trim())
            .filter((part) => part !== "")
        : text;
    default:
      return text;
  }
}

/** Tables are created without a prototype, so an id like "__proto__" stays an ordinary key. */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof next !== "object" || next === null) node[key] = Object.create(null);
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

type Resolution = { path: string[]; leaf: SchemaNode } | { error: string };

/** Resolves the lower-case remainder of a variable name (`detect_ipv4_quorum`) to a key path. */
function resolve(node: SchemaNode, rest: string, knownIds: readonly string[]): Resolution {
  const bare = unwrap(node);
  if (rest === "") return { path: [], leaf: bare };
  if (bare.type === "array" && bare.item) {
    const match = /^(\d+)(?:_(.*))?$/.exec(rest);
    if (!match) return { error: "expected an index, like _0_" };
    const inner = resolve(bare.item, match[2] ?? "", knownIds);
    return "error" in inner ? inner : { path: [match[1] as string, ...inner.path], leaf: inner.leaf };
  }
  if (bare.type === "record" && bare.value) {
    const keys = [...new Set(objectShapes(bare.value).flatMap((shape) => Object.keys(shape)))].sort(
      (a, b) => b.length - a.length,
    );
    for (const key of keys) {
      if (rest.endsWith(`_${key}`) && rest.length > key.length + 1) {
        const envId = rest.slice(0, -(key.length + 1));
        const id = knownIds.find((known) => known.replace(/-/g, "_") === envId) ?? envId;
        const shape = objectShapes(bare.value).find((s) => s[key]);
        return { path: [id, key], leaf: shape?.[key] as SchemaNode };
      }
    }
    return { error: `expected <id>_<key>, with a key among: ${keys.join(", ")}` };
  }
  const shapes = objectShapes(bare);
  const keys = [...new Set(shapes.flatMap((shape) => Object.keys(shape)))].sort(
    (a, b) => b.length - a.length,
  );
  for (const key of keys) {
    if (rest === key || rest.startsWith(`${key}_`)) {
      const child = shapes.map((shape) => shape[key]).find((entry) => entry !== undefined) as SchemaNode;
      const inner = resolve(child, rest.slice(key.length + 1), knownIds);
      return "error" in inner ? inner : { path: [key, ...inner.path], leaf: inner.leaf };
    }
  }
  return { error: "no such key" };
}

function allVariableNames(node: SchemaNode, prefix: string, out: string[]): void {
  const bare = unwrap(node);
  if (bare.type === "array" && bare.item && objectShapes(bare.item).length > 0) {
    out.push(prefix);
    allVariableNames(bare.item, `${prefix}_0`, out);
    return;
  }
  if (bare.type === "record" && bare.value) {
    allVariableNames(bare.value, `${prefix}_<ID>`, out);
    return;
  }
  const shapes = objectShapes(bare);
  if (shapes.length === 0) {
    out.push(prefix);
    return;
  }
  for (const key of new Set(shapes.flatMap((shape) => Object.keys(shape)))) {
    const child = shapes.map((shape) => shape[key]).find((entry) => entry !== undefined) as SchemaNode;
    allVariableNames(child, `${prefix}_${key.toUpperCase()}`, out);
  }
}

/** Every variable the schema accepts, for docs and "did you mean" hints. */
export function environmentVariableNames(schema: SchemaNode): string[] {
  const out: string[] = [];
  allVariableNames(schema, ENV_PREFIX.slice(0, -1), out);
  return out;
}

/**
 * Reads HOMING_* variables into a raw config object by walking the schema, so every key can be set
 * from the environment with a predictable name: `detect.ipv4.quorum` → HOMING_DETECT_IPV4_QUORUM,
 * `providers.dh.api_key` → HOMING_PROVIDERS_DH_API_KEY, `records[0].name` → HOMING_RECORDS_0_NAME.
 * Lists take commas or JSON; booleans take true/false/1/0/yes/no.
 */
export function readEnvironment(
  schema: SchemaNode,
  env: Readonly<Record<string, string | undefined>>,
  knownProviderIds: readonly string[] = [],
): EnvLayer {
  const raw: Record<string, unknown> = Object.create(null);
  const origins = new Map<string, string>();
  const errors: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENV_PREFIX) || NOT_CONFIG_KEYS.has(name) || value === undefined) continue;
    const rest = name.slice(ENV_PREFIX.length).toLowerCase();
    const resolution: Resolution =
      rest === "" ? { error: "no key after HOMING_" } : resolve(schema, rest, knownProviderIds);
    if ("error" in resolution) {
      const suggestion = didYouMean(
        name.replace(/_\d+_/, "_0_"),
        environmentVariableNames(schema).map((n) => n.replace("<ID>", name.split("_")[2] ?? "ID")),
      );
      errors.push(
        `environment variable ${name}: not a homing setting (${resolution.error})` +
          (suggestion ? `; did you mean ${suggestion}?` : ""),
      );
      continue;
    }
    setPath(raw, resolution.path, coerceLeaf(resolution.leaf, value));
    origins.set(resolution.path.join("."), name);
  }
  return { raw, origins, errors };
}
