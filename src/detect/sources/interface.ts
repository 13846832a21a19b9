/**
 * The `interface` source: the address of a network interface, read from the kernel (`ip -j addr
 * show`), with no third party asked. IPv6 takes only a stable global address (never a temporary,
 * deprecated, tentative, DAD-failed, ULA or link-local one; rule in core/interface-address.ts);
 * IPv4 takes the interface's address only when it is public (PPPoE, a VPS).
 *
 *   sources = ["interface:eth0"]                      # shorthand; "interface" = every interface
 *   sources = [{ kind = "interface", interface = "eth0", prefer = "::1234" }]
 */
import { chooseInterfaceAddress, type PreferMatch, parsePrefer } from "../../core/interface-address.ts";
import { readInterfaceAddresses } from "../../platform/ip-command.ts";
import type { InterfaceSourceConfig } from "./interface-table.ts";
import { type DetectionSource, type SourceContext, SourceRefusal } from "./source.ts";

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
