/**
 * Which address of a network interface homing may publish, and why (the `interface` source and the
 * echo guard). Pure: the caller reads `ip -j addr show` and passes its text in.
 *
 * The IPv6 rule, in order (README, "The interface source"):
 * 1. Only global-scope, public addresses are candidates. Never a temporary (privacy, RFC 4941),
 *    deprecated (preferred lifetime 0), tentative or optimistic (duplicate-address detection still
 *    running), DAD-failed, ULA (fc00::/7), link-local or other special-purpose address.
 * 2. A `prefer` match ranks first (a prefix "2a01:db8:1::/48", an interface identifier "::1234", or a
 *    whole address). It never makes an excluded address eligible; when nothing matches, the rule
 *    below decides and the evidence says so.
 * 3. Stable kinds rank next: permanent (configured by hand, no `dynamic` flag), `mngtmpaddr` (the
 *    SLAAC address temporary ones are made from) and `stable-privacy` (RFC 7217), before other
 *    `dynamic` addresses (SLAAC without privacy extensions, DHCPv6).
 * 4. Then the longest preferred lifetime ("forever" is longest).
 * 5. Ties: the lowest address, so the answer never depends on the order the kernel lists them.
 *
 * IPv4: global-scope addresses that are not tentative or DAD-failed; a `prefer` match, then a
 * primary before a secondary address, then the kernel's order. Only a public address is published;
 * when none is, the refusal uses the same words as an echo service's private answer.
 */
import { cidrContains, type IpFamily, parseAddress, parseCidr } from "./ip.ts";
import { parseSourceBody } from "./source-body.ts";

/** `preferred_life_time` / `valid_life_time` for "forever" (INFINITY_LIFE_TIME). */
export const FOREVER = 4294967295;

export interface InterfaceAddress {
  interface: string;
  family: IpFamily;
  /** As `ip` prints it ("2a00:1450:4001:81b::5", "11.22.33.44"). */
  address: string;
  prefixLength: number;
  /** "global", "link", "host", "site" … */
  scope: string;
  /** The boolean flags `ip -j` sets: temporary, dynamic, deprecated, tentative, mngtmpaddr, … */
  flags: readonly string[];
  /** Seconds; {@link FOREVER} for forever. */
  preferredLifetime: number;
  validLifetime: number;
}

const FLAG_NAMES = [
  "temporary",
  "secondary",
  "dynamic",
  "deprecated",
  "tentative",
  "nodad",
  "optimistic",
  "dadfailed",
  "home",
  "mngtmpaddr",
  "noprefixroute",
  "autojoin",
  "stable-privacy",
] as const;

/**
 * Reads the JSON of `ip -j addr show` (an array of links, each with `addr_info`). Entries it cannot
 * read (no `local`, an unknown family) are skipped; text that is not that shape is an error.
 */
export function parseIpAddrJson(text: string): InterfaceAddress[] {
  let links: unknown;
  try {
    links = JSON.parse(text);
  } catch {
    throw new Error("`ip -j addr show` did not print JSON");
  }
  if (!Array.isArray(links)) throw new Error("`ip -j addr show` did not print a list of interfaces");
  const out: InterfaceAddress[] = [];
  for (const link of links) {
    if (typeof link !== "object" || link === null) continue;
    const { ifname, addr_info: infos } = link as { ifname?: unknown; addr_info?: unknown };
    if (typeof ifname !== "string" || !Array.isArray(infos)) continue;
    for (const info of infos) {
      if (typeof info !== "object" || info === null) continue;
      const entry = info as Record<string, unknown>;
      const family = entry.family === "inet" ? "ipv4" : entry.family === "inet6" ? "ipv6" : undefined;
      if (!family || typeof entry.local !== "string") continue;
      const lifetime = (value: unknown) => (typeof value === "number" ? value : FOREVER);
      out.push({
        interface: ifname,
        family,
        address: entry.local,
        prefixLength: typeof entry.prefixlen === "number" ? entry.prefixlen : family === "ipv4" ? 32 : 128,
        scope: typeof entry.scope === "string" ? entry.scope : "global",
        flags: FLAG_NAMES.filter((name) => entry[name] === true),
        preferredLifetime: lifetime(entry.preferred_life_time),
        validLifetime: lifetime(entry.valid_life_time),
      });
    }
  }
  return out;
}

/** A `prefer` value: a network (contains "/"), an interface identifier ("::1234") or one address. */
export type PreferMatch =
  | { kind: "prefix"; text: string; family: IpFamily; test: (address: Uint8Array) => boolean }
  | { kind: "suffix"; text: string; family: "ipv6"; test: (address: Uint8Array) => boolean };

/**
 * Parses `prefer`. A value with "/" is a network; a value starting with "::" is an IPv6 interface
 * identifier, compared with the address's last 64 bits; anything else must be one whole address.
 * Returns an error sentence for a value that is none of these.
 */
export function parsePrefer(text: string): PreferMatch | { error: string } {
  const value = text.trim();
  if (value.includes("/")) {
    const cidr = parseCidr(value);
    if (!cidr) return { error: `"${text}" is not a network like 2a01:db8:1::/48 or 81.2.69.0/24` };
    return {
      kind: "prefix",
      text: value,
      family: cidr.family,
      test: (bytes) => cidrContains(cidr, { family: cidr.family, canonical: "", bytes }),
    };
  }
  if (value.startsWith("::")) {
    const parsed = parseAddress(value);
    if (!parsed || parsed.bytes.slice(0, 8).some((byte) => byte !== 0)) {
      return { error: `"${text}" is not an interface identifier like ::1234 (at most the last 64 bits)` };
    }
    const suffix = parsed.bytes.slice(8);
    return {
      kind: "suffix",
      text: value,
      family: "ipv6",
      test: (bytes) => bytes.length === 16 && suffix.every((byte, i) => bytes[8 + i] === byte),
    };
  }
  const parsed = parseAddress(value);
  if (!parsed) {
    return { error: `"${text}" is not an address, a network (…/48) or an interface identifier (::1234)` };
  }
  const whole = parseCidr(value);
  if (!whole) return { error: `"${text}" is not an address` };
  return {
    kind: "prefix",
    text: value,
    family: parsed.family,
    test: (bytes) => cidrContains(whole, { family: parsed.family, canonical: "", bytes }),
  };
}

/** Why an address is not a candidate, or undefined when it is one. */
export function exclusionOf(entry: InterfaceAddress): string | undefined {
  const flags = new Set(entry.flags);
  const parsed = parseAddress(entry.address);
  if (!parsed || parsed.family !== entry.family) return "not an address homing can read";
  if (entry.family === "ipv6") {
    if (entry.scope === "link" || (parsed.bytes[0] === 0xfe && (parsed.bytes[1]! & 0xc0) === 0x80)) {
      return "link-local (fe80::/10)";
    }
    if (flags.has("temporary")) return "temporary (privacy extensions: it changes within a day)";
    if (flags.has("dadfailed")) return "in conflict (duplicate-address detection failed)";
    if (flags.has("tentative") || flags.has("optimistic")) {
      return "tentative (duplicate-address detection is still running)";
    }
    if (flags.has("deprecated") || entry.preferredLifetime === 0) return "deprecated (being phased out)";
    if ((parsed.bytes[0]! & 0xfe) === 0xfc)
      return "a unique local address (ULA, fc00::/7), not reachable from the internet";
    if (entry.scope !== "global") return `of scope ${entry.scope}, not global`;
  } else {
    if (flags.has("dadfailed")) return "in conflict (duplicate-address detection failed)";
    if (flags.has("tentative")) return "tentative (duplicate-address detection is still running)";
    if (entry.scope !== "global") return `of scope ${entry.scope}, not global`;
  }
  return undefined;
}

/** "permanent", "mngtmpaddr", "stable-privacy" or "dynamic": the word the evidence shows. */
export function stabilityOf(entry: InterfaceAddress): string {
  const flags = new Set(entry.flags);
  if (flags.has("stable-privacy")) return "stable-privacy";
  if (flags.has("mngtmpaddr")) return "mngtmpaddr";
  if (!flags.has("dynamic")) return "permanent";
  return "dynamic";
}

function lifetimeText(seconds: number): string {
  return seconds >= FOREVER ? "forever" : `${seconds} s`;
}

/** "eth0, permanent, preferred 86400 s" */
export function describeAddress(entry: InterfaceAddress): string {
  if (entry.family === "ipv4") {
    return `${entry.interface}, ${entry.flags.includes("secondary") ? "secondary" : "primary"} address`;
  }
  return `${entry.interface}, ${stabilityOf(entry)}, preferred ${lifetimeText(entry.preferredLifetime)}`;
}

export type InterfaceChoice =
  | { ok: true; chosen: InterfaceAddress; address: string; evidence: string }
  | { ok: false; reason: string; hint?: string };

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const FAMILY_LABEL: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };

/**
 * Picks the address to publish among `addresses` (all interfaces or one), for `family`, by the rule
 * in this module's comment. `where` names the interface(s) for messages ("eth0", "any interface").
 */
export function chooseInterfaceAddress(
  addresses: readonly InterfaceAddress[],
  options: { family: IpFamily; where: string; prefer?: PreferMatch | undefined },
): InterfaceChoice {
  const { family, where } = options;
  const label = FAMILY_LABEL[family];
  const ofFamily = addresses.filter((entry) => entry.family === family);
  const excluded: string[] = [];
  const candidates: { entry: InterfaceAddress; bytes: Uint8Array; index: number }[] = [];
  let firstPrivate: { reason: string; hint?: string } | undefined;
  ofFamily.forEach((entry, index) => {
    const why = exclusionOf(entry);
    if (why) {
      excluded.push(`${entry.address} is ${why}`);
      return;
    }
    const verdict = parseSourceBody(entry.address, { family, format: "text" });
    if (!verdict.ok) {
      const reason = verdict.reason.replace(/^the answer /, "");
      excluded.push(reason);
      firstPrivate ??= { reason: `${where}: ${reason}`, ...(verdict.hint ? { hint: verdict.hint } : {}) };
      return;
    }
    const parsed = parseAddress(entry.address) as { bytes: Uint8Array };
    candidates.push({ entry, bytes: parsed.bytes, index });
  });
  if (candidates.length === 0) {
    if (family === "ipv4" && firstPrivate) return { ok: false, ...firstPrivate };
    if (ofFamily.length === 0) {
      return {
        ok: false,
        reason: `${where} has no ${label} address`,
        ...(family === "ipv6"
          ? { hint: "check the interface name, and that the router announces an IPv6 prefix" }
          : {}),
      };
    }
    const listed =
      excluded.slice(0, 8).join("; ") + (excluded.length > 8 ? `; and ${excluded.length - 8} more` : "");
    return {
      ok: false,
      reason: `${where} has no ${label} address homing may publish: ${listed}`,
      ...(family === "ipv6"
        ? {
            hint:
              "homing publishes only a stable global address, never a temporary (privacy) one; give the interface one " +
              "(SLAAC with a stable identifier, DHCPv6 or a static address), or use an echo source",
          }
        : {}),
    };
  }
  const prefer = options.prefer && options.prefer.family === family ? options.prefer : undefined;
  const matches = (bytes: Uint8Array) => (prefer ? prefer.test(bytes) : false);
  const rank = (c: (typeof candidates)[number]) => {
    if (family === "ipv4")
      return [matches(c.bytes) ? 0 : 1, c.entry.flags.includes("secondary") ? 1 : 0, c.index];
    return [
      matches(c.bytes) ? 0 : 1,
      stabilityOf(c.entry) === "dynamic" ? 1 : 0,
      -Math.min(c.entry.preferredLifetime, FOREVER),
    ];
  };
  const sorted = [...candidates].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
    return compareBytes(a.bytes, b.bytes);
  });
  const best = sorted[0] as (typeof candidates)[number];
  const canonical = (parseAddress(best.entry.address) as { canonical: string }).canonical;
  let evidence = describeAddress(best.entry);
  if (prefer) {
    evidence += matches(best.bytes)
      ? `, matches prefer "${prefer.text}"`
      : `; no address matches prefer "${prefer.text}", chosen by the rule`;
  }
  return { ok: true, chosen: best.entry, address: canonical, evidence };
}
