import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

// Netcup records have no TTL of their own (the TTL is zone-wide, set in the CCP): no `ttl` key.
const { ttl: _zoneWideTtl, ...rest } = restEntries({
  // LEGO sends `?JSON`, DDNS-Updater and ddclient do not (reference §10): homing keeps LEGO's form
  // as the default and sends whatever query the configured endpoint carries.
  endpoint: "https://ccp.netcup.net/run/webservice/servers/endpoint.php?JSON",
});

export const NetcupSchema = v.strictObject({
  type: v.literal("netcup"),
  customer_number: v.pipe(
    v.union([
      v.pipe(v.string(), v.regex(/^\d+$/, "expected the customer number (digits)")),
      v.pipe(v.number(), v.integer()),
    ]),
    v.transform((value) => String(value)),
    v.description("Netcup customer number (shown next to your name in the CCP)"),
  ),
  ...secretKeys("api_key", "Netcup API key (CCP → Master Data → API)"),
  ...secretKeys("api_password", "Netcup API password (CCP → Master Data → API)"),
  ...rest,
});

export const definition = defineProvider({
  type: "netcup",
  service: "Netcup",
  schema: NetcupSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
