/**
 * Strict, dependency-free IP address handling: parsing, RFC 5952 canonical text, CIDR matching, and
 * classification against the IANA special-purpose registries and Cloudflare's published ranges.
 *
 * Pure module (no I/O, no `node:*` imports) so it costs nothing at cron start-up: all range tables are
 * compiled lazily on first use.
 */

export type IpFamily = "ipv4" | "ipv6";

/** A successfully parsed address. `bytes` is 4 bytes long for IPv4 and 16 for IPv6 (network order). */
export interface ParsedAddress {
  family: IpFamily;
  /** RFC 5952 text for IPv6 (IPv4-mapped as `::ffff:a.b.c.d`); dotted quad for IPv4. */
  canonical: string;
  bytes: Uint8Array;
}

/** A network: `bytes` always has the host bits (after `prefix`) cleared. */
export interface Cidr {
  family: IpFamily;
  bytes: Uint8Array;
  prefix: number;
}

/** One entry of {@link SPECIAL_RANGES}: a canonical CIDR and a name a non-expert understands. */
export interface SpecialRange {
  cidr: string;
  name: string;
}

const COLON = 58;
const DOT = 46;

/**
 * Strict parse of ONE textual address.
 *
 * IPv4: exactly four decimal octets 0-255 without leading zeros ("01.2.3.4", "1.2.3", "0x7f.0.0.1" are
 * rejected). IPv6: the RFC 4291 text forms — eight groups of 1-4 hex digits, at most one "::" (which may
 * stand for one or more zero groups), an optional dotted IPv4 tail in the last 32 bits, any letter case.
 * Zone ids ("%eth0"), brackets, prefixes ("/64") and surrounding whitespace are rejected.
 *
 * @returns undefined when `text` is not exactly one address.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (typeof text !== "string") return undefined;
  if (text.indexOf(":") === -1) {
    const bytes = new Uint8Array(4);
    // A strictly parsed dotted quad is already canonical, so the input text is reused.
    return parseIpv4Into(text, 0, text.length, bytes, 0)
      ? { family: "ipv4", canonical: text, bytes }
      : undefined;
  }
  const bytes = parseIpv6(text);
  return bytes === undefined ? undefined : { family: "ipv6", canonical: formatIpv6(bytes), bytes };
}

/**
 * Builds a {@link ParsedAddress} from raw network-order bytes (e.g. A/AAAA record data).
 *
 * @returns undefined unless `bytes` is exactly 4 or 16 bytes long. The bytes are copied.
 */
export function addressFromBytes(bytes: Uint8Array): ParsedAddress | undefined {
  if (bytes.length === 4) {
    const copy = Uint8Array.from(bytes);
    return { family: "ipv4", canonical: formatIpv4(copy, 0), bytes: copy };
  }
  if (bytes.length === 16) {
    const copy = Uint8Array.from(bytes);
    return { family: "ipv6", canonical: formatIpv6(copy), bytes: copy };
  }
  return undefined;
}

/**
 * Parses "address/prefix" ("10.0.0.0/8", "2001:db8::/32"). A bare address means /32 (IPv4) or /128 (IPv6).
 * The prefix is decimal without leading zeros, 0-32 or 0-128. Host bits set in the address are accepted
 * and cleared ("192.168.1.7/24" is the network 192.168.1.0/24).
 *
 * @returns undefined when the text is not a valid network.
 */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  const slash = text.indexOf("/");
  const address = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  const max = address.bytes.length * 8;
  let prefix = max;
  if (slash !== -1) {
    const digits = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(digits)) return undefined;
    prefix = Number(digits);
    if (prefix > max) return undefined;
  }
  const bytes = address.bytes;
  for (let bit = prefix; bit < max; bit++) {
    const index = bit >> 3;
    bytes[index] = bytes[index]! & ~(0x80 >> (bit & 7));
  }
  return { family: address.family, bytes, prefix };
}

/**
 * Whether `address` lies inside `cidr`. Families must match: an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is NOT inside an IPv4 network.
 */
export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family || cidr.bytes.length !== address.bytes.length) return false;
  const prefix = cidr.prefix;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) {
    if (cidr.bytes[i] !== address.bytes[i]) return false;
  }
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((cidr.bytes[whole]! ^ address.bytes[whole]!) & mask) === 0;
}

const RFC1918 = "private network (RFC 1918)";
const IPV4_DOCUMENTATION = "documentation example range (RFC 5737)";
const IPV6_DOCUMENTATION = "documentation example range (RFC 3849/9637)";
const AS112 = "AS112 DNS sink for reverse lookups of private addresses (RFC 7534/7535)";
const NOT_GLOBAL_V6 = "IPv6 space outside 2000::/3, not global unicast (RFC 4291)";

/**
 * The IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and updates) plus the multicast,
 * reserved and deprecated blocks: every range in which a home connection's public address cannot
 * plausibly lie. This deliberately includes a few registry entries marked "globally reachable" that
 * are anycast service ranges (AS112, AMT, 6to4 relay, NAT64 well-known prefix, Teredo): no ISP hands
 * those to a customer. For IPv6, everything outside 2000::/3 is covered by the catch-all blocks
 * ::/3, 4000::/2 and 8000::/1; more specific entries (e.g. ::1/128, fc00::/7) carry better names.
 *
 * Entries may nest; {@link specialRange} reports the most specific one. Every `cidr` has its host bits
 * clear and is spelled as in the IANA registries (lowercase, compressed).
 */
export const SPECIAL_RANGES: readonly SpecialRange[] = Object.freeze([
  // IPv4 — https://www.iana.org/assignments/iana-ipv4-special-registry
  { cidr: "0.0.0.0/8", name: '"this network" placeholder, not a real address (RFC 791)' },
  { cidr: "0.0.0.0/32", name: "unspecified address (0.0.0.0, RFC 1122)" },
  { cidr: "10.0.0.0/8", name: RFC1918 },
  { cidr: "100.64.0.0/10", name: "shared address space (CGNAT, RFC 6598)" },
  { cidr: "127.0.0.0/8", name: "loopback, this machine itself (RFC 1122)" },
  { cidr: "169.254.0.0/16", name: "link-local, self-assigned when DHCP failed (RFC 3927)" },
  { cidr: "172.16.0.0/12", name: RFC1918 },
  { cidr: "192.0.0.0/24", name: "IETF protocol assignments (RFC 6890)" },
  {
    cidr: "192.0.0.0/29",
    name: "DS-Lite/464XLAT tunnel endpoint, your ISP shares an IPv4 address (RFC 7335)",
  },
  { cidr: "192.0.0.8/32", name: "IPv4 dummy address (RFC 7600)" },
  { cidr: "192.0.0.9/32", name: "Port Control Protocol anycast (RFC 7723)" },
  { cidr: "192.0.0.10/32", name: "TURN relay anycast (RFC 8155)" },
  { cidr: "192.0.0.170/31", name: "NAT64/DNS64 discovery (RFC 7050)" },
  { cidr: "192.0.2.0/24", name: IPV4_DOCUMENTATION },
  { cidr: "192.31.196.0/24", name: AS112 },
  { cidr: "192.52.193.0/24", name: "AMT multicast relay anycast (RFC 7450)" },
  { cidr: "192.88.99.0/24", name: "deprecated 6to4 relay anycast (RFC 7526)" },
  { cidr: "192.168.0.0/16", name: RFC1918 },
  { cidr: "192.175.48.0/24", name: AS112 },
  { cidr: "198.18.0.0/15", name: "network benchmarking lab range (RFC 2544)" },
  { cidr: "198.51.100.0/24", name: IPV4_DOCUMENTATION },
  { cidr: "203.0.113.0/24", name: IPV4_DOCUMENTATION },
  { cidr: "224.0.0.0/4", name: "multicast, not a single machine (RFC 5771)" },
  { cidr: "240.0.0.0/4", name: "reserved for future use (RFC 1112)" },
  { cidr: "255.255.255.255/32", name: "limited broadcast (RFC 919)" },
  // IPv6 — https://www.iana.org/assignments/iana-ipv6-special-registry
  { cidr: "::/3", name: NOT_GLOBAL_V6 },
  { cidr: "4000::/2", name: NOT_GLOBAL_V6 },
  { cidr: "8000::/1", name: NOT_GLOBAL_V6 },
  { cidr: "::/128", name: "unspecified address (::, RFC 4291)" },
  { cidr: "::1/128", name: "loopback, this machine itself (RFC 4291)" },
  { cidr: "::ffff:0:0/96", name: "IPv4 address dressed up as IPv6 (IPv4-mapped, RFC 4291)" },
  { cidr: "64:ff9b::/96", name: "NAT64 translated IPv4 address, not your own (RFC 6052)" },
  { cidr: "64:ff9b:1::/48", name: "local NAT64 translation (RFC 8215)" },
  { cidr: "100::/64", name: "discard-only black hole (RFC 6666)" },
  { cidr: "100:0:0:1::/64", name: "dummy IPv6 prefix, never routed (IANA special-purpose registry)" },
  { cidr: "2001::/23", name: "IETF protocol assignments (RFC 2928)" },
  { cidr: "2001::/32", name: "Teredo tunnel, not a native address (RFC 4380)" },
  { cidr: "2001:2::/48", name: "network benchmarking lab range (RFC 5180)" },
  { cidr: "2001:db8::/32", name: IPV6_DOCUMENTATION },
  { cidr: "2002::/16", name: "6to4 tunnel, not a native address (RFC 3056)" },
  { cidr: "2620:4f:8000::/48", name: AS112 },
  { cidr: "3fff::/20", name: IPV6_DOCUMENTATION },
  { cidr: "5f00::/16", name: "SRv6 segment routing identifiers (RFC 9602)" },
  { cidr: "fc00::/7", name: "unique local address, the IPv6 private network (RFC 4193)" },
  { cidr: "fe80::/10", name: "link-local, valid on the local link only (RFC 4291)" },
  { cidr: "fec0::/10", name: "site-local, deprecated private range (RFC 3879)" },
  { cidr: "ff00::/8", name: "multicast, not a single machine (RFC 4291)" },
]);

/**
 * Cloudflare's published ranges (https://www.cloudflare.com/ips-v4 and /ips-v6) plus its public resolver
 * 1.1.1.0/24, 1.0.0.0/24 and 2606:4700:4700::/48.
 */
export const CLOUDFLARE_RANGES: readonly string[] = Object.freeze([
  "173.245.48.0/20",
  "103.21.244.0/22",
  "103.22.200.0/22",
  "103.31.4.0/22",
  "141.101.64.0/18",
  "108.162.192.0/18",
  "190.93.240.0/20",
  "188.114.96.0/20",
  "197.234.240.0/22",
  "198.41.128.0/17",
  "162.158.0.0/15",
  "104.16.0.0/13",
  "104.24.0.0/14",
  "172.64.0.0/13",
  "131.0.72.0/22",
  "1.1.1.0/24",
  "1.0.0.0/24",
  "2400:cb00::/32",
  "2606:4700::/32",
  "2803:f800::/32",
  "2405:b500::/32",
  "2405:8100::/32",
  "2a06:98c0::/29",
  "2c0f:f248::/32",
  "2606:4700:4700::/48",
]);

interface CompiledRange {
  cidr: Cidr;
  range: SpecialRange;
}

let specialCompiled: CompiledRange[] | undefined;
let cloudflareCompiled: Cidr[] | undefined;

function compileSpecial(): CompiledRange[] {
  const compiled: CompiledRange[] = [];
  for (const range of SPECIAL_RANGES) {
    const cidr = parseCidr(range.cidr);
    if (cidr === undefined) throw new Error(`invalid built-in range ${range.cidr}`);
    compiled.push({ cidr, range });
  }
  // Most specific first, so the first hit is the best name.
  compiled.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  return compiled;
}

/**
 * The special range `address` falls in (the most specific one when ranges nest), or undefined when it
 * is public global unicast. IPv4-mapped IPv6 addresses report the IPv4-mapped range, not the range of
 * the embedded IPv4 address.
 */
export function specialRange(address: ParsedAddress): SpecialRange | undefined {
  specialCompiled ??= compileSpecial();
  for (const entry of specialCompiled) {
    if (cidrContains(entry.cidr, address)) return entry.range;
  }
  return undefined;
}

/** Whether `address` is an IPv4 address in the carrier-grade NAT shared space 100.64.0.0/10 (RFC 6598). */
export function isCgnat(address: ParsedAddress): boolean {
  if (address.family !== "ipv4") return false;
  return address.bytes[0] === 100 && (address.bytes[1]! & 0xc0) === 64;
}

/**
 * Whether `address` is in one of {@link CLOUDFLARE_RANGES}: Cloudflare's /cdn-cgi/trace endpoint can
 * report such an address instead of the client's own (e.g. when the request went through Cloudflare
 * infrastructure). Note that WARP egress addresses are not all in the published list; check the
 * trace's `warp=` field as well.
 */
export function isCloudflareAddress(address: ParsedAddress): boolean {
  if (cloudflareCompiled === undefined) {
    cloudflareCompiled = CLOUDFLARE_RANGES.map((text) => {
      const cidr = parseCidr(text);
      if (cidr === undefined) throw new Error(`invalid built-in range ${text}`);
      return cidr;
    });
  }
  for (const cidr of cloudflareCompiled) {
    if (cidrContains(cidr, address)) return true;
  }
  return false;
}

/**
 * Parses a dotted quad occupying text[start, end) into out[offset..offset+3].
 * @returns false unless it is exactly four decimal octets 0-255 without leading zeros.
 */
function parseIpv4Into(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let octets = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const code = i === end ? DOT : text.charCodeAt(i);
    if (code === DOT) {
      if (digits === 0 || octets === 4) return false;
      out[offset + octets] = value;
      octets++;
      value = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (code - 48);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return octets === 4;
}

/** Value of one hex digit, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** RFC 4291 §2.2 text forms → 16 bytes, or undefined. */
function parseIpv6(text: string): Uint8Array | undefined {
  const length = text.length;
  // Longest valid form: six 4-digit groups plus a 15-character dotted quad.
  if (length < 2 || length > 45) return undefined;
  const words: number[] = [];
  let gap = -1; // index in `words` where "::" stands
  let i = 0;
  if (text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return undefined;
    gap = 0;
    i = 2;
  }
  const bytes = new Uint8Array(16);
  let v4Tail = false;
  while (i < length) {
    let value = 0;
    let digits = 0;
    let j = i;
    while (j < length) {
      const digit = hexDigit(text.charCodeAt(j));
      if (digit < 0) break;
      if (++digits > 4) return undefined;
      value = value * 16 + digit;
      j++;
    }
    if (j < length && text.charCodeAt(j) === DOT) {
      // Dotted IPv4 tail: must run to the end and fill the last 32 bits.
      if (words.length > 6 || !parseIpv4Into(text, i, length, bytes, 12)) return undefined;
      v4Tail = true;
      break;
    }
    if (digits === 0) return undefined;
    words.push(value);
    if (j === length) break;
    if (text.charCodeAt(j) !== COLON) return undefined;
    j++;
    if (j < length && text.charCodeAt(j) === COLON) {
      if (gap !== -1) return undefined;
      gap = words.length;
      j++;
    } else if (j === length) {
      return undefined; // trailing single colon
    }
    i = j;
  }
  const available = v4Tail ? 6 : 8;
  if (gap === -1 ? words.length !== available : words.length >= available) return undefined;
  const head = gap === -1 ? words.length : gap;
  for (let k = 0; k < head; k++) {
    const word = words[k]!;
    bytes[2 * k] = word >> 8;
    bytes[2 * k + 1] = word & 0xff;
  }
  const tail = words.length - head;
  const tailStart = available - tail;
  for (let k = 0; k < tail; k++) {
    const word = words[head + k]!;
    bytes[2 * (tailStart + k)] = word >> 8;
    bytes[2 * (tailStart + k) + 1] = word & 0xff;
  }
  return bytes;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of 16 bytes; IPv4-mapped addresses as ::ffff:a.b.c.d (RFC 5952 §5). */
function formatIpv6(bytes: Uint8Array): string {
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = bytes[i] === 0;
  if (mapped) return `::ffff:${formatIpv4(bytes, 12)}`;
  const words: number[] = [];
  for (let k = 0; k < 8; k++) words.push((bytes[2 * k]! << 8) | bytes[2 * k + 1]!);
  // Longest run of zero groups, first on ties; a single zero group is never compressed (§4.2.2).
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    if (words[k] === 0) {
      if (runStart === -1) runStart = k;
      if (k - runStart + 1 > bestLength) {
        bestStart = runStart;
        bestLength = k - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestStart === -1) return words.map((word) => word.toString(16)).join(":");
  const before = words.slice(0, bestStart).map((word) => word.toString(16));
  const after = words.slice(bestStart + bestLength).map((word) => word.toString(16));
  return `${before.join(":")}::${after.join(":")}`;
}
