/**
 * The UPnP IGD pieces the upnp and fritzbox sources share: reading a device description for its
 * WAN connection services (reference §3.2, as miniupnpc's igd_desc_parse.c: every `<service>`,
 * matched by serviceType prefix, version ignored, control URLs resolved against URLBase or the
 * description's own URL) and calling a SOAP action (§3.3), optionally with HTTP digest auth
 * (TR-064, §5.2). Replies are read namespace-agnostically, by local names.
 */
import { escapeXml, find, parseXml, type XmlElement } from "../../core/xml.ts";
import { digestAuthorization, parseDigestChallenge } from "../../http/digest.ts";
import { type HttpResponse, httpRequest } from "../../http/request.ts";

/** A description of a real router is a few KiB; AVM's tr64desc.xml ~30 KiB. */
const MAX_DESCRIPTION_BYTES = 256 * 1024;
const MAX_SOAP_BYTES = 64 * 1024;

export const UPNP_WAN_SERVICES: readonly string[] = [
  "urn:schemas-upnp-org:service:WANIPConnection:",
  "urn:schemas-upnp-org:service:WANPPPConnection:",
];
export const TR064_WAN_SERVICES: readonly string[] = [
  "urn:dslforum-org:service:WANIPConnection:",
  "urn:dslforum-org:service:WANPPPConnection:",
];

export interface WanService {
  serviceType: string;
  controlUrl: URL;
}

function localName(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

function walk(element: XmlElement, visit: (element: XmlElement) => void, depth = 0): void {
  if (depth > 32) return;
  visit(element);
  for (const child of element.children) walk(child, visit, depth + 1);
}

/**
 * The services of a description whose type starts with one of `prefixes`, in document order,
 * WANIPConnection before WANPPPConnection when both exist (the order of `prefixes`).
 */
export function wanServices(xml: string, location: URL, prefixes: readonly string[]): WanService[] {
  const root = parseXml(xml);
  const urlBase = find(root, "URLBase")?.text.trim();
  let base = location;
  if (urlBase) {
    try {
      base = new URL(urlBase);
    } catch {
      // A broken URLBase: resolve against the description's URL, as miniupnpc does.
    }
  }
  const services: { service: WanService; rank: number }[] = [];
  walk(root, (element) => {
    if (localName(element.name) !== "service") return;
    const serviceType = find(element, "serviceType")?.text.trim() ?? "";
    const controlURL = find(element, "controlURL")?.text.trim() ?? "";
    const rank = prefixes.findIndex((prefix) => serviceType.startsWith(prefix));
    if (rank < 0 || controlURL === "") return;
    let controlUrl: URL;
    try {
      controlUrl = new URL(controlURL, base);
    } catch {
      return;
    }
    if (controlUrl.protocol !== "http:") return;
    services.push({ service: { serviceType, controlUrl }, rank });
  });
  return services.sort((a, b) => a.rank - b.rank).map((entry) => entry.service);
}

export interface Deadline {
  signal: AbortSignal;
  /** Time left, in ms (at least 1). */
  left(): number;
}

export function deadline(signal: AbortSignal, timeoutMs: number): Deadline {
  const end = Date.now() + timeoutMs;
  return { signal, left: () => Math.max(1, end - Date.now()) };
}

/** GETs a device description (IPv4, size-capped, inside the deadline). */
export async function fetchDescription(url: URL, within: Deadline): Promise<string> {
  const response = await httpRequest(url, {
    family: 4,
    timeoutMs: within.left(),
    maxBytes: MAX_DESCRIPTION_BYTES,
    signal: within.signal,
  });
  if (response.status !== 200)
    throw new Error(`${url.href}: HTTP ${response.status} for the device description`);
  return response.body;
}

export type SoapOutcome = { kind: "reply"; fields: Map<string, string> } | { kind: "fault"; reason: string };

export interface Credentials {
  username: string;
  password: string;
}

export function soapEnvelope(serviceType: string, action: string): string {
  return (
    '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${escapeXml(serviceType)}"></u:${action}></s:Body></s:Envelope>\r\n`
  );
}

/** Reads a SOAP reply: the response element's fields by local name, or the fault's reason. */
export function readSoapReply(body: string, action: string): SoapOutcome {
  const root = parseXml(body);
  const soapBody = find(root, "Body");
  if (localName(root.name) !== "Envelope" || !soapBody) throw new Error("the reply is not a SOAP envelope");
  const fault = find(soapBody, "Fault");
  if (fault) {
    const error = find(fault, "detail", "UPnPError");
    const code = error && find(error, "errorCode")?.text.trim();
    const description = error && find(error, "errorDescription")?.text.trim();
    const faultString = find(fault, "faultstring")?.text.trim();
    return {
      kind: "fault",
      reason:
        [code && `UPnP error ${code}`, description || faultString].filter(Boolean).join(": ") ||
        "a SOAP fault",
    };
  }
  const response = find(soapBody, `${action}Response`);
  if (!response) throw new Error(`the reply has no ${action}Response`);
  const fields = new Map<string, string>();
  for (const child of response.children) fields.set(localName(child.name), child.text.trim());
  return { kind: "reply", fields };
}

/**
 * Calls `action` on a service. With credentials, a 401 with a Digest challenge is answered once
 * (RFC 7616); a second 401 means the user or password is wrong.
 */
export async function soapCall(
  service: WanService,
  action: string,
  within: Deadline,
  credentials?: Credentials,
): Promise<SoapOutcome> {
  const body = soapEnvelope(service.serviceType, action);
  const headers: Record<string, string> = {
    "content-type": 'text/xml; charset="utf-8"',
    soapaction: `"${service.serviceType}#${action}"`,
    connection: "close",
  };
  const post = (extra: Record<string, string> = {}): Promise<HttpResponse> =>
    httpRequest(service.controlUrl, {
      method: "POST",
      headers: { ...headers, ...extra },
      body,
      family: 4,
      timeoutMs: within.left(),
      maxBytes: MAX_SOAP_BYTES,
      signal: within.signal,
    });
  const where = service.controlUrl.origin;
  let response = await post();
  if (response.status === 401) {
    if (!credentials) throw new Error(`${where} wants a login for ${action}; set username and password_file`);
    const challenge = parseDigestChallenge(response.headers["www-authenticate"]);
    if (!challenge)
      throw new Error(`${where} asked for a login homing cannot give (no usable Digest challenge)`);
    const authorization = digestAuthorization(challenge, {
      method: "POST",
      uri: service.controlUrl.pathname + service.controlUrl.search,
      username: credentials.username,
      password: credentials.password,
    });
    response = await post({ authorization });
    if (response.status === 401)
      throw new Error(
        `${where} refused the login of user "${credentials.username}": check username and password`,
      );
  }
  if (response.status !== 200 && response.status !== 500)
    throw new Error(`${where}: HTTP ${response.status} for ${action}`);
  try {
    return readSoapReply(response.body, action);
  } catch (error) {
    throw new Error(
      `${where}: cannot read the ${action} reply (HTTP ${response.status}): ${(error as Error).message}`,
    );
  }
}
