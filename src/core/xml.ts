/**
 * A small, strict reader for the XML that DNS APIs (Route 53, Namecheap, XML-RPC) and routers (UPnP
 * device descriptions, SOAP replies) answer with:
 * elements, attributes, text, CDATA and the five predefined entities plus numeric references. No
 * DTDs, no external entities, no processing beyond the declaration: anything else is an error, so a
 * hostile reply cannot expand or reach out. Depth and size are bounded.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), entities decoded, concatenated. */
  text: string;
}

const MAX_DEPTH = 64;
const MAX_LENGTH = 8 * 1024 * 1024;

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X"))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const known = Object.hasOwn(ENTITIES, entity) ? ENTITIES[entity] : undefined;
    if (known === undefined) throw new Error(`unknown entity ${whole}`);
    return known;
  });
}

/** Parses a document into its root element; throws an Error saying what is wrong. */
export function parseXml(source: string): XmlElement {
  if (source.length > MAX_LENGTH) throw new Error("the XML is too large");
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${at}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (at < source.length && /\s/.test(source[at] as string)) at++;
      if (source.startsWith("<?", at)) {
        const end = source.indexOf("?>", at);
        if (end < 0) fail("an unterminated declaration");
        at = end + 2;
      } else if (source.startsWith("<!--", at)) {
        const end = source.indexOf("-->", at);
        if (end < 0) fail("an unterminated comment");
        at = end + 3;
      } else if (source.startsWith("<!", at)) fail("a DTD or declaration, which homing does not read");
      else return;
    }
  };
  const NAME = /[A-Za-z_][\w.:-]*/y;
  const readName = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(source);
    if (!match) return fail("a missing name");
    at = NAME.lastIndex;
    return match[0];
  };
  const element = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) fail("elements nested too deep");
    if (source[at] !== "<") fail("a missing element");
    at++;
    const name = readName();
    const attributes: Record<string, string> = Object.create(null);
    for (;;) {
      while (/\s/.test(source[at] ?? "")) at++;
      if (source.startsWith("/>", at)) {
        at += 2;
        return { name, attributes, children: [], text: "" };
      }
      if (source[at] === ">") {
        at++;
        break;
      }
      const key = readName();
      while (/\s/.test(source[at] ?? "")) at++;
      if (source[at] !== "=") fail(`attribute ${key} without a value`);
      at++;
      while (/\s/.test(source[at] ?? "")) at++;
      const quote = source[at];
      if (quote !== '"' && quote !== "'") return fail(`attribute ${key} without quotes`);
      const end = source.indexOf(quote, at + 1);
      if (end < 0) fail("an unterminated attribute");
      attributes[key] = decode(source.slice(at + 1, end));
      at = end + 1;
    }
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      if (at >= source.length) fail(`an unclosed <${name}>`);
      if (source.startsWith("</", at)) {
        at += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closing <${name}>`);
        while (/\s/.test(source[at] ?? "")) at++;
        if (source[at] !== ">") fail("a broken closing tag");
        at++;
        return { name, attributes, children, text };
      }
      if (source.startsWith("<![CDATA[", at)) {
        const end = source.indexOf("]]>", at);
        if (end < 0) fail("an unterminated CDATA section");
        text += source.slice(at + 9, end);
        at = end + 3;
      } else if (source.startsWith("<!--", at)) {
        const end = source.indexOf("-->", at);
        if (end < 0) fail("an unterminated comment");
        at = end + 3;
      } else if (source[at] === "<") children.push(element(depth + 1));
      else {
        const end = source.indexOf("<", at);
        text += decode(source.slice(at, end < 0 ? source.length : end));
        at = end < 0 ? source.length : end;
      }
    }
  };
  skipMisc();
  const root = element(0);
  skipMisc();
  if (at < source.length) fail("content after the root element");
  return root;
}

/** The local part of a name: "ns:Value" → "Value". */
function local(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Direct children with this (local) name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => local(child.name) === name);
}

/** The first element along a path of (local) names, e.g. `find(root, "ChangeInfo", "Status")`. */
export function find(element: XmlElement, ...path: string[]): XmlElement | undefined {
  let current: XmlElement | undefined = element;
  for (const name of path) current = current && childrenNamed(current, name)[0];
  return current;
}

/** The trimmed text at a path, or undefined. */
export function textAt(element: XmlElement, ...path: string[]): string | undefined {
  return find(element, ...path)?.text.trim();
}

/** Escapes text for an XML body homing writes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => `&${({ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" } as const)[c as "<"]};`,
  );
}
