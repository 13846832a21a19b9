import { type IpFamily, isCgnat, isCloudflareAddress, parseAddress, specialRange } from "./ip.ts";

/** How a detection source's body carries the address. */
export type SourceFormat = "text" | "json" | "trace";

export type BodyVerdict = { ok: true; address: string } | { ok: false; reason: string; hint?: string };

const FAMILY_LABEL: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };

/** Printable excerpt of an untrusted body for messages: one line, bounded, control characters escaped. */
export function excerpt(text: string, max = 60): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === "\n" ? "\\n" : " ")).trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function extract(body: string, format: SourceFormat, field: string): string | { error: string } {
  if (format === "json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { error: "the body is not JSON" };
    }
    // Own fields only: a `field` like "constructor" must not find Object.prototype's.
    const value =
      typeof parsed === "object" && parsed !== null && Object.hasOwn(parsed, field)
        ? (parsed as Record<string, unknown>)[field]
        : undefined;
    if (typeof value !== "string") return { error: `the JSON has no string field "${field}"` };
    return value;
  }
  if (format === "trace") {
    const lines = body.split("\n").filter((line) => line.startsWith("ip="));
    if (lines.length !== 1) {
      return { error: 'the body is not a Cloudflare trace with exactly one "ip=" line' };
    }
    // Through WARP, the trace reports a Cloudflare exit address, not this network's.
    if (/^warp=(on|plus)$/m.test(body)) {
      return {
        error: "the request went through Cloudflare WARP, so the answer is not this network's address",
      };
    }
    return (lines[0] as string).slice(3);
  }
  return body;
}

/**
 * The value a source's body carries, before any address check: the whole trimmed value must be ONE
 * token. An IP somewhere inside HTML or two values are refusals.
 */
export function extractSourceValue(
  body: string,
  options: { format: SourceFormat; field?: string },
): { ok: true; value: string } | { ok: false; reason: string } {
  const raw = extract(body, options.format, options.field ?? "ip");
  if (typeof raw !== "string") return { ok: false, reason: raw.error };
  const value = raw.trim();
  if (value.length === 0) return { ok: false, reason: "the answer is empty" };
  if (/[<>]/.test(value)) return { ok: false, reason: "the answer is an HTML page, not an address" };
  if (/\s/.test(value)) return { ok: false, reason: `the answer holds several values ("${excerpt(value)}")` };
  return { ok: true, value };
}

/**
 * The one public-address check every source's answer passes, whatever its kind: ONE address of the
 * wanted family, globally routable. The other family or a special-purpose address is a refusal:
 * publishing a wrong address is worse than publishing nothing.
 */
export function checkPublicAddress(text: string, family: IpFamily): BodyVerdict {
  const address = parseAddress(text);
  if (!address) return { ok: false, reason: `the answer "${excerpt(text)}" is not an IP address` };
  if (address.family !== family) {
    return {
      ok: false,
      reason: `the answer ${address.canonical} is an ${FAMILY_LABEL[address.family]} address, expected ${FAMILY_LABEL[family]}`,
    };
  }
  if (isCgnat(address)) {
    return {
      ok: false,
      reason: `the answer ${address.canonical} is in the carrier-grade NAT range 100.64.0.0/10`,
      hint:
        "your ISP shares one public IPv4 address among many customers (CGNAT), so no DNS name can reach " +
        "this host over IPv4; ask the ISP for a public IPv4 address, or use IPv6 (ipv6 = true)",
    };
  }
  const range = specialRange(address);
  if (range) {
    return {
      ok: false,
      reason: `the answer ${address.canonical} is not public: ${range.name} (${range.cidr})`,
    };
  }
  return { ok: true, address: address.canonical };
}

/**
 * Turns an echo service's body into an address, or says exactly why not: extractSourceValue, then
 * checkPublicAddress, then (trace only) not one of Cloudflare's own addresses.
 */
export function parseSourceBody(
  body: string,
  options: { family: IpFamily; format: SourceFormat; field?: string },
): BodyVerdict {
  const value = extractSourceValue(body, options);
  if (!value.ok) return value;
  const verdict = checkPublicAddress(value.value, options.family);
  if (!verdict.ok) return verdict;
  const address = parseAddress(verdict.address);
  if (options.format === "trace" && address && isCloudflareAddress(address)) {
    return {
      ok: false,
      reason: `the answer ${address.canonical} is one of Cloudflare's own addresses (WARP or a Cloudflare proxy), not yours`,
    };
  }
  return verdict;
}
