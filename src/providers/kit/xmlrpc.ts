/**
 * XML-RPC (Loopia, and any service that speaks it): a `<methodCall>` body built from plain values
 * (strings escaped, integers as <int>, booleans, arrays, structs), and a `<methodResponse>` read with
 * the strict reader (`xml.ts`) into plain values, so a provider checks the fields it reads with a
 * valibot schema like any JSON reply. A `<fault>` comes back as `{ fault: { faultCode, faultString } }`.
 */
import { childrenNamed, escapeXml, find, parseXml, type XmlElement } from "./xml.ts";

export type RpcValue = string | number | boolean | RpcValue[] | { [key: string]: RpcValue };

function encode(value: RpcValue): string {
  if (typeof value === "string") return `<value><string>${escapeXml(value)}</string></value>`;
  if (typeof value === "boolean") return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === "number")
    return Number.isInteger(value)
      ? `<value><int>${value}</int></value>`
      : `<value><double>${value}</double></value>`;
  if (Array.isArray(value)) return `<value><array><data>${value.map(encode).join("")}</data></array></value>`;
  const members = Object.entries(value)
    .map(([name, item]) => `<member><name>${escapeXml(name)}</name>${encode(item)}</member>`)
    .join("");
  return `<value><struct>${members}</struct></value>`;
}

/** A `<methodCall>` document. */
export function xmlRpcCall(method: string, params: readonly RpcValue[]): string {
  const body = params.map((param) => `<param>${encode(param)}</param>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${body}</params></methodCall>`;
}

/** One `<value>` as a plain value; throws an Error naming what is wrong. */
export function decodeValue(value: XmlElement): RpcValue {
  const typed = value.children[0];
  if (!typed) return value.text; // an untyped value is a string
  const text = typed.text.trim();
  switch (typed.name) {
    case "string":
      return typed.text;
    case "int":
    case "i4":
    case "i8":
      if (!/^[+-]?\d+$/.test(text)) throw new Error(`<${typed.name}> holds "${text.slice(0, 20)}"`);
      return Number(text);
    case "double":
      if (!Number.isFinite(Number(text)) || text === "")
        throw new Error(`<double> holds "${text.slice(0, 20)}"`);
      return Number(text);
    case "boolean":
      if (text !== "0" && text !== "1") throw new Error(`<boolean> holds "${text.slice(0, 20)}"`);
      return text === "1";
    case "array":
      return childrenNamed(find(typed, "data") ?? typed, "value").map(decodeValue);
    case "struct": {
      const out: Record<string, RpcValue> = Object.create(null);
      for (const member of childrenNamed(typed, "member")) {
        const name = find(member, "name")?.text;
        const item = find(member, "value");
        if (name === undefined || !item) throw new Error("a <member> without <name> or <value>");
        out[name] = decodeValue(item);
      }
      return { ...out };
    }
    default:
      return typed.text;
  }
}

export type XmlRpcReply = { value: RpcValue } | { fault: { faultCode: RpcValue; faultString: RpcValue } };

/** A `<methodResponse>` read: its one value, or its fault. Throws an Error when it is neither. */
export function readXmlRpc(text: string): XmlRpcReply {
  const root = parseXml(text);
  if (root.name !== "methodResponse") throw new Error(`<${root.name}> instead of <methodResponse>`);
  const fault = find(root, "fault", "value");
  if (fault) {
    const decoded = decodeValue(fault);
    const struct = typeof decoded === "object" && !Array.isArray(decoded) ? decoded : {};
    return { fault: { faultCode: struct.faultCode ?? "", faultString: struct.faultString ?? "" } };
  }
  const value = find(root, "params", "param", "value");
  if (!value) throw new Error("a <methodResponse> without a value");
  return { value: decodeValue(value) };
}

/** A `<methodCall>` read (for emulators and tests): the method and its params. */
export function readXmlRpcCall(text: string): { method: string; params: RpcValue[] } {
  const root = parseXml(text);
  const method = find(root, "methodName")?.text.trim();
  if (root.name !== "methodCall" || !method) throw new Error("not a <methodCall>");
  const params = childrenNamed(find(root, "params") ?? root, "param").map((param) => {
    const value = find(param, "value");
    if (!value) throw new Error("a <param> without a <value>");
    return decodeValue(value);
  });
  return { method, params };
}

/** A `<methodResponse>` document with one value, or with a fault (for emulators and tests). */
export function xmlRpcResponse(reply: XmlRpcReply): string {
  const inner =
    "fault" in reply
      ? `<fault>${encode(reply.fault as { [key: string]: RpcValue })}</fault>`
      : `<params><param>${encode(reply.value)}</param></params>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>${inner}</methodResponse>`;
}
