/**
 * The `dns` kind's config: its table schema and its shorthand. Light on purpose (valibot and
 * pure helpers only), since the config schema reads it through the registry (index.ts) on every
 * run; the implementation, dns.ts, is loaded only when a config uses the kind.
 *
 * `{ kind = "dns", resolver = "cloudflare" | "opendns" | "google", server = "address:port", name = "…" }`;
 * shorthands `"dns:cloudflare"`, `"dns:opendns"`, `"dns:google"`.
 */
import * as v from "valibot";
import { parseAddress } from "../../core/ip.ts";
import { didYouMean } from "../../core/suggest.ts";
import { type Endpoint, parseEndpoint } from "../../dns/transport.ts";

export const DNS_RESOLVERS = ["cloudflare", "opendns", "google"] as const;
export type DnsResolver = (typeof DNS_RESOLVERS)[number];

export const DNS_SERVER_HELP =
  'expected "address:port" with an IP address, such as "192.0.2.53:53" or "[2001:db8::53]:53" (a host name is not accepted: it would be looked up through the system resolver)';

/** `server` as an endpoint whose host is an address literal, or undefined. */
export function parseDnsServer(text: string): Endpoint | undefined {
  const endpoint = parseEndpoint(text);
  return endpoint && parseAddress(endpoint.host) ? endpoint : undefined;
}

export const DnsTableSchema = v.strictObject({
  kind: v.pipe(v.literal("dns"), v.description("Ask a DNS service which address it sees")),
  resolver: v.pipe(
    v.picklist(DNS_RESOLVERS, 'expected resolver = "cloudflare", "opendns" or "google"'),
    v.description(
      "cloudflare: whoami.cloudflare TXT (class CH) at 1.1.1.1; opendns: myip.opendns.com A/AAAA at resolver1.opendns.com; google: o-o.myaddr.l.google.com TXT at ns1.google.com",
    ),
  ),
  server: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => parseDnsServer(text) !== undefined, DNS_SERVER_HELP),
      v.description(
        'Ask this "address:port" instead of the service\'s own address (an IPv4 one under [detect.ipv4], an IPv6 one under [detect.ipv6])',
      ),
    ),
  ),
  name: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description('Name used in reports (default "dns:<resolver>")')),
  ),
});

export type DnsTable = v.InferOutput<typeof DnsTableSchema>;

export type DnsShorthand = { ok: true; table: DnsTable } | { ok: false; error: string };

/** The text after "dns" in a source string: `argument` is what follows ":" (undefined without one). */
export function dnsShorthand(argument: string | undefined): DnsShorthand {
  if (argument !== undefined && (DNS_RESOLVERS as readonly string[]).includes(argument)) {
    return { ok: true, table: { kind: "dns", resolver: argument as DnsResolver } };
  }
  const suggestion = argument === undefined ? undefined : didYouMean(argument, DNS_RESOLVERS);
  return {
    ok: false,
    error:
      (argument === undefined ? '"dns" needs a resolver' : `unknown DNS resolver "${argument}"`) +
      (suggestion ? ` (did you mean "dns:${suggestion}"?)` : "") +
      `; write one of: ${DNS_RESOLVERS.map((r) => `"dns:${r}"`).join(", ")}`,
  };
}
