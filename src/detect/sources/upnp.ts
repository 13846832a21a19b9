/**
 * `upnp`: the router's external IPv4 address over UPnP IGD (reference §3): SSDP discovery (or the
 * configured description URL), the description's WANIPConnection:1/2 or WANPPPConnection:1
 * service, then SOAP `GetExternalIPAddress`. An empty address, 0.0.0.0 or a SOAP fault means the
 * router does not know a usable address (miniupnpd answers empty while its own WAN address is
 * private): a refusal, never an answer.
 */
import { type IpFamily, parseAddress } from "../../core/ip.ts";
import {
  deadline,
  fetchDescription,
  soapCall,
  UPNP_WAN_SERVICES,
  type WanService,
  wanServices,
} from "./igd.ts";
import type { UpnpTable } from "./router-tables.ts";
import {
  type AskOptions,
  type DetectionSource,
  type SourceAnswer,
  type SourceContext,
  SourceRefusal,
} from "./source.ts";
import { discoverGateways } from "./ssdp.ts";

/** At most this many devices are tried when several answer the search. */
const MAX_DEVICES = 4;

/** Reads the NewExternalIPAddress of a GetExternalIPAddress reply: the address, or a refusal. */
export function externalAddress(value: string | undefined, where: string): string {
  if (value === undefined) throw new Error(`${where}: the reply has no NewExternalIPAddress`);
  if (value === "" || value === "0.0.0.0")
    throw new SourceRefusal(
      `${where} reported ${value === "" ? "an empty address" : "0.0.0.0"}: the router does not know its external address yet`,
      "a router reports this while its own WAN address is private (a second router or CGNAT in front of it) or while it is not connected",
    );
  if (parseAddress(value)?.family !== "ipv4")
    throw new Error(`${where}: "${value.slice(0, 60)}" is not an IPv4 address`);
  return value;
}

/** Asks each WAN service in turn; the first address wins, else the first refusal, else the first error. */
export async function askServices(
  services: readonly WanService[],
  within: ReturnType<typeof deadline>,
  describe: (service: WanService) => string,
  credentials?: { username: string; password: string },
): Promise<{ address: string; service: WanService }> {
  let refusal: SourceRefusal | undefined;
  let failure: Error | undefined;
  for (const service of services) {
    const where = describe(service);
    try {
      const outcome = await soapCall(service, "GetExternalIPAddress", within, credentials);
      if (outcome.kind === "fault")
        throw new SourceRefusal(
          `${where} answered a fault (${outcome.reason}): the router does not know its external address yet`,
        );
      return { address: externalAddress(outcome.fields.get("NewExternalIPAddress"), where), service };
    } catch (error) {
      if (within.signal.aborted) throw error;
      if (error instanceof SourceRefusal) refusal ??= error;
      else failure ??= error as Error;
    }
  }
  throw refusal ?? failure ?? new Error("no WAN connection service to ask");
}

function shortType(serviceType: string): string {
  return serviceType.replace(/^urn:[^:]+:service:/, "");
}

export function create(config: UpnpTable, _context: SourceContext): DetectionSource {
  return {
    kind: "upnp",
    name: config.name ?? "upnp",
    where: config.gateway ? `UPnP at ${new URL(config.gateway).host}` : "UPnP (SSDP discovery)",
    async ask(family: IpFamily, options: AskOptions): Promise<SourceAnswer> {
      if (family !== "ipv4")
        throw new SourceRefusal(
          "UPnP IGD reports only the router's IPv4 address",
          'for IPv6 use an "interface" source, or "fritzbox" on a Fritz!Box',
        );
      const within = deadline(options.signal, options.timeoutMs);
      const locations = config.gateway
        ? [new URL(config.gateway)]
        : (
            await discoverGateways({
              localAddress: config.interface,
              signal: options.signal,
              timeoutMs: Math.max(1, Math.floor(options.timeoutMs * 0.6)),
            })
          ).slice(0, MAX_DEVICES);
      let refusal: SourceRefusal | undefined;
      let failure: Error | undefined;
      for (const location of locations) {
        try {
          const services = wanServices(await fetchDescription(location, within), location, UPNP_WAN_SERVICES);
          if (services.length === 0)
            throw new Error(
              `${location.href}: the device has no WANIPConnection or WANPPPConnection service`,
            );
          const found = await askServices(
            services,
            within,
            (service) => `UPnP ${shortType(service.serviceType)} at ${service.controlUrl.host}`,
          );
          return {
            address: found.address,
            evidence: `UPnP ${shortType(found.service.serviceType)} at ${found.service.controlUrl.host}${config.gateway ? "" : " (found by SSDP)"}`,
          };
        } catch (error) {
          if (options.signal.aborted) throw error;
          if (error instanceof SourceRefusal) refusal ??= error;
          else failure ??= error as Error;
        }
      }
      throw refusal ?? failure ?? new Error("no UPnP device to ask");
    },
  };
}
