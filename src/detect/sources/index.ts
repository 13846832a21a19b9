/**
 * The registry of detection source kinds (issue 11): each kind once, with its table schema, its
 * shorthand and a lazy `load` of its implementation. This branch holds only the `dns` entry; the
 * detect-core branch holds the full registry, into which this entry merges as is.
 */
import { DNS_RESOLVERS, DnsTableSchema, dnsShorthand } from "./dns-table.ts";

export const SOURCE_TABLE_SCHEMAS = [DnsTableSchema] as const;

export const SOURCE_KINDS = [
  {
    kind: "dns",
    summary: "a DNS service that answers with the address it sees",
    shorthands: DNS_RESOLVERS.map((resolver) => `dns:${resolver}`),
    shorthand: dnsShorthand,
    load: () => import("./dns.ts"),
  },
] as const;
