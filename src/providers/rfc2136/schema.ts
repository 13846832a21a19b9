import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { parseEndpoint } from "../../dns/transport.ts";
import { TSIG_ALGORITHMS } from "../../dns/tsig.ts";
import { defineProvider } from "../kit/define.ts";

export const Rfc2136Schema = v.strictObject({
  type: v.literal("rfc2136"),
  server: v.pipe(
    v.string(),
    v.check(
      (text) => parseEndpoint(text) !== undefined,
      'expected "host:port", "host" (port 53) or "[ipv6]:port"',
    ),
    v.description("The zone's primary DNS server, host:port (port 53 when omitted)"),
  ),
  zone: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description("The zone to update (default: found with SOA queries for each record name)"),
    ),
  ),
  key_file: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'A BIND key file (tsig-keygen or ddns-confgen output: key "name" { algorithm ...; secret "..."; };)',
      ),
    ),
  ),
  key_name: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description("TSIG key name (with key_file: which key of the file, when it holds several)"),
    ),
  ),
  key_algorithm: v.optional(
    v.pipe(
      v.picklist(TSIG_ALGORITHMS),
      v.description("TSIG algorithm (default hmac-sha256; with key_file the file says it)"),
    ),
  ),
  ...secretKeys("key_secret", "TSIG key secret (base64)"),
  ttl: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(2147483647),
      v.description("TTL of the records homing writes, in seconds"),
    ),
    300,
  ),
  transport: v.optional(
    v.pipe(
      v.picklist(["udp", "tcp"]),
      v.description('"udp" (with TCP when a reply is truncated) or "tcp" only'),
    ),
    "udp",
  ),
  timeout: duration("10s", "Deadline of each DNS exchange"),
});

export type Rfc2136Config = v.InferOutput<typeof Rfc2136Schema>;

export const definition = defineProvider({
  type: "rfc2136",
  service: "RFC 2136 (BIND, Knot, …)",
  schema: Rfc2136Schema,
  secretsOptional: true,
  setup: ["key_name", "key_algorithm"],
  ipv6: true,
  owns: "the whole A and AAAA RRsets at the name",
  change: "rrset",
  load: async () => {
    const { Rfc2136Provider } = await import("./provider.ts");
    return { create: (id, config, context) => Rfc2136Provider.create(id, config, context) };
  },
});
