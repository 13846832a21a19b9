/**
 * One line of `ip -o monitor address` (iproute2; `-j` is ignored in monitor mode, so this is text):
 *
 *   3: v0    inet6 2001:db8:1::10/64 scope global tentative dynamic \       valid_lft 3600sec preferred_lft 1800sec
 *   Deleted 3: v0    inet 198.51.100.8/24 brd 198.51.100.255 scope global secondary v0\       valid_lft forever …
 *
 * The daemon treats an event only as a trigger and re-reads the state with `ip -j addr show`, so
 * the parse needs just enough to filter: which interface, which address, which flags, added or
 * deleted. Pure.
 */
import type { IpFamily } from "./ip.ts";

export interface AddressEvent {
  deleted: boolean;
  interface: string;
  family: IpFamily;
  /** Without the prefix length. */
  address: string;
  scope: string;
  /** Flag words between the scope and the lifetimes (an IPv4 label is dropped). */
  flags: string[];
}

const LINE =
  /^(?:\[[^\]]*\]\s*)?(Deleted )?\d+:\s+(\S+)\s+(inet6?)\s+([0-9A-Fa-f.:]+)(?:\s+peer\s+\S+)?\/\d+(?:\s+brd\s+\S+)?\s+scope\s+(\S+)\s*(.*?)\s*(?:\\\s*)?(?:valid_lft\s.*)?$/;

export function parseMonitorLine(line: string): AddressEvent | undefined {
  const match = LINE.exec(line.trimEnd());
  if (!match) return undefined;
  const [, deleted, iface, inet, address, scope, rest] = match as unknown as string[];
  const family: IpFamily = inet === "inet6" ? "ipv6" : "ipv4";
  let flags = (rest ?? "").split(/\s+/).filter((word) => word !== "" && word !== "\\");
  // IPv4 lines end the flag words with the label, which starts with the interface name.
  if (family === "ipv4" && flags.length > 0 && flags[flags.length - 1]?.startsWith(iface as string)) {
    flags = flags.slice(0, -1);
  }
  return {
    deleted: deleted !== undefined,
    interface: iface as string,
    family,
    address: address as string,
    scope: scope as string,
    flags,
  };
}
