/**
 * IPv6 prefix plus interface identifier: a LAN host (a NAS, a camera) keeps a fixed interface
 * identifier (its low 64 bits, `ipv6_suffix`) while the ISP's prefix changes. The published
 * address is the detected prefix's /64 with the suffix in the low 64 bits. Pure.
 */
import { addressFromBytes, parseAddress, parseCidr } from "./ip.ts";

/** Why `text` is not an interface identifier, or undefined when it is one. */
export function describeIpv6Suffix(text: string): string | undefined {
  const address = parseAddress(text);
  if (address?.family !== "ipv6") {
    return `"${text}" is not an IPv6 interface identifier; write it like "::1234:5678:9abc:def0"`;
  }
  if (address.bytes.subarray(0, 8).some((byte) => byte !== 0)) {
    return `"${text}" sets bits in the first 64 bits (the prefix); an interface identifier is the last 64 bits only, like "::1234:5678:9abc:def0"`;
  }
  if (address.bytes.every((byte) => byte === 0)) return `"${text}" is all zeros; that is not a host`;
  return undefined;
}

/**
 * The /64 an answer stands for, as "2001:db8:1:2::/64": a prefix of length ≤ 64 names its first
 * /64 (bits beyond its length are zero), an address its own /64. Undefined for anything else (a
 * prefix longer than /64 cannot carry a 64-bit interface identifier).
 */
export function networkOf(answer: { address?: string; prefix?: string }): string | undefined {
  let bytes: Uint8Array;
  if (answer.prefix !== undefined) {
    const cidr = parseCidr(answer.prefix);
    if (cidr?.family !== "ipv6" || cidr.prefix > 64 || !answer.prefix.includes("/")) return undefined;
    bytes = cidr.bytes;
  } else if (answer.address !== undefined) {
    const address = parseAddress(answer.address);
    if (address?.family !== "ipv6") return undefined;
    bytes = address.bytes;
  } else {
    return undefined;
  }
  const network = new Uint8Array(16);
  network.set(bytes.subarray(0, 8));
  return `${addressFromBytes(network)?.canonical}/64`;
}

/** The address a record publishes: the network's first 64 bits, then the suffix's last 64. */
export function combineIpv6(network: string, suffix: string): string {
  const cidr = parseCidr(network);
  const identifier = parseAddress(suffix);
  if (cidr?.family !== "ipv6" || cidr.prefix > 64)
    throw new Error(`"${network}" is not an IPv6 prefix of /64 or shorter`);
  if (!identifier || describeIpv6Suffix(suffix) !== undefined)
    throw new Error(`"${suffix}" is not an interface identifier`);
  const bytes = new Uint8Array(16);
  bytes.set(cidr.bytes.subarray(0, 8));
  bytes.set(identifier.bytes.subarray(8), 8);
  return addressFromBytes(bytes)?.canonical as string;
}
