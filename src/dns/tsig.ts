/**
 * TSIG (RFC 8945): signing a message and verifying a signed one, on node:crypto.
 *
 * A request MAC covers the message as sent (before the TSIG record was appended, with the ID the
 * TSIG's Original ID names) followed by the TSIG variables; a response MAC is prefixed with the
 * request's MAC (u16 length + octets). Key and algorithm names enter the MAC in canonical form
 * (lower case, uncompressed); the message body is covered byte for byte as transmitted.
 *
 * The clock is injected (`now()`, seconds since the epoch), so tests can skew it.
 */
// Node modules are fetched where they are used (process.getBuiltinModule), not imported at the
// top: the config schema imports this file, and a cron run must not pay for them (docs/design.md).
import { CLASS, type DecodedMessage, decodeName, encodeName, TYPE, WireError } from "./wire.ts";

export const TSIG_ALGORITHMS = [
  "hmac-sha256",
  "hmac-sha512",
  "hmac-sha384",
  "hmac-sha224",
  "hmac-sha1",
  "hmac-md5",
] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

/** Wire names (RFC 8945 §6): only MD5 has the long legacy name. */
const WIRE_NAME: Record<TsigAlgorithm, string> = {
  "hmac-md5": "hmac-md5.sig-alg.reg.int",
  "hmac-sha1": "hmac-sha1",
  "hmac-sha224": "hmac-sha224",
  "hmac-sha256": "hmac-sha256",
  "hmac-sha384": "hmac-sha384",
  "hmac-sha512": "hmac-sha512",
};

const HASH: Record<TsigAlgorithm, { hash: string; length: number }> = {
  "hmac-md5": { hash: "md5", length: 16 },
  "hmac-sha1": { hash: "sha1", length: 20 },
  "hmac-sha224": { hash: "sha224", length: 28 },
  "hmac-sha256": { hash: "sha256", length: 32 },
  "hmac-sha384": { hash: "sha384", length: 48 },
  "hmac-sha512": { hash: "sha512", length: 64 },
};

export const TSIG_ERROR = {
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
};
const TSIG_ERROR_NAMES = new Map<number, string>(
  Object.entries(TSIG_ERROR).map(([name, code]) => [code, name]),
);

export function tsigErrorName(code: number): string {
  return code === 0 ? "NOERROR" : (TSIG_ERROR_NAMES.get(code) ?? `TSIG error ${code}`);
}

/** RFC 8945 §10 recommends 300 s; nsupdate uses the same. */
export const DEFAULT_FUDGE = 300;

/** Maps the names key files and configs use (any case, "hmac-md5.sig-alg.reg.int", trailing dot) to ours. */
export function parseAlgorithm(text: string): TsigAlgorithm | undefined {
  const name = text.trim().toLowerCase().replace(/\.$/, "");
  if (name === WIRE_NAME["hmac-md5"]) return "hmac-md5";
  return (TSIG_ALGORITHMS as readonly string[]).includes(name) ? (name as TsigAlgorithm) : undefined;
}

/** Output length of the algorithm's hash, in octets. */
export function macLength(algorithm: TsigAlgorithm): number {
  return HASH[algorithm].length;
}

/**
 * A TSIG key. The secret (raw octets) stays in a private field and the object prints as the key's
 * name only, so a key that slips into a log line or an error does not leak.
 */
export class TsigKey {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly #secret: Buffer;

  constructor(name: string, algorithm: TsigAlgorithm, secret: Buffer) {
    this.name = name;
    this.algorithm = algorithm;
    this.#secret = Buffer.from(secret);
  }

  /** The secret's length in octets (for the "shorter than the hash" warning). */
  get secretLength(): number {
    return this.#secret.length;
  }

  mac(data: Buffer): Buffer {
    const { createHmac } = process.getBuiltinModule("node:crypto");
    return createHmac(HASH[this.algorithm].hash, this.#secret).update(data).digest();
  }

  toString(): string {
    return `TSIG key ${this.name} (${this.algorithm})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** The fields of a TSIG record's data. */
export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value & 0xffff);
  return buffer;
}

function u48(value: number): Buffer {
  const buffer = Buffer.alloc(6);
  buffer.writeUIntBE(value, 0, 6);
  return buffer;
}

/** The TSIG variables (RFC 8945 §4.3.3), names canonical. */
function variables(fields: {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  error: number;
  otherData: Buffer;
}): Buffer {
  return Buffer.concat([
    encodeName(fields.keyName.toLowerCase()),
    u16(CLASS.ANY),
    Buffer.alloc(4),
    encodeName(fields.algorithm.toLowerCase()),
    u48(fields.timeSigned),
    u16(fields.fudge),
    u16(fields.error),
    u16(fields.otherData.length),
    fields.otherData,
  ]);
}

export interface SignOptions {
  /** Seconds since the epoch; the signer's clock. */
  now: () => number;
  fudge?: number;
  /** Set when signing a response: the request's MAC, as it was sent. */
  requestMac?: Buffer;
  error?: number;
  otherData?: Buffer;
}

export interface Signed {
  /** The message with the TSIG record appended and ARCOUNT incremented. */
  wire: Buffer;
  mac: Buffer;
  timeSigned: number;
}

/** Signs an encoded message (which must not carry a TSIG record yet) with `key`. */
export function signMessage(message: Buffer, key: TsigKey, options: SignOptions): Signed {
  if (message.length < 12) throw new WireError("cannot sign a message shorter than a DNS header");
  const timeSigned = Math.floor(options.now());
  const fudge = options.fudge ?? DEFAULT_FUDGE;
  const error = options.error ?? 0;
  const otherData = options.otherData ?? Buffer.alloc(0);
  const algorithm = WIRE_NAME[key.algorithm];
  const prefix = options.requestMac
    ? Buffer.concat([u16(options.requestMac.length), options.requestMac])
    : null;
  const mac = key.mac(
    Buffer.concat([
      ...(prefix ? [prefix] : []),
      message,
      variables({ keyName: key.name, algorithm, timeSigned, fudge, error, otherData }),
    ]),
  );
  const rdata = Buffer.concat([
    encodeName(algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(mac.length),
    mac,
    u16(message.readUInt16BE(0)),
    u16(error),
    u16(otherData.length),
    otherData,
  ]);
  const record = Buffer.concat([
    encodeName(key.name),
    u16(TYPE.TSIG),
    u16(CLASS.ANY),
    Buffer.alloc(4),
    u16(rdata.length),
    rdata,
  ]);
  const wire = Buffer.concat([message, record]);
  wire.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { wire, mac, timeSigned };
}

/** Reads the TSIG record (the last additional record) of a decoded message, if there is one. */
export function findTsig(
  wire: Buffer,
  message: DecodedMessage,
): { record: TsigRecord; offset: number } | undefined {
  const last = message.additional.at(-1);
  const anyTsig = [...message.answer, ...message.authority, ...message.additional].filter(
    (r) => r.type === TYPE.TSIG,
  );
  if (!last || last.type !== TYPE.TSIG) {
    if (anyTsig.length > 0) throw new WireError("a TSIG record that is not the last record");
    return undefined;
  }
  if (anyTsig.length > 1) throw new WireError("more than one TSIG record");
  const { name: algorithm, end } = decodeName(wire, last.rdataOffset);
  let position = end;
  const need = (octets: number) => {
    if (position + octets > last.end) throw new WireError("TSIG data is cut off");
  };
  need(10);
  const timeSigned = wire.readUIntBE(position, 6);
  const fudge = wire.readUInt16BE(position + 6);
  const macSize = wire.readUInt16BE(position + 8);
  position += 10;
  need(macSize + 6);
  const mac = Buffer.from(wire.subarray(position, position + macSize));
  position += macSize;
  const originalId = wire.readUInt16BE(position);
  const error = wire.readUInt16BE(position + 2);
  const otherLength = wire.readUInt16BE(position + 4);
  position += 6;
  need(otherLength);
  const otherData = Buffer.from(wire.subarray(position, position + otherLength));
  if (position + otherLength !== last.end) throw new WireError("TSIG data has a bad length");
  return {
    record: { keyName: last.name, algorithm, timeSigned, fudge, mac, originalId, error, otherData },
    offset: last.offset,
  };
}

export type Verification =
  /** No TSIG record at all. */
  | { status: "unsigned" }
  /** A TSIG record without a MAC (BADSIG and BADKEY answers are unsigned by design). */
  | { status: "no-mac"; record: TsigRecord }
  /** The MAC is wrong, names differ, the MAC length is illegal, or the time is off. */
  | { status: "invalid"; record: TsigRecord; reason: string }
  | { status: "valid"; record: TsigRecord };

export interface VerifyOptions {
  now: () => number;
  /** For a response: the request's MAC as sent. */
  requestMac?: Buffer;
  /** Skip the time check (a BADTIME answer echoes the request time, so the check passes anyway). */
  ignoreTime?: boolean;
}

/**
 * Verifies the TSIG record of `wire` (already decoded as `message`) with `key`. Never throws for a
 * bad signature: the verdict says what is wrong.
 */
export function verifyMessage(
  wire: Buffer,
  message: DecodedMessage,
  key: TsigKey,
  options: VerifyOptions,
): Verification {
  const found = findTsig(wire, message);
  if (!found) return { status: "unsigned" };
  const { record, offset } = found;
  const invalid = (reason: string): Verification => ({ status: "invalid", record, reason });
  if (record.mac.length === 0) return { status: "no-mac", record };
  if (record.keyName.toLowerCase().replace(/\.$/, "") !== key.name.toLowerCase().replace(/\.$/, "")) {
    return invalid(`it is signed with the key "${record.keyName}", not "${key.name}"`);
  }
  if (parseAlgorithm(record.algorithm) !== key.algorithm) {
    return invalid(`it is signed with ${record.algorithm}, not ${key.algorithm}`);
  }
  const full = macLength(key.algorithm);
  if (record.mac.length > full || record.mac.length < Math.max(10, full / 2)) {
    return invalid(`its MAC has an illegal length of ${record.mac.length} octets`);
  }
  const body = Buffer.from(wire.subarray(0, offset));
  body.writeUInt16BE(record.originalId, 0);
  body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
  const prefix = options.requestMac ? [u16(options.requestMac.length), options.requestMac] : [];
  const expected = key
    .mac(
      Buffer.concat([
        ...prefix,
        body,
        variables({
          keyName: record.keyName,
          algorithm: record.algorithm,
          timeSigned: record.timeSigned,
          fudge: record.fudge,
          error: record.error,
          otherData: record.otherData,
        }),
      ]),
    )
    .subarray(0, record.mac.length);
  const { timingSafeEqual } = process.getBuiltinModule("node:crypto");
  if (!timingSafeEqual(expected, record.mac)) return invalid("its MAC does not match");
  if (!options.ignoreTime) {
    const skew = Math.floor(options.now()) - record.timeSigned;
    if (Math.abs(skew) > record.fudge) {
      return invalid(
        `it was signed ${Math.abs(skew)} s ${skew > 0 ? "ago" : "in the future"} (fudge ${record.fudge} s)`,
      );
    }
  }
  return { status: "valid", record };
}

/** The server's clock from a BADTIME answer's Other Data (a u48), or undefined. */
export function serverTimeOf(record: TsigRecord): number | undefined {
  return record.otherData.length === 6 ? record.otherData.readUIntBE(0, 6) : undefined;
}

/** One key of a BIND key file, as written (the algorithm not yet checked). */
export interface KeyFileEntry {
  name: string;
  algorithm: string;
  /** Base64, exactly as in the file. */
  secret: string;
}

/** Removes `#`, `//` and `/* … *\/` comments outside double quotes (base64 secrets may hold "//"). */
function stripComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"') {
      const close = text.indexOf('"', i + 1);
      const end = close < 0 ? text.length : close + 1;
      out += text.slice(i, end);
      i = end;
    } else if (char === "#" || text.startsWith("//", i)) {
      const newline = text.indexOf("\n", i);
      i = newline < 0 ? text.length : newline;
    } else if (text.startsWith("/*", i)) {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 2;
      out += " ";
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

/**
 * Reads the keys of a BIND-style key file, as `tsig-keygen` and `ddns-confgen` write it
 * (`key "name" { algorithm hmac-sha256; secret "base64"; };`), ignoring comments (`#`, `//`,
 * `/* … *\/`) and anything that is not a key statement. Throws with a message that never quotes
 * the secret.
 */
export function parseKeyFile(text: string): KeyFileEntry[] {
  const bare = stripComments(text).replace(/\s+/g, " ");
  const keys: KeyFileEntry[] = [];
  for (const match of bare.matchAll(/(?:^|[\s;{}])key\s+(?:"([^"]+)"|([^\s{"]+))\s*\{([^}]*)\}/g)) {
    const name = (match[1] ?? match[2] ?? "").trim();
    const body = match[3] ?? "";
    const algorithm = /\balgorithm\s+"?([^";\s]+)"?\s*;/.exec(body)?.[1];
    const secret = /\bsecret\s+"([^"]*)"\s*;/.exec(body)?.[1];
    if (!algorithm) throw new Error(`the key "${name}" has no "algorithm ...;" line`);
    if (secret === undefined) throw new Error(`the key "${name}" has no "secret \\"...\\";" line`);
    keys.push({ name, algorithm, secret: secret.replace(/\s+/g, "") });
  }
  if (keys.length === 0)
    throw new Error('it holds no key statement like: key "name" { algorithm hmac-sha256; secret "..."; };');
  return keys;
}

/** Decodes a base64 TSIG secret; undefined when the text is not base64. */
export function decodeSecret(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  return Buffer.from(compact, "base64");
}
