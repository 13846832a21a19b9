/** The `gateway` setting of the NAT-PMP and PCP sources: an IPv4 address, or the default route's. */
import * as v from "valibot";
import { parseAddress } from "../../core/ip.ts";

export const gatewayAddressSetting = v.optional(
  v.pipe(
    v.string(),
    v.check(
      (text) => parseAddress(text)?.family === "ipv4",
      'expected the router\'s IPv4 address, like gateway = "192.168.1.1"',
    ),
    v.description("The router's IPv4 address (default: the gateway of this host's default route)"),
  ),
);

export const sourceNameSetting = v.optional(
  v.pipe(v.string(), v.minLength(1), v.description("Name used in reports (default: the kind)")),
);
