/**
 * The IPv4 default gateway of this host (of this network namespace), for NAT-PMP and PCP, which
 * talk to "the default gateway" (RFC 6886 §3, RFC 6887 §8.1). Read from /proc/net/route, which the
 * kernel writes per network namespace: no child process, no parsing of `ip` text.
 */
import { readFile } from "node:fs/promises";

/**
 * Parses /proc/net/route: a header line, then `Iface Destination Gateway Flags RefCnt Use Metric
 * Mask …` with addresses as 8 hex digits in host (little-endian) byte order. The default route has
 * destination and mask 00000000 and the RTF_GATEWAY flag (0x2); the lowest metric wins.
 */
export function parseProcNetRoute(text: string): { gateway: string; iface: string } | undefined {
  let best: { gateway: string; iface: string; metric: number } | undefined;
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [iface, destination, gateway, flags, , , metric, mask] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (destination !== "00000000" || mask !== "00000000") continue;
    if (!/^[0-9A-Fa-f]{8}$/.test(gateway) || (Number.parseInt(flags, 16) & 0x3) !== 0x3) continue;
    const value = Number.parseInt(gateway, 16);
    const address = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24].join(".");
    const rank = Number.parseInt(metric, 10);
    if (!best || rank < best.metric) best = { gateway: address, iface, metric: rank };
  }
  return best && { gateway: best.gateway, iface: best.iface };
}

/** The default gateway's IPv4 address, or an Error that says how to name one. */
export async function defaultGateway(): Promise<string> {
  let text: string;
  try {
    text = await readFile("/proc/net/route", "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the routing table (/proc/net/route: ${(error as NodeJS.ErrnoException).code ?? error}); set gateway = "<router address>"`,
    );
  }
  const found = parseProcNetRoute(text.slice(0, 1 << 20));
  if (!found) throw new Error('this host has no IPv4 default route; set gateway = "<router address>"');
  return found.gateway;
}
