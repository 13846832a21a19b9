/**
 * `fritzbox`: an AVM Fritz!Box's WAN address (reference §5).
 * - Without credentials: the IGD service (`/igddesc.xml`, WANIPConnection or WANPPPConnection, port
 *   49000), which needs "Statusinformationen über UPnP übertragen" enabled on the box.
 * - With `username` and a password: TR-064 (`/tr64desc.xml`, urn:dslforum-org WAN service) with
 *   HTTP digest auth, which needs "Zugriff für Anwendungen zulassen".
 * - IPv6 (always over IGD): `X_AVM_DE_GetExternalIPv6Address` for the box's own address and
 *   `X_AVM_DE_GetIPv6Prefix` for the delegated prefix; empty fields mean "no IPv6 yet".
 */
import { type IpFamily, parseAddress } from "../../core/ip.ts";
import { readSecretFile } from "../../platform/secrets.ts";
import {
  type Credentials,
  type Deadline,
  deadline,
  fetchDescription,
  soapCall,
  TR064_WAN_SERVICES,
  UPNP_WAN_SERVICES,
  type WanService,
  wanServices,
} from "./igd.ts";
import type { FritzboxTable } from "./router-tables.ts";
import {
  type AskOptions,
  type DetectionSource,
  type SourceAnswer,
  type SourceContext,
  SourceRefusal,
} from "./source.ts";
import { askServices } from "./upnp.ts";

/** The environment variable that may hold the TR-064 password (never a command-line argument). */
export const PASSWORD_ENV = "HOMING_FRITZBOX_PASSWORD";

function hostPart(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export function create(config: FritzboxTable, context: SourceContext): DetectionSource {
  const host = config.host ?? "fritz.box";
  const port = config.port ?? 49000;
  const origin = `http://${hostPart(host)}:${port}`;
  const label = config.name ?? "fritzbox";
  const hasPassword = config.password !== undefined || config.password_file !== undefined;
  if (config.username === undefined && hasPassword)
    throw new Error(`source ${label}: a password without username; set username = "<Fritz!Box user>"`);
  if (config.username !== undefined && !hasPassword && process.env[PASSWORD_ENV] === undefined)
    throw new Error(
      `source ${label}: username is set but no password; set password_file = "/etc/homing/fritzbox.pass" or the environment variable ${PASSWORD_ENV}`,
    );
  let credentials: Promise<Credentials> | undefined;
  const login = (): Promise<Credentials> => {
    credentials ??= (async () => {
      const username = config.username as string;
      if (config.password_file !== undefined) {
        const secret = await readSecretFile(
          config.password_file,
          `source ${label}: password_file`,
          context.logger,
        );
        context.logger.addSecret(secret.reveal());
        return { username, password: secret.reveal() };
      }
      const password = config.password ?? (process.env[PASSWORD_ENV] as string);
      context.logger.addSecret(password);
      return { username, password };
    })();
    return credentials;
  };

  const services = async (within: Deadline, tr064: boolean): Promise<WanService[]> => {
    const url = new URL(tr064 ? "/tr64desc.xml" : "/igddesc.xml", origin);
    let xml: string;
    try {
      xml = await fetchDescription(url, within);
    } catch (error) {
      if (/HTTP 404/.test((error as Error).message))
        throw new Error(tr64Hint(tr064, `${url.href} is missing`));
      throw error;
    }
    const found = wanServices(xml, url, tr064 ? TR064_WAN_SERVICES : UPNP_WAN_SERVICES);
    if (found.length === 0) throw new Error(`${url.href} lists no WAN connection service`);
    return found;
  };

  return {
    kind: "fritzbox",
    name: label,
    where: `Fritz!Box at ${hostPart(host)}:${port}${config.username ? ` (TR-064, user ${config.username})` : " (IGD)"}`,
    async ask(family: IpFamily, options: AskOptions): Promise<SourceAnswer> {
      const within = deadline(options.signal, options.timeoutMs);
      if (family === "ipv4") {
        const tr064 = config.username !== undefined;
        const found = await askServices(
          await services(within, tr064),
          within,
          (service) =>
            `the Fritz!Box (${tr064 ? "TR-064" : "IGD"} ${service.serviceType.split(":").slice(-2).join(":")})`,
          tr064 ? await login() : undefined,
        );
        return {
          address: found.address,
          evidence: `Fritz!Box at ${hostPart(host)}:${port}, ${tr064 ? "TR-064" : "IGD"} ${found.service.serviceType.split(":").slice(-2).join(":")}`,
        };
      }
      return askIpv6(await services(within, false), within, `Fritz!Box at ${hostPart(host)}:${port}`);
    },
  };
}

function tr64Hint(tr064: boolean, what: string): string {
  return tr064
    ? `${what}: TR-064 is off; enable "Zugriff für Anwendungen zulassen" (Heimnetz → Netzwerk → Netzwerkeinstellungen)`
    : `${what}: enable "Statusinformationen über UPnP übertragen" (Heimnetz → Netzwerk → Netzwerkeinstellungen), or set username and password_file for TR-064`;
}

/** The box's own IPv6 address and its delegated prefix, over the IGD WANIPConnection service. */
export async function askIpv6(
  services: readonly WanService[],
  within: Deadline,
  where: string,
): Promise<SourceAnswer> {
  const service = services.find((candidate) => candidate.serviceType.includes(":WANIPConnection:"));
  if (!service) throw new Error(`${where}: no WANIPConnection service for the IPv6 actions`);
  const [external, prefix] = await Promise.all([
    soapCall(service, "X_AVM_DE_GetExternalIPv6Address", within),
    soapCall(service, "X_AVM_DE_GetIPv6Prefix", within),
  ]);
  if (external.kind === "fault" && prefix.kind === "fault")
    throw new SourceRefusal(`${where} answered the IPv6 actions with a fault (${external.reason})`);
  const answer: SourceAnswer = { evidence: `${where}, IGD X_AVM_DE IPv6` };
  if (external.kind === "reply") {
    const address = external.fields.get("NewExternalIPv6Address") ?? "";
    if (address !== "") {
      if (parseAddress(address)?.family !== "ipv6")
        throw new Error(`${where}: "${address.slice(0, 60)}" is not an IPv6 address`);
      answer.address = address;
    }
  }
  if (prefix.kind === "reply") {
    const network = prefix.fields.get("NewIPv6Prefix") ?? "";
    const length = Number(prefix.fields.get("NewPrefixLength") ?? "0");
    if (network !== "" && length > 0) {
      if (parseAddress(network)?.family !== "ipv6" || !Number.isInteger(length) || length > 128)
        throw new Error(`${where}: "${network.slice(0, 60)}/${length}" is not an IPv6 prefix`);
      answer.prefix = { address: network, length };
    }
  }
  if (answer.address === undefined && answer.prefix === undefined)
    throw new SourceRefusal(
      `${where} has no IPv6 address or prefix yet (both empty)`,
      "the box gets one when its internet connection has IPv6; check Internet → Zugangsdaten → IPv6",
    );
  return answer;
}
