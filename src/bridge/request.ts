/**
 * The router bridge's request, parsed: pure, no I/O. Takes the shapes routers send (docs:
 * ../shared/reference/detection.md §7): any path; `hostname` (also `host`, `domain`, `hostnames`),
 * comma-separated; the address in `myip` (v4, v6 or "v4,v6"), `myipv6`, `ip`, `ipaddr`, `ip6addr`,
 * `ip6` and the delegated prefix in `ip6lanprefix`; credentials by basic auth, by URL userinfo in
 * an absolute request target, or in the query (`user`/`username`/`usr`, `pass`/`password`/`pwd`,
 * `token`). Every address is checked by the same public-address rule as detection's answers.
 */
import { type IpFamily, parseAddress } from "../core/ip.ts";
import { checkPublicAddress, excerpt } from "../core/source-body.ts";

export interface BridgeCredentials {
  user: string;
  password: string;
}

/** The addresses a request pushes, each already through the public-address check. */
export interface PushedAddresses {
  ipv4?: string;
  ipv6?: string;
  /** The delegated IPv6 prefix ("2001:db8:1200::/56"), for records with `ipv6_suffix`. */
  prefix?: string;
  /** The address came from the request's source address (no address in the query). */
  fromSource?: boolean;
}

export type AddressVerdict = { ok: true; addresses: PushedAddresses } | { ok: false; reason: string };

export interface BridgeRequest {
  credentials: BridgeCredentials | undefined;
  hostnames: string[];
  addresses: AddressVerdict;
}

const HOST_KEYS = ["hostname", "hostnames", "host", "domain"];
const USER_KEYS = ["username", "user", "usr", "login"];
const PASS_KEYS = ["password", "pass", "pwd", "token"];
const ADDRESS_KEYS = ["myip", "ip", "ipaddr", "myipv6", "ip6addr", "ip6", "ipv6"];
/** Values routers send for "no address of this family". */
const NO_VALUE = new Set(["", "no", "none", "auto"]);

function first(query: URLSearchParams, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = query.get(key);
    if (value !== null && value !== "") return value;
  }
  return undefined;
}

/** `Authorization: Basic base64(user:password)`; undefined when absent or not basic. */
export function basicCredentials(header: string | undefined): BridgeCredentials | undefined {
  if (header === undefined) return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const text = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The query and any userinfo of a request target ("/nic/update?…" or "http://u:p@h/…"). */
function splitTarget(target: string): { query: URLSearchParams; userinfo?: BridgeCredentials } {
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      return {
        query: url.searchParams,
        ...(url.username !== ""
          ? { userinfo: { user: safeDecode(url.username), password: safeDecode(url.password) } }
          : {}),
      };
    } catch {
      return { query: new URLSearchParams() };
    }
  }
  const mark = target.indexOf("?");
  return { query: new URLSearchParams(mark < 0 ? "" : target.slice(mark + 1)) };
}

/** Strips the IPv4-mapped form a dual-stack socket reports ("::ffff:81.2.69.142"). */
export function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

function pushedAddresses(query: URLSearchParams, sourceAddress: string | undefined): AddressVerdict {
  const values: string[] = [];
  for (const key of ADDRESS_KEYS) {
    for (const value of query.getAll(key)) {
      for (const part of value.split(",")) {
        const text = part.trim();
        if (!NO_VALUE.has(text.toLowerCase())) values.push(text);
      }
    }
  }
  const out: PushedAddresses = {};
  const prefixText = query.get("ip6lanprefix")?.trim();
  if (prefixText !== undefined && !NO_VALUE.has(prefixText.toLowerCase())) {
    const slash = prefixText.indexOf("/");
    const length = Number(prefixText.slice(slash + 1));
    if (slash < 0 || !/^\d{1,3}$/.test(prefixText.slice(slash + 1)) || length > 64) {
      return {
        ok: false,
        reason: `ip6lanprefix "${excerpt(prefixText)}" is not a prefix like 2001:db8:1200::/56`,
      };
    }
    const verdict = checkPublicAddress(prefixText.slice(0, slash), "ipv6");
    if (!verdict.ok)
      return { ok: false, reason: `ip6lanprefix: ${verdict.reason.replace("the answer", "the prefix")}` };
    out.prefix = `${verdict.address}/${length}`;
  }
  if (values.length === 0 && out.prefix === undefined) {
    if (sourceAddress === undefined) return { ok: false, reason: "the request holds no address" };
    const address = parseAddress(unmapped(sourceAddress));
    if (!address) return { ok: false, reason: "the request holds no address" };
    const verdict = checkPublicAddress(address.canonical, address.family);
    if (!verdict.ok) {
      return {
        ok: false,
        reason: `the request holds no address, and its source address ${address.canonical} is not public; set myip=`,
      };
    }
    return { ok: true, addresses: { [address.family]: verdict.address, fromSource: true } };
  }
  for (const text of values) {
    const parsed = parseAddress(text);
    if (!parsed) return { ok: false, reason: `"${excerpt(text)}" is not an IP address` };
    const family: IpFamily = parsed.family;
    const verdict = checkPublicAddress(parsed.canonical, family);
    if (!verdict.ok) return { ok: false, reason: verdict.reason.replace("the answer", "the pushed address") };
    const known = out[family];
    if (known !== undefined && known !== verdict.address) {
      return { ok: false, reason: `two different ${family} addresses: ${known} and ${verdict.address}` };
    }
    out[family] = verdict.address;
  }
  return { ok: true, addresses: out };
}

/** Parses one request: its target (path and query), Authorization header and source address. */
export function parseBridgeRequest(request: {
  target: string;
  authorization: string | undefined;
  sourceAddress: string | undefined;
}): BridgeRequest {
  const { query, userinfo } = splitTarget(request.target);
  const hostnames = (first(query, HOST_KEYS) ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const queryUser = first(query, USER_KEYS);
  const queryPassword = first(query, PASS_KEYS);
  const credentials =
    basicCredentials(request.authorization) ??
    userinfo ??
    (queryUser !== undefined && queryPassword !== undefined
      ? { user: queryUser, password: queryPassword }
      : undefined);
  return { credentials, hostnames, addresses: pushedAddresses(query, request.sourceAddress) };
}
