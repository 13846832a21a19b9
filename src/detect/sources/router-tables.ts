/**
 * The config tables of the router source kinds (upnp, natpmp, pcp, fritzbox): valibot only, so the
 * registry (index.ts) and through it the config schema can read them without loading the
 * implementations (which open sockets).
 */
import * as v from "valibot";
import { parseAddress } from "../../core/ip.ts";

const name = v.optional(
  v.pipe(v.string(), v.minLength(1), v.description("Name used in reports (default: the kind)")),
);

const ipv4Address = (what: string, example: string) =>
  v.pipe(
    v.string(),
    v.check((text) => parseAddress(text)?.family === "ipv4", `expected ${what}, like ${example}`),
  );

const gatewayAddress = v.optional(
  v.pipe(
    ipv4Address("the router's IPv4 address", 'gateway = "192.168.1.1"'),
    v.description("The router's IPv4 address (default: the gateway of this host's default route)"),
  ),
);

export const UPNP_TABLE = v.strictObject({
  kind: v.pipe(v.literal("upnp"), v.description("The router's WAN address over UPnP IGD")),
  name,
  gateway: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => {
        try {
          return new URL(text).protocol === "http:";
        } catch {
          return false;
        }
      }, 'expected the URL of the router\'s device description, like gateway = "http://192.168.1.1:5000/rootDesc.xml"'),
      v.description("URL of the router's device description; skips SSDP discovery"),
    ),
  ),
  interface: v.optional(
    v.pipe(
      ipv4Address("this host's IPv4 address on the LAN", 'interface = "192.168.1.20"'),
      v.description("Send the SSDP search from this local IPv4 address (default: the system's choice)"),
    ),
  ),
});

export const NATPMP_TABLE = v.strictObject({
  kind: v.pipe(v.literal("natpmp"), v.description("The router's WAN address over NAT-PMP")),
  name,
  gateway: gatewayAddress,
});

export const PCP_TABLE = v.strictObject({
  kind: v.pipe(v.literal("pcp"), v.description("The router's WAN address over PCP")),
  name,
  gateway: gatewayAddress,
});

export const FRITZBOX_TABLE = v.strictObject({
  kind: v.pipe(v.literal("fritzbox"), v.description("A Fritz!Box's WAN address over IGD or TR-064")),
  name,
  host: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or address, like host = "fritz.box"'),
      v.description("The Fritz!Box's host name or address"),
    ),
    "fritz.box",
  ),
  port: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("Its UPnP/TR-064 port")),
    49000,
  ),
  username: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description("A Fritz!Box user: asks over TR-064 with digest auth")),
  ),
  password: v.optional(
    v.pipe(v.string(), v.description("That user's password (prefer password_file or the environment)")),
  ),
  password_file: v.optional(
    v.pipe(v.string(), v.description("File holding that user's password (mode 0600)")),
  ),
});

export type UpnpTable = v.InferOutput<typeof UPNP_TABLE>;
export type NatPmpTable = v.InferOutput<typeof NATPMP_TABLE>;
export type PcpTable = v.InferOutput<typeof PCP_TABLE>;
export type FritzboxTable = v.InferOutput<typeof FRITZBOX_TABLE>;
