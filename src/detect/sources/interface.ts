/**
 * The `interface` source: the address of a network interface, read from the kernel (`ip -j addr
 * show`), with no third party asked. IPv6 takes only a stable global address (never a temporary,
 * deprecated, tentative, DAD-failed, ULA or link-local one; rule in core/interface-address.ts);
 * IPv4 takes the interface's address only when it is public (PPPoE, a VPS).
 *
 *   sources = ["interface:eth0"]                      # shorthand; "interface" = every interface
 *   sources = [{ kind = "interface", interface = "eth0", prefer = "::1234" }]
 */
import * as v from "valibot";
import { chooseInterfaceAddress, type PreferMatch, parsePrefer } from "../../core/interface-address.ts";
import { readInterfaceAddresses } from "../../platform/ip-command.ts";
import { type DetectionSource, type SourceContext, SourceRefusal } from "./source.ts";

/** Linux interface names: at most 15 characters (IFNAMSIZ - 1), no "/", no space, not starting with "-". */
const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$/;

export const InterfaceSourceSchema = v.strictObject({
  kind: v.literal("interface"),
  interface: v.optional(
    v.pipe(
      v.string(),
      v.regex(INTERFACE_NAME, 'expected a network interface name like "eth0" (see `ip link`)'),
      v.description("The network interface to read (default: every interface)"),
    ),
  ),
  prefer: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => !("error" in parsePrefer(text)),
        "expected a network (2a01:db8:1::/48), an interface identifier (::1234) or an address",
      ),
      v.description(
        'Rank first the address inside this network ("2a01:db8:1::/48"), with this interface identifier ("::1234"), or equal to it; never overrides what is refused',
      ),
    ),
  ),
  name: v.optional(v.pipe(v.string(), v.description("Name used in messages (default: the interface name)"))),
});

export type InterfaceSourceConfig = v.InferOutput<typeof InterfaceSourceSchema>;

/** `"interface"` (every interface) or `"interface:eth0"`; undefined for any other string. */
export function parseInterfaceShorthand(text: string): InterfaceSourceConfig | undefined {
  if (text === "interface") return { kind: "interface" };
  if (!text.startsWith("interface:")) return undefined;
  const name = text.slice("interface:".length);
  if (!INTERFACE_NAME.test(name)) {
    throw new Error(`"${text}": expected "interface:<name>" with a network interface name like eth0`);
  }
  return { kind: "interface", interface: name };
}

export function create(config: InterfaceSourceConfig, _context?: SourceContext): DetectionSource {
  const where = config.interface ?? "all interfaces";
  let prefer: PreferMatch | undefined;
  if (config.prefer !== undefined) {
    const parsed = parsePrefer(config.prefer);
    if ("error" in parsed) throw new Error(`interface source: prefer: ${parsed.error}`);
    prefer = parsed;
  }
  return {
    kind: "interface",
    name: config.name ?? config.interface ?? "interface",
    where,
    async ask(family, { signal, timeoutMs }) {
      const addresses = await readInterfaceAddresses(family, {
        interface: config.interface,
        signal,
        timeoutMs,
      });
      const choice = chooseInterfaceAddress(addresses, { family, where, prefer });
      if (!choice.ok) throw new SourceRefusal(choice.reason, choice.hint);
      return { address: choice.address, evidence: choice.evidence };
    },
  };
}
