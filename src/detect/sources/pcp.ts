/**
 * `pcp`: learns the router's external IPv4 address over PCP (RFC 6887). ANNOUNCE never carries the
 * address, so this sends a MAP request (§11.1) for the UDP port homing's own socket holds, reads
 * the Assigned External IP Address from the reply, and deletes the mapping at once (a MAP with
 * lifetime 0, §15). A non-zero result code means "unknown", never an answer: miniupnpd still fills
 * the address field when it answers result 8 for a private WAN address (reference §4.2).
 */
import { randomBytes } from "node:crypto";
import type { IpFamily } from "../../core/ip.ts";
import { defaultGateway } from "./default-gateway.ts";
import { openPortControl, PCP_RETRANSMIT_MS } from "./port-control.ts";
import type { PcpTable } from "./router-tables.ts";
import {
  type AskOptions,
  type DetectionSource,
  type SourceAnswer,
  type SourceContext,
  SourceRefusal,
} from "./source.ts";

export const kind = "pcp";

/** RFC 6887 §7.4. */
export const PCP_RESULTS: Readonly<Record<number, string>> = {
  1: "UNSUPP_VERSION",
  2: "NOT_AUTHORIZED",
  3: "MALFORMED_REQUEST",
  4: "UNSUPP_OPCODE",
  5: "UNSUPP_OPTION",
  6: "MALFORMED_OPTION",
  7: "NETWORK_FAILURE",
  8: "NO_RESOURCES",
  9: "UNSUPP_PROTOCOL",
  10: "USER_EX_QUOTA",
  11: "CANNOT_PROVIDE_EXTERNAL",
  12: "ADDRESS_MISMATCH",
  13: "EXCESSIVE_REMOTE_PEERS",
};

const MAP = 1;
const UDP = 17;
/** Seconds the probe mapping may live if the delete is lost. */
export const PROBE_LIFETIME = 120;

/** A MAP request (RFC 6887 §7.1 + §11.1): 24-byte header, 36-byte payload, 60 bytes. */
export function mapRequest(options: {
  clientAddress: string;
  nonce: Uint8Array;
  internalPort: number;
  suggestedPort: number;
  lifetime: number;
}): Buffer {
  const packet = Buffer.alloc(60);
  packet[0] = 2;
  packet[1] = MAP;
  packet.writeUInt32BE(options.lifetime, 4);
  packet.writeUInt16BE(0xffff, 18);
  options.clientAddress.split(".").forEach((octet, index) => {
    packet[20 + index] = Number(octet);
  });
  packet.set(options.nonce, 24);
  packet[36] = UDP;
  packet.writeUInt16BE(options.internalPort, 40);
  packet.writeUInt16BE(options.suggestedPort, 42);
  // Suggested external address ::ffff:0.0.0.0, "any IPv4 address" (§11.1).
  packet.writeUInt16BE(0xffff, 54);
  return packet;
}

/** True for the reply to our MAP: version 2, R=1 opcode MAP, and (when long enough) our nonce. */
export function isMapReply(reply: Buffer, nonce: Uint8Array): boolean {
  if (reply.length >= 2 && reply[0] === 0 && reply[1] === 128 + MAP) return true; // NAT-PMP: unsupported version
  if (reply.length < 24 || reply[0] !== 2 || reply[1] !== 0x80 + MAP) return false;
  return reply.length < 60 || reply.subarray(24, 36).equals(nonce);
}

/** The assigned external IPv4 address of a MAP reply, or a SourceRefusal, or an Error. */
export function readMapReply(
  reply: Buffer,
  where: string,
): { address: string; port: number; lifetime: number } {
  if (reply[0] === 0)
    throw new SourceRefusal(
      `${where} speaks NAT-PMP only (it answered PCP with a NAT-PMP "unsupported version")`,
      'use kind = "natpmp" for this router',
    );
  const result = reply[3] as number;
  if (result !== 0) {
    throw new SourceRefusal(
      `${where} answered result ${result} (${PCP_RESULTS[result] ?? "an unknown result code"}): the router does not know a usable external address`,
      result === 8 || result === 7 || result === 11
        ? "the router's own WAN address is private or missing (a second NAT, or no connection yet)"
        : undefined,
    );
  }
  if (reply.length < 60) throw new Error(`${where}: a ${reply.length}-byte MAP reply, expected 60`);
  const mapped = reply.subarray(44, 60);
  if (!mapped.subarray(0, 10).every((byte) => byte === 0) || mapped.readUInt16BE(10) !== 0xffff)
    throw new Error(`${where}: the assigned external address is not an IPv4 address`);
  const address = [...mapped.subarray(12, 16)].join(".");
  if (address === "0.0.0.0")
    throw new SourceRefusal(`${where} assigned 0.0.0.0: the router does not know its external address yet`);
  return { address, port: reply.readUInt16BE(42), lifetime: reply.readUInt32BE(4) };
}

export function create(
  config: PcpTable,
  _context: SourceContext,
  /** For tests: a fake server's port instead of 5351. */
  testing: { port?: number } = {},
): DetectionSource {
  return {
    kind,
    name: config.name ?? "pcp",
    where: config.gateway ? `PCP at ${config.gateway}` : "PCP at the default gateway",
    async ask(family: IpFamily, options: AskOptions): Promise<SourceAnswer> {
      if (family !== "ipv4")
        throw new SourceRefusal(
          "homing asks PCP only for the router's IPv4 address",
          'for IPv6 use an "interface" source or "fritzbox"',
        );
      const started = Date.now();
      const gateway = config.gateway ?? (await defaultGateway());
      const session = await openPortControl({ gateway, protocol: "PCP", ...testing });
      try {
        const nonce = randomBytes(12);
        const request = (lifetime: number, suggestedPort: number) =>
          mapRequest({
            clientAddress: session.localAddress,
            nonce,
            internalPort: session.localPort,
            suggestedPort,
            lifetime,
          });
        const reply = await session.exchange(request(PROBE_LIFETIME, session.localPort), {
          accept: (packet) => isMapReply(packet, nonce),
          retransmitMs: PCP_RETRANSMIT_MS,
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        });
        const mapping = readMapReply(reply, session.where);
        // Delete the probe mapping (lifetime 0); if that is lost it expires by itself.
        const left = options.timeoutMs - (Date.now() - started);
        let deleted = false;
        if (left > 50) {
          deleted = await session
            .exchange(request(0, mapping.port), {
              accept: (packet) => isMapReply(packet, nonce),
              retransmitMs: [Math.min(left, 1000)],
              signal: options.signal,
              timeoutMs: Math.min(left, 1000),
            })
            .then(
              (packet) => packet[0] === 2 && packet[3] === 0,
              () => false,
            );
        }
        return {
          address: mapping.address,
          evidence: `${session.where}, MAP udp/${session.localPort} ${deleted ? "then deleted" : `expiring in ${mapping.lifetime} s`}`,
        };
      } finally {
        session.close();
      }
    },
  };
}
