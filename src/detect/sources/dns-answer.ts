/**
 * Reading the reply of a "what is my address" DNS query (the `dns` source kind): pure, so the rules
 * are tested with crafted packets. The reply has already been matched to the query by
 * `dns/transport.ts` (QR set, same ID, same question); this decides whether it holds one address of
 * the family asked over.
 *
 * Strict on purpose: only records at the queried name with the queried type AND class count; a TXT
 * answer must be one string that is an address (Google's `edns0-client-subnet …` note is the only
 * other string allowed, and only where `ecsNote` says so); several different addresses, an answer of
 * the other family, an empty answer, NXDOMAIN or REFUSED are refusals ("answered, unusable");
 * SERVFAIL and other server failures are errors ("no answer").
 */
import { type IpFamily, parseAddress } from "../../core/ip.ts";
import {
  className,
  type DecodedMessage,
  RCODE,
  rcodeName,
  rcodeOf,
  sameName,
  TYPE,
  typeName,
} from "../../dns/wire.ts";
import { SourceRefusal } from "./source.ts";

export interface AddressQuery {
  name: string;
  type: number;
  class: number;
  /** Google: a TXT string "edns0-client-subnet <net>" may come beside the address; it is skipped. */
  ecsNote?: boolean;
}

/** TXT strings longer than an IPv6 address with a zone are not addresses; shown cut to this. */
const SHOWN_STRING = 60;

const FAMILY_LABEL: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };

const WRONG_SERVER_HINT =
  "this server does not serve the name; drop `server` to ask the resolver's own address, or point it at one that does";

/** The label of a question, for messages: "whoami.cloudflare TXT CH". */
export function describeQuery(query: AddressQuery): string {
  return `${query.name} ${typeName(query.type)} ${className(query.class)}`;
}

/** A TXT string as text, or undefined when it holds bytes outside printable ASCII. */
function printable(bytes: Buffer): string | undefined {
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return undefined;
  return bytes.toString("latin1");
}

function shown(text: string): string {
  const cut = text.length > SHOWN_STRING ? `${text.slice(0, SHOWN_STRING)}…` : text;
  return JSON.stringify(cut);
}

/** The character-strings of TXT record data; throws when they do not fill it exactly. */
function txtStrings(rdata: Buffer): Buffer[] {
  const strings: Buffer[] = [];
  let position = 0;
  while (position < rdata.length) {
    const size = rdata[position] as number;
    if (position + 1 + size > rdata.length) {
      throw new SourceRefusal("the TXT record is malformed (a string runs past its record)");
    }
    strings.push(rdata.subarray(position + 1, position + 1 + size));
    position += 1 + size;
  }
  return strings;
}

function refuseRcode(query: AddressQuery, rcode: number): never {
  const what = describeQuery(query);
  if (rcode === RCODE.SERVFAIL) {
    throw new Error(`the server failed to answer ${what} (SERVFAIL)`);
  }
  if (rcode === RCODE.NXDOMAIN) {
    throw new SourceRefusal(`the server says ${query.name} does not exist (NXDOMAIN)`, WRONG_SERVER_HINT);
  }
  if (rcode === RCODE.REFUSED) {
    throw new SourceRefusal(`the server refused the query ${what} (REFUSED)`, WRONG_SERVER_HINT);
  }
  throw new SourceRefusal(`the server answered ${what} with ${rcodeName(rcode)}`, WRONG_SERVER_HINT);
}

/**
 * The address in `reply` (canonical text), asked over `family`; throws SourceRefusal when the
 * server answered with nothing usable, or an Error when it failed (SERVFAIL).
 */
export function readAddressAnswer(query: AddressQuery, family: IpFamily, reply: DecodedMessage): string {
  const rcode = rcodeOf(reply.flags);
  if (rcode !== RCODE.NOERROR) refuseRcode(query, rcode);
  const what = describeQuery(query);
  const atName = reply.answer.filter((record) => sameName(record.name, query.name));
  const records = atName.filter((record) => record.type === query.type && record.class === query.class);
  if (records.length === 0) {
    const otherClass = atName.find((record) => record.type === query.type);
    if (otherClass) {
      throw new SourceRefusal(
        `the answer to ${what} is in class ${className(otherClass.class)}, not ${className(query.class)}`,
      );
    }
    const others = atName.map((record) => typeName(record.type));
    throw new SourceRefusal(
      `the reply holds no ${typeName(query.type)} record for ${query.name}` +
        (others.length > 0 ? ` (only ${[...new Set(others)].join(", ")})` : ""),
      WRONG_SERVER_HINT,
    );
  }

  const candidates: string[] = [];
  if (query.type === TYPE.A || query.type === TYPE.AAAA) {
    for (const record of records) {
      const expected = query.type === TYPE.A ? 4 : 16;
      if (record.rdata.length !== expected) {
        throw new SourceRefusal(
          `the ${typeName(query.type)} record is malformed (${record.rdata.length} octets)`,
        );
      }
      candidates.push(record.value as string);
    }
  } else if (query.type === TYPE.TXT) {
    const strings = records.flatMap((record) => txtStrings(record.rdata));
    for (const bytes of strings) {
      const text = printable(bytes);
      if (text === undefined) throw new SourceRefusal("the TXT answer holds bytes that are not text");
      if (query.ecsNote && /^edns0-client-subnet(\s|$)/i.test(text)) continue;
      candidates.push(text);
    }
    if (candidates.length === 0) {
      throw new SourceRefusal(`the TXT answer to ${what} holds no address`);
    }
  } else {
    throw new Error(`homing cannot read a ${typeName(query.type)} answer`);
  }

  const addresses = new Map<string, string>();
  for (const text of candidates) {
    const parsed = parseAddress(text);
    if (!parsed) {
      throw new SourceRefusal(
        text === "" ? `the TXT answer to ${what} is empty` : `the answer ${shown(text)} is not an IP address`,
      );
    }
    addresses.set(parsed.canonical, parsed.family);
  }
  if (addresses.size > 1) {
    throw new SourceRefusal(
      `the answer holds several addresses (${[...addresses.keys()].join(", ")}): it does not say which one is this host's`,
    );
  }
  const [address, answered] = [...addresses][0] as [string, IpFamily];
  if (answered !== family) {
    throw new SourceRefusal(
      `the answer ${address} is an ${FAMILY_LABEL[answered]} address, but the query went over ${FAMILY_LABEL[family]}`,
    );
  }
  return address;
}
