/**
 * The `dns` source kind: asks a DNS server that echoes the asker's address, over plain DNS (UDP,
 * TCP when the reply is truncated), at the operator's literal address of the family asked for, so
 * the answer is the address of that family and the system resolver is never involved.
 *
 * - cloudflare: `whoami.cloudflare` TXT, class CH, at 1.1.1.1 / 2606:4700:4700::1111;
 * - opendns: `myip.opendns.com` A / AAAA at resolver1.opendns.com (208.67.222.222 / 2620:119:35::35);
 * - google: `o-o.myaddr.l.google.com` TXT at ns1.google.com (216.239.32.10 / 2001:4860:4802:32::a);
 *   other Google name servers answer with a data-centre address, so only ns1 is asked.
 *
 * Config (dns-table.ts): `{ kind = "dns", resolver = "cloudflare" }` or `"dns:cloudflare"`;
 * `server = "address:port"` replaces the operator's address, for tests and for users who must pin
 * one. Reading the reply is dns-answer.ts; the public-address check is detect's.
 */
import { type IpFamily, parseAddress } from "../../core/ip.ts";
import { type Endpoint, exchange, formatEndpoint, TransportError } from "../../dns/transport.ts";
import { CLASS, encodeMessage, FLAG, OPCODE, requestFlags, TYPE } from "../../dns/wire.ts";
import { type AddressQuery, describeQuery, readAddressAnswer } from "./dns-answer.ts";
import { DNS_SERVER_HELP, type DnsResolver, type DnsTable, parseDnsServer } from "./dns-table.ts";
import { type DetectionSource, type SourceContext, SourceRefusal } from "./source.ts";

export const kind = "dns";

interface ResolverDefinition {
  query: Record<IpFamily, AddressQuery>;
  /** The operator's server, one literal address per family (never looked up). */
  server: Record<IpFamily, string>;
}

const txt = (name: string, cls: number, ecsNote = false): Record<IpFamily, AddressQuery> => {
  const query = { name, type: TYPE.TXT, class: cls, ecsNote };
  return { ipv4: query, ipv6: query };
};

export const DNS_RESOLVER_TABLE: Readonly<Record<DnsResolver, ResolverDefinition>> = {
  cloudflare: {
    query: txt("whoami.cloudflare", CLASS.CH),
    server: { ipv4: "1.1.1.1", ipv6: "2606:4700:4700::1111" },
  },
  opendns: {
    query: {
      ipv4: { name: "myip.opendns.com", type: TYPE.A, class: CLASS.IN },
      ipv6: { name: "myip.opendns.com", type: TYPE.AAAA, class: CLASS.IN },
    },
    server: { ipv4: "208.67.222.222", ipv6: "2620:119:35::35" },
  },
  google: {
    query: txt("o-o.myaddr.l.google.com", CLASS.IN, true),
    server: { ipv4: "216.239.32.10", ipv6: "2001:4860:4802:32::a" },
  },
};

/** First UDP retransmission: a quarter of the deadline, between 200 ms and 1 s. */
function retransmitMs(timeoutMs: number): number {
  return Math.max(200, Math.min(1000, Math.floor(timeoutMs / 4)));
}

export function create(config: DnsTable, _context?: SourceContext): DetectionSource {
  const definition = DNS_RESOLVER_TABLE[config.resolver];
  const override = config.server === undefined ? undefined : parseDnsServer(config.server);
  if (config.server !== undefined && !override) {
    throw new Error(`dns source ${config.resolver}: server "${config.server}": ${DNS_SERVER_HELP}`);
  }
  const endpointFor = (family: IpFamily): Endpoint =>
    override ?? { host: definition.server[family], port: 53 };
  const queries = new Set([describeQuery(definition.query.ipv4), describeQuery(definition.query.ipv6)]);
  const servers = override
    ? formatEndpoint(override)
    : `${definition.server.ipv4} / ${definition.server.ipv6}`;
  return {
    kind,
    name: config.name ?? `dns:${config.resolver}`,
    where: `${[...queries].join(", ")} at ${servers}`,
    async ask(family, { signal, timeoutMs }) {
      const endpoint = endpointFor(family);
      if (parseAddress(endpoint.host)?.family !== family) {
        const label = family === "ipv4" ? "IPv4" : "IPv6";
        throw new SourceRefusal(
          `server ${formatEndpoint(endpoint)} is not an ${label} address, so it cannot see this host's ${label} address`,
          `give an ${label} server to the dns source under [detect.${family}]`,
        );
      }
      const query = definition.query[family];
      const { randomInt } = process.getBuiltinModule("node:crypto");
      const request = encodeMessage({
        id: randomInt(0x10000),
        // RD as `dig` sends it: resolvers (1.1.1.1, resolver1) answer these names themselves.
        flags: requestFlags(OPCODE.QUERY) | FLAG.RD,
        question: [{ name: query.name, type: query.type, class: query.class }],
        answer: [],
        authority: [],
        additional: [],
      });
      let reply: Awaited<ReturnType<typeof exchange>>;
      try {
        reply = await exchange(endpoint, request, {
          signal,
          timeoutMs,
          retransmitMs: retransmitMs(timeoutMs),
        });
      } catch (error) {
        if (error instanceof TransportError) throw new Error(error.message, { cause: error });
        throw error;
      }
      const address = readAddressAnswer(query, family, reply.message);
      return {
        address,
        evidence: `${describeQuery(query)} from ${formatEndpoint(endpoint)} over ${reply.via.toUpperCase()}`,
      };
    },
  };
}
