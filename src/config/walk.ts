/**
 * Minimal structural view of the valibot schema, shared by the environment mapping and the error
 * formatter. Only the node kinds config/schema.ts uses are described.
 */
export interface SchemaNode {
  type: string;
  entries?: Record<string, SchemaNode>;
  wrapped?: SchemaNode;
  item?: SchemaNode;
  value?: SchemaNode;
  options?: readonly (SchemaNode | string)[];
  literal?: unknown;
  default?: unknown;
}

/** Strips `optional` wrappers (pipes keep their base type in valibot). */
export function unwrap(node: SchemaNode): SchemaNode {
  let current = node;
  while (current.type === "optional" && current.wrapped) current = current.wrapped;
  return current;
}

/** The object shapes a node can take: one for a strict object, one per option of a variant. */
export function objectShapes(node: SchemaNode): Record<string, SchemaNode>[] {
  const bare = unwrap(node);
  if (bare.type === "strict_object" && bare.entries) return [bare.entries];
  if ((bare.type === "variant" || bare.type === "union") && bare.options) {
    return bare.options.flatMap((option) => (typeof option === "string" ? [] : objectShapes(option)));
  }
  return [];
}

/** Follows a key path through the schema; undefined when the path leaves it. */
export function nodeAt(root: SchemaNode, path: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const key of path) {
    if (!node) return undefined;
    const bare: SchemaNode = unwrap(node);
    if (bare.type === "array") node = bare.item;
    else if (bare.type === "record") node = bare.value;
    else {
      const shapes = objectShapes(bare);
      node = shapes
        .map((shape) => (Object.hasOwn(shape, key) ? shape[String(key)] : undefined))
        .find((entry) => entry !== undefined);
    }
  }
  return node;
}

/** `records[0].name`, `providers.dh.type`: how key paths appear in messages. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? key : `.${key}`;
  }
  return out || "(top level)";
}
