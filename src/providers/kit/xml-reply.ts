/**
 * XML replies read the way JSON ones are: `callXml` makes a call that asks for XML and answers the
 * root element (a reply that is not XML is a transient error naming the provider and the call), and
 * `fields` / `itemsOf` turn elements into plain objects for `parseReply`, so a missing or broken
 * field is named like in any JSON reply ("HostedZones.0.Name: expected string").
 */
import type { Api, ApiReply, ApiRequest } from "./http.ts";
import { childrenNamed, parseXml, textAt, type XmlElement } from "./xml.ts";

/** The root element, or undefined when the text is not XML homing reads. */
export function tryParseXml(text: string): XmlElement | undefined {
  try {
    return parseXml(text);
  } catch {
    return undefined;
  }
}

/** `api.call` asking for XML; the reply and its root element. */
export async function callXml(
  api: Api,
  request: ApiRequest,
  signal: AbortSignal,
): Promise<{ reply: ApiReply; root: XmlElement }> {
  const reply = await api.call(
    { ...request, headers: { accept: "application/xml", ...request.headers } },
    signal,
  );
  const root = tryParseXml(reply.text);
  if (root) return { reply, root };
  throw api.error(
    `${api.label} sent a reply homing cannot read when asked to ${request.what}: not XML ("${api.shown(reply.text, 40)}"); homing retries later`,
    "transient",
  );
}

/** The trimmed texts of these children, by name; a missing child stays missing. */
export function fields(element: XmlElement, ...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const text = textAt(element, name);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

/** The `item` children of the first `container` child ([] without one). */
export function itemsOf(element: XmlElement, container: string, item: string): XmlElement[] {
  const holder = childrenNamed(element, container)[0];
  return holder ? childrenNamed(holder, item) : [];
}
