/**
 * A tiny authoritative DNS responder on UDP loopback for the DNS lookups that guard updates to
 * providers that cannot list (dyndns2, DuckDNS, custom). It answers A and AAAA queries from a
 * lookup function (usually an emulator's records) with an override map on top (to play a DNS cache
 * that still serves an old address), per RFC 1035 §4.1:
 * - a known name with addresses of the type: NOERROR with one answer per address (TTL 60);
 * - a known name without that type: NOERROR, no answers (NODATA; node:dns says ENODATA);
 * - an unknown name: NXDOMAIN (rcode 3; node:dns says ENOTFOUND);
 * - faults: SERVFAIL (rcode 2), or no answer at all (the client times out).
 * Only node:dgram is used; the question is echoed byte for byte, answers point back at it (0xC00C).
 */
import { createSocket, type Socket } from "node:dgram";
import { parseAddress } from "../../src/core/ip.ts";

export type DnsType = "A" | "AAAA";
export type DnsFault = "servfail" | "drop";

export interface DnsQueryLogEntry {
  name: string;
  type: string;
  at: number;
}

export interface DnsResponder {
  /** "127.0.0.1:PORT", ready for a provider's `resolver` setting. */
  address: string;
  port: number;
  queries: DnsQueryLogEntry[];
  /** Answers `values` for (name, type) from now on, whatever the lookup says (a stale cache). */
  override(name: string, type: DnsType, values: readonly string[]): void;
  clearOverrides(): void;
  /** The next `times` queries (of any name) get this fault. */
  fault(kind: DnsFault, times?: number): void;
  close(): Promise<void>;
}

export interface DnsResponderOptions {
  /** Addresses of (name, type); undefined: the name does not exist (NXDOMAIN). */
  lookup?: (name: string, type: DnsType) => readonly string[] | undefined;
  /** Static records, used when `lookup` is absent. */
  records?: Record<string, Partial<Record<DnsType, string[]>>>;
}

const TYPE_CODE: Record<number, DnsType> = { 1: "A", 28: "AAAA" };

/** Reads the question: the name (lower case), its type code and where the question ends. */
function readQuestion(message: Buffer): { name: string; qtype: number; end: number } | undefined {
  let offset = 12;
  const labels: string[] = [];
  while (offset < message.length) {
    const length = message[offset] as number;
    if (length === 0) {
      offset += 1;
      break;
    }
    if (length > 63) return undefined; // no compression in questions
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString("latin1"));
    offset += 1 + length;
  }
  if (offset + 4 > message.length) return undefined;
  return { name: labels.join(".").toLowerCase(), qtype: message.readUInt16BE(offset), end: offset + 4 };
}

function reply(query: Buffer, questionEnd: number, rcode: number, answers: Buffer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const flags = query.readUInt16BE(2);
  // QR, opcode copied, AA, RD copied, RA, rcode.
  header.writeUInt16BE(0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function answerRecord(qtype: number, address: string): Buffer | undefined {
  const parsed = parseAddress(address);
  const wanted = qtype === 1 ? "ipv4" : "ipv6";
  if (!parsed || parsed.family !== wanted) return undefined;
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  fixed.writeUInt16BE(qtype, 2);
  fixed.writeUInt16BE(1, 4); // class IN
  fixed.writeUInt32BE(60, 6); // TTL
  fixed.writeUInt16BE(parsed.bytes.length, 10);
  return Buffer.concat([fixed, Buffer.from(parsed.bytes)]);
}

export async function startDnsResponder(options: DnsResponderOptions = {}): Promise<DnsResponder> {
  const overrides = new Map<string, string[]>();
  const faults: Array<{ kind: DnsFault; left: number }> = [];
  const queries: DnsQueryLogEntry[] = [];
  const lookup =
    options.lookup ??
    ((name: string, type: DnsType) => {
      const entry = options.records?.[name];
      return entry ? (entry[type] ?? []) : undefined;
    });
  const socket: Socket = createSocket("udp4");
  socket.on("message", (message, remote) => {
    if (message.length < 12) return;
    const question = readQuestion(message);
    if (!question) return;
    const type = TYPE_CODE[question.qtype] ?? String(question.qtype);
    queries.push({ name: question.name, type, at: Date.now() });
    const fault = faults[0];
    if (fault) {
      fault.left -= 1;
      if (fault.left <= 0) faults.shift();
      if (fault.kind === "drop") return;
      socket.send(reply(message, question.end, 2, []), remote.port, remote.address);
      return;
    }
    let values: readonly string[] | undefined;
    const overridden = overrides.get(`${question.name}/${type}`);
    if (overridden) values = overridden;
    else if (type === "A" || type === "AAAA") values = lookup(question.name, type);
    else values = lookup(question.name, "A") === undefined ? undefined : [];
    const answers = (values ?? [])
      .map((value) => answerRecord(question.qtype, value))
      .filter((record): record is Buffer => record !== undefined);
    socket.send(
      reply(message, question.end, values === undefined ? 3 : 0, answers),
      remote.port,
      remote.address,
    );
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  const port = socket.address().port;
  let closed = false;
  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    override(name, type, values) {
      overrides.set(`${name.toLowerCase()}/${type}`, [...values]);
    },
    clearOverrides() {
      overrides.clear();
    },
    fault(kind, times = 1) {
      faults.push({ kind, left: times });
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
