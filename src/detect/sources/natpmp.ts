/**
 * `natpmp`: asks the router for its external IPv4 address over NAT-PMP (RFC 6886 §3.2): a two-byte
 * request to UDP 5351 of the default gateway, a 12-byte reply. A non-zero result code leaves the
 * address undefined (§3.5): that is "unknown", never an answer. miniupnpd answers result 3
 * (Network Failure) while its WAN address is private or reserved.
 */
import type { IpFamily } from "../../core/ip.ts";
import { defaultGateway } from "./default-gateway.ts";
import { NATPMP_RETRANSMIT_MS, openPortControl } from "./port-control.ts";
import type { NatPmpTable } from "./router-tables.ts";
import {
  type AskOptions,
  type DetectionSource,
  type SourceAnswer,
  type SourceContext,
  SourceRefusal,
} from "./source.ts";

export const kind = "natpmp";

/** RFC 6886 §3.5. */
export const NATPMP_RESULTS: Readonly<Record<number, string>> = {
  1: "Unsupported Version",
  2: "Not Authorized/Refused",
  3: "Network Failure",
  4: "Out of resources",
  5: "Unsupported opcode",
};

/** Reads an external-address reply (RFC 6886 §3.2): the address, or a SourceRefusal, or an Error. */
export function readNatPmpReply(reply: Buffer, where: string): string {
  if (reply[0] !== 0) throw new Error(`${where}: a reply of version ${reply[0]}, expected 0`);
  if (reply.length < 12) throw new Error(`${where}: a ${reply.length}-byte reply, expected 12`);
  const result = reply.readUInt16BE(2);
  if (result !== 0) {
    throw new SourceRefusal(
      `${where} answered result ${result} (${NATPMP_RESULTS[result] ?? "an unknown result code"}): the router does not know a usable external address`,
      result === 3
        ? "the router's own WAN address is private or missing (a second NAT, or no connection yet)"
        : undefined,
    );
  }
  const address = [...reply.subarray(8, 12)].join(".");
  if (address === "0.0.0.0")
    throw new SourceRefusal(`${where} reported 0.0.0.0: the router does not know its external address yet`);
  return address;
}

export function create(
  config: NatPmpTable,
  _context: SourceContext,
  /** For tests: a fake server's port instead of 5351. */
  testing: { port?: number } = {},
): DetectionSource {
  return {
    kind,
    name: config.name ?? "natpmp",
    where: config.gateway ? `NAT-PMP at ${config.gateway}` : "NAT-PMP at the default gateway",
    async ask(family: IpFamily, options: AskOptions): Promise<SourceAnswer> {
      if (family !== "ipv4")
        throw new SourceRefusal(
          "NAT-PMP reports only an IPv4 address",
          'for IPv6 use an "interface" source or "fritzbox"',
        );
      const gateway = config.gateway ?? (await defaultGateway());
      const session = await openPortControl({ gateway, protocol: "NAT-PMP", ...testing });
      try {
        const reply = await session.exchange(Uint8Array.of(0, 0), {
          // Opcode 128 answers op 0; a PCP-only server answers version 2 with the same byte.
          accept: (packet) => packet.length >= 4 && packet[1] === 128,
          retransmitMs: NATPMP_RETRANSMIT_MS,
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        });
        return { address: readNatPmpReply(reply, session.where), evidence: session.where };
      } finally {
        session.close();
      }
    },
  };
}
