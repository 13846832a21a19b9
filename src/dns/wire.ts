/**
 * The DNS wire format (RFC 1035 §4, RFC 2136 §2), as much as homing needs: the header, names
 * (compression followed on decode, never written), questions and resource records of types A, AAAA,
 * SOA, CNAME, NS, TXT and TSIG in classes IN, CH (CHAOS, for `whoami.cloudflare`), NONE and ANY.
 *
 * Decoding is defensive: every read is bounds-checked, compression pointers must point backwards and
 * are followed at most 128 times, and any inconsistency throws a `WireError` (the caller treats the
 * reply as garbage). Encoding writes names uncompressed, which every server accepts.
 */
import { addressFromBytes, parseAddress } from "../core/ip.ts";

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, TSIG: 250, ANY: 255 } as const;
export const CLASS = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([name, code]) => [code, name]));
const CLASS_NAMES = new Map<number, string>(Object.entries(CLASS).map(([name, code]) => [code, name]));
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([name, code]) => [code, name]));

/** "A", "TSIG", or "TYPE99" for a type homing has no name for (RFC 3597 style). */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

export function className(cls: number): string {
  return CLASS_NAMES.get(cls) ?? `CLASS${cls}`;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080 } as const;

export function opcodeOf(flags: number): number {
  return (flags >> 11) & 0xf;
}

export function rcodeOf(flags: number): number {
  return flags & 0xf;
}

/** Flags word for a request with this opcode (QR = 0, no other bits). */
export function requestFlags(opcode: number): number {
  return (opcode & 0xf) << 11;
}

/** A malformed message or a value that cannot be encoded. */
export class WireError extends Error {
  override readonly name = "WireError";
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

/** One resource record. `rdata` holds the record data exactly as on the wire (names uncompressed when encoded). */
export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
}

/** A record as decoded: also its presentation value (known types) and where it starts in the message. */
export interface DecodedRecord extends ResourceRecord {
  /** Presentation text of the data for A, AAAA, CNAME, NS, TXT and SOA; undefined for others and empty data. */
  value: string | undefined;
  /** Offset of the record's first octet (its owner name) in the message. */
  offset: number;
  /** Offset just past the record. */
  end: number;
  /** Offset of the record data in the message (names inside it may be compression pointers). */
  rdataOffset: number;
}

/**
 * A DNS message. For UPDATE (RFC 2136) the four sections are zone, prerequisite, update and
 * additional, in the same positions as question, answer, authority and additional.
 */
export interface Message {
  id: number;
  flags: number;
  question: Question[];
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export interface DecodedMessage extends Message {
  answer: DecodedRecord[];
  authority: DecodedRecord[];
  additional: DecodedRecord[];
}

// ------------------------------------------------------------------------------------------------
// Names

/** Lower case, no trailing dot ("." stays the root). */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  if (lower === "." || lower === "") return ".";
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

export function sameName(a: string, b: string): boolean {
  return canonicalName(a) === canonicalName(b);
}

/** Whether `name` is `zone` or below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  return z === "." || n === z || n.endsWith(`.${z}`);
}

/** The labels of a text name (no escapes: hostnames only). "." and "" are the root. */
function labelsOf(name: string): string[] {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed === "") return [];
  return trimmed.split(".");
}

/** A name in wire form, uncompressed (as written in every message and in TSIG's canonical MAC input). */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of labelsOf(name)) {
    const bytes = Buffer.from(label, "utf8");
    if (bytes.length === 0) throw new WireError(`the name "${name}" has an empty label`);
    if (bytes.length > 63) throw new WireError(`the name "${name}" has a label longer than 63 octets`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new WireError(`the name "${name}" is longer than 255 octets`);
  return wire;
}

const PLAIN_LABEL_BYTE = /^[A-Za-z0-9_*-]$/;

function labelText(bytes: Buffer): string {
  let text = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (PLAIN_LABEL_BYTE.test(char)) text += char;
    else if (byte > 0x20 && byte < 0x7f) text += `\\${char}`;
    else text += `\\${byte.toString().padStart(3, "0")}`;
  }
  return text;
}

/**
 * Reads a name at `offset`, following compression pointers. Returns the text (no trailing dot,
 * "." for the root) and the offset just past the name as written at `offset`.
 */
export function decodeName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let position = offset;
  let end = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (position >= message.length) throw new WireError("a name runs past the end of the message");
    const byte = message[position] as number;
    if (byte === 0) {
      if (end < 0) end = position + 1;
      break;
    }
    const kind = byte & 0xc0;
    if (kind === 0xc0) {
      if (position + 1 >= message.length) throw new WireError("a compression pointer is cut off");
      const target = ((byte & 0x3f) << 8) | (message[position + 1] as number);
      if (end < 0) end = position + 2;
      if (target >= position || ++jumps > 128) throw new WireError("a compression pointer loops");
      position = target;
      continue;
    }
    if (kind !== 0) throw new WireError(`unsupported label type 0x${byte.toString(16)}`);
    const labelEnd = position + 1 + byte;
    if (labelEnd > message.length) throw new WireError("a label runs past the end of the message");
    length += byte + 1;
    if (length > 254) throw new WireError("a name is longer than 255 octets");
    labels.push(labelText(message.subarray(position + 1, labelEnd)));
    position = labelEnd;
  }
  return { name: labels.length === 0 ? "." : labels.join("."), end };
}

// ------------------------------------------------------------------------------------------------
// Record data

function characterStrings(text: string): Buffer[] {
  const strings: string[] = [];
  const quoted = /"((?:[^"\\]|\\.)*)"/g;
  if (text.trim().startsWith('"')) {
    for (const match of text.matchAll(quoted)) strings.push((match[1] as string).replace(/\\(.)/g, "$1"));
  } else {
    strings.push(text);
  }
  return strings.map((s) => {
    const bytes = Buffer.from(s, "utf8");
    if (bytes.length > 255) throw new WireError("a TXT string is longer than 255 octets");
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

/**
 * Record data from its presentation text, for the types homing writes or tests with:
 * A, AAAA (addresses), CNAME/NS (a name), TXT (one unquoted string or several quoted ones) and
 * SOA ("mname rname serial refresh retry expire minimum").
 */
export function encodeRdata(type: number, text: string): Buffer {
  switch (type) {
    case TYPE.A:
    case TYPE.AAAA: {
      const address = parseAddress(text.trim());
      const family = type === TYPE.A ? "ipv4" : "ipv6";
      if (!address || address.family !== family) {
        throw new WireError(`"${text}" is not an ${family === "ipv4" ? "IPv4" : "IPv6"} address`);
      }
      return Buffer.from(address.bytes);
    }
    case TYPE.CNAME:
    case TYPE.NS:
      return encodeName(text.trim());
    case TYPE.TXT:
      return Buffer.concat(characterStrings(text));
    case TYPE.SOA: {
      const parts = text.trim().split(/\s+/);
      if (parts.length !== 7) throw new WireError(`"${text}" is not SOA data (7 fields)`);
      const [mname, rname, ...numbers] = parts as [string, string, ...string[]];
      return Buffer.concat([encodeName(mname), encodeName(rname), ...numbers.map((n) => u32(Number(n)))]);
    }
    default:
      throw new WireError(`homing cannot write ${typeName(type)} data from text`);
  }
}

function quoteTxt(bytes: Buffer): string {
  let text = "";
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString().padStart(3, "0")}`;
  }
  return `"${text}"`;
}

/** Presentation text of record data at `offset` (`length` octets) in `message`; undefined for other types. */
function rdataText(type: number, message: Buffer, offset: number, length: number): string | undefined {
  if (length === 0) return undefined;
  const end = offset + length;
  const data = message.subarray(offset, end);
  switch (type) {
    case TYPE.A:
    case TYPE.AAAA: {
      if (data.length !== (type === TYPE.A ? 4 : 16))
        throw new WireError(`${typeName(type)} data has a bad length`);
      return (addressFromBytes(data) as { canonical: string }).canonical;
    }
    case TYPE.CNAME:
    case TYPE.NS: {
      const { name, end: nameEnd } = decodeName(message, offset);
      if (nameEnd !== end) throw new WireError(`${typeName(type)} data has a bad length`);
      return `${name === "." ? "" : name}.`;
    }
    case TYPE.TXT: {
      const strings: string[] = [];
      let position = 0;
      while (position < data.length) {
        const size = data[position] as number;
        if (position + 1 + size > data.length) throw new WireError("a TXT string runs past its record");
        strings.push(quoteTxt(data.subarray(position + 1, position + 1 + size)));
        position += 1 + size;
      }
      return strings.join(" ");
    }
    case TYPE.SOA: {
      const mname = decodeName(message, offset);
      const rname = decodeName(message, mname.end);
      if (rname.end + 20 !== end) throw new WireError("SOA data has a bad length");
      const numbers = [0, 4, 8, 12, 16].map((i) => message.readUInt32BE(rname.end + i));
      const dotted = (name: string) => `${name === "." ? "" : name}.`;
      return [dotted(mname.name), dotted(rname.name), ...numbers].join(" ");
    }
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// Messages

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value & 0xffff);
  return buffer;
}

export function encodeQuestion(question: Question): Buffer {
  return Buffer.concat([encodeName(question.name), u16(question.type), u16(question.class)]);
}

export function encodeRecord(record: ResourceRecord): Buffer {
  if (record.rdata.length > 0xffff) throw new WireError("record data longer than 65535 octets");
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(record.type, 0);
  fixed.writeUInt16BE(record.class, 2);
  fixed.writeUInt32BE(record.ttl >>> 0, 4);
  fixed.writeUInt16BE(record.rdata.length, 8);
  return Buffer.concat([encodeName(record.name), fixed, record.rdata]);
}

export function encodeMessage(message: Message): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(message.id & 0xffff, 0);
  header.writeUInt16BE(message.flags & 0xffff, 2);
  header.writeUInt16BE(message.question.length, 4);
  header.writeUInt16BE(message.answer.length, 6);
  header.writeUInt16BE(message.authority.length, 8);
  header.writeUInt16BE(message.additional.length, 10);
  return Buffer.concat([
    header,
    ...message.question.map(encodeQuestion),
    ...message.answer.map(encodeRecord),
    ...message.authority.map(encodeRecord),
    ...message.additional.map(encodeRecord),
  ]);
}

function decodeRecord(message: Buffer, offset: number): DecodedRecord {
  const { name, end: nameEnd } = decodeName(message, offset);
  if (nameEnd + 10 > message.length) throw new WireError("a record header is cut off");
  const type = message.readUInt16BE(nameEnd);
  const cls = message.readUInt16BE(nameEnd + 2);
  const ttl = message.readUInt32BE(nameEnd + 4);
  const length = message.readUInt16BE(nameEnd + 8);
  const rdataOffset = nameEnd + 10;
  const end = rdataOffset + length;
  if (end > message.length) throw new WireError("record data runs past the end of the message");
  return {
    name,
    type,
    class: cls,
    ttl,
    rdata: Buffer.from(message.subarray(rdataOffset, end)),
    value: rdataText(type, message, rdataOffset, length),
    offset,
    end,
    rdataOffset,
  };
}

/** Parses a whole message; throws WireError on anything malformed, including trailing octets. */
export function decodeMessage(message: Buffer): DecodedMessage {
  if (message.length < 12) throw new WireError("the message is shorter than a DNS header");
  const counts = [4, 6, 8, 10].map((i) => message.readUInt16BE(i)) as [number, number, number, number];
  let offset = 12;
  const question: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, end } = decodeName(message, offset);
    if (end + 4 > message.length) throw new WireError("a question is cut off");
    question.push({ name, type: message.readUInt16BE(end), class: message.readUInt16BE(end + 2) });
    offset = end + 4;
  }
  const sections: DecodedRecord[][] = [];
  for (const count of counts.slice(1)) {
    const records: DecodedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const record = decodeRecord(message, offset);
      records.push(record);
      offset = record.end;
    }
    sections.push(records);
  }
  if (offset !== message.length) throw new WireError("octets left over after the last record");
  return {
    id: message.readUInt16BE(0),
    flags: message.readUInt16BE(2),
    question,
    answer: sections[0] as DecodedRecord[],
    authority: sections[1] as DecodedRecord[],
    additional: sections[2] as DecodedRecord[],
  };
}

/** A record with data from its presentation text (see encodeRdata); empty `text` means no data. */
export function record(name: string, type: number, cls: number, ttl: number, text = ""): ResourceRecord {
  return { name, type, class: cls, ttl, rdata: text === "" ? Buffer.alloc(0) : encodeRdata(type, text) };
}
