import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { describeBadHostname } from "../../core/records.ts";
import { defineProvider } from "../kit/define.ts";

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
    );
  } catch {
    return false;
  }
}

export const PowerDnsSchema = v.strictObject({
  type: v.literal("powerdns"),
  endpoint: v.pipe(
    v.string(),
    v.check(isHttpUrl, 'expected the http(s) URL of the PowerDNS webserver, like "http://127.0.0.1:8081"'),
    v.description(
      "Base URL of the PowerDNS Authoritative webserver that serves the API (webserver-address and webserver-port in pdns.conf)",
    ),
  ),
  server_id: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9._-]+$/, 'expected a server id like "localhost"'),
      v.description(
        'Server id in the API path /api/v1/servers/<id> (PowerDNS Authoritative uses "localhost")',
      ),
    ),
    "localhost",
  ),
  ...secretKeys("api_key", "PowerDNS API key (api-key in pdns.conf)"),
  zone: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (zone) => describeBadHostname(zone) === undefined || /^[a-z0-9-]+\.?$/i.test(zone.trim()),
        'expected a zone name like "example.com"',
      ),
      v.description(
        "Zone that holds the records; when omitted, homing finds it by asking for each parent of the name in turn",
      ),
    ),
  ),
  ttl: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(2_147_483_647),
      v.description("TTL in seconds of the RRsets homing writes"),
    ),
    300,
  ),
  timeout: duration("30s", "Deadline of each API call"),
});

export type PowerDnsConfig = v.InferOutput<typeof PowerDnsSchema>;

export const definition = defineProvider({
  type: "powerdns",
  service: "PowerDNS",
  schema: PowerDnsSchema,
  ipv6: true,
  owns: "the enabled records of the A and AAAA RRsets",
  change: "rrset",
  load: async () => {
    const { PowerDnsProvider } = await import("./provider.ts");
    return { create: (id, config, context) => PowerDnsProvider.create(id, config, context) };
  },
});
