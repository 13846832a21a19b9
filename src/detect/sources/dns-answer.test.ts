import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../core/ip.ts";
import {
  CLASS,
  decodeMessage,
  encodeMessage,
  FLAG,
  OPCODE,
  RCODE,
  type ResourceRecord,
  record,
  requestFlags,
  TYPE,
} from "../../dns/wire.ts";
import { type AddressQuery, readAddressAnswer } from "./dns-answer.ts";
import { SourceRefusal } from "./source.ts";

const CLOUDFLARE: AddressQuery = { name: "whoami.cloudflare", type: TYPE.TXT, class: CLASS.CH };
const GOOGLE: AddressQuery = {
  name: "o-o.myaddr.l.google.com",
  type: TYPE.TXT,
  class: CLASS.IN,
  ecsNote: true,
};
const OPENDNS_A: AddressQuery = { name: "myip.opendns.com", type: TYPE.A, class: CLASS.IN };
const OPENDNS_AAAA: AddressQuery = { name: "myip.opendns.com", type: TYPE.AAAA, class: CLASS.IN };

/** TXT data from raw strings (no quoting rules: each string is written as it is). */
function txtData(...strings: Array<string | Buffer>): Buffer {
  return Buffer.concat(
    strings.map((s) => {
      const bytes = typeof s === "string" ? Buffer.from(s, "latin1") : s;
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
  );
}

function txtRecord(name: string, cls: number, ...strings: Array<string | Buffer>): ResourceRecord {
  return { name, type: TYPE.TXT, class: cls, ttl: 0, rdata: txtData(...strings) };
}

/** A reply as it comes off the wire: encoded, then decoded (compression and all checks apply). */
function reply(query: AddressQuery, answer: ResourceRecord[], rcode: number = RCODE.NOERROR) {
  return decodeMessage(
    encodeMessage({
      id: 4242,
      flags: requestFlags(OPCODE.QUERY) | FLAG.QR | FLAG.RD | rcode,
      question: [{ name: query.name, type: query.type, class: query.class }],
      answer,
      authority: [],
      additional: [],
    }),
  );
}

/** The strings of TXT data, as latin1 text. */
function stringsOf(rdata: Buffer): string[] {
  const strings: string[] = [];
  for (let position = 0; position < rdata.length; position += 1 + (rdata[position] as number)) {
    strings.push(rdata.subarray(position + 1, position + 1 + (rdata[position] as number)).toString("latin1"));
  }
  return strings;
}

function refusal(run: () => unknown): SourceRefusal {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SourceRefusal);
    return error as SourceRefusal;
  }
  throw new Error("expected a SourceRefusal");
}

describe("cloudflare: whoami.cloudflare TXT in class CH", () => {
  it("one string that is an address of the family asked over is the answer", () => {
    const ok = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "81.2.69.142")]);
    expect(readAddressAnswer(CLOUDFLARE, "ipv4", ok)).toBe("81.2.69.142");
    const v6 = reply(CLOUDFLARE, [
      txtRecord("whoami.cloudflare", CLASS.CH, "2A00:1450:4001:081B:0:0:0:200E"),
    ]);
    expect(readAddressAnswer(CLOUDFLARE, "ipv6", v6)).toBe("2a00:1450:4001:81b::200e");
  });

  it("the owner name matches whatever its letter case", () => {
    const ok = reply(CLOUDFLARE, [txtRecord("WhoAmI.Cloudflare", CLASS.CH, "81.2.69.142")]);
    expect(readAddressAnswer(CLOUDFLARE, "ipv4", ok)).toBe("81.2.69.142");
  });

  it("a TXT in class IN is not the CH answer, and says so", () => {
    const wrong = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.IN, "81.2.69.142")]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", wrong)).message).toBe(
      "the answer to whoami.cloudflare TXT CH is in class IN, not CH",
    );
  });

  it("a string that is not an address is refused, quoted and cut short", () => {
    const text = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "hello world")]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", text)).message).toBe(
      'the answer "hello world" is not an IP address',
    );
    const long = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "x".repeat(200))]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", long)).message).toBe(
      `the answer "${"x".repeat(60)}…" is not an IP address`,
    );
  });

  it("an address with surroundings (space, prefix, zone, quotes) is not an address", () => {
    for (const text of [" 81.2.69.142", "81.2.69.142/32", "fe80::1%eth0", '"81.2.69.142"', "081.2.69.142"]) {
      const bad = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, text)]);
      expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", bad)).message).toMatch(
        /is not an IP address/,
      );
    }
  });

  it("an empty string, non-text bytes and several addresses are refused", () => {
    const empty = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "")]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", empty)).message).toBe(
      "the TXT answer to whoami.cloudflare TXT CH is empty",
    );
    const binary = reply(CLOUDFLARE, [
      txtRecord("whoami.cloudflare", CLASS.CH, Buffer.from([0x38, 0x00, 0xff])),
    ]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", binary)).message).toBe(
      "the TXT answer holds bytes that are not text",
    );
    const two = reply(CLOUDFLARE, [
      txtRecord("whoami.cloudflare", CLASS.CH, "81.2.69.142"),
      txtRecord("whoami.cloudflare", CLASS.CH, "81.2.69.160"),
    ]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", two)).message).toBe(
      "the answer holds several addresses (81.2.69.142, 81.2.69.160): it does not say which one is this host's",
    );
  });

  it("the same address twice is one answer", () => {
    const twice = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "81.2.69.142", "81.2.69.142")]);
    expect(readAddressAnswer(CLOUDFLARE, "ipv4", twice)).toBe("81.2.69.142");
  });

  it("an IPv4 answer to a query over IPv6 is refused (the server saw another path)", () => {
    const v4 = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "81.2.69.142")]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv6", v4)).message).toBe(
      "the answer 81.2.69.142 is an IPv4 address, but the query went over IPv6",
    );
  });

  it("an edns0-client-subnet note is not skipped for Cloudflare", () => {
    const noted = reply(CLOUDFLARE, [
      txtRecord("whoami.cloudflare", CLASS.CH, "edns0-client-subnet 81.2.69.0/24"),
    ]);
    expect(refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", noted)).message).toMatch(
      /is not an IP address/,
    );
  });

  it("records at other names do not count; an empty answer says what is missing", () => {
    const elsewhere = reply(CLOUDFLARE, [txtRecord("id.server", CLASS.CH, "81.2.69.142")]);
    const empty = refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", elsewhere));
    expect(empty.message).toBe("the reply holds no TXT record for whoami.cloudflare");
    expect(empty.hint).toMatch(/server/);
  });
});

describe("google: o-o.myaddr.l.google.com TXT", () => {
  it("takes the address beside an edns0-client-subnet note, in either order", () => {
    const name = GOOGLE.name;
    const after = reply(GOOGLE, [
      txtRecord(name, CLASS.IN, "edns0-client-subnet 81.2.69.0/24"),
      txtRecord(name, CLASS.IN, "81.2.69.142"),
    ]);
    expect(readAddressAnswer(GOOGLE, "ipv4", after)).toBe("81.2.69.142");
    const before = reply(GOOGLE, [
      txtRecord(name, CLASS.IN, "81.2.69.142", "edns0-client-subnet 81.2.69.0/24"),
    ]);
    expect(readAddressAnswer(GOOGLE, "ipv4", before)).toBe("81.2.69.142");
  });

  it("a note alone, or a note beside a non-address, is refused", () => {
    const alone = reply(GOOGLE, [txtRecord(GOOGLE.name, CLASS.IN, "edns0-client-subnet 81.2.69.0/24")]);
    expect(refusal(() => readAddressAnswer(GOOGLE, "ipv4", alone)).message).toBe(
      "the TXT answer to o-o.myaddr.l.google.com TXT IN holds no address",
    );
    const junk = reply(GOOGLE, [txtRecord(GOOGLE.name, CLASS.IN, "edns0-client-subnet 81.2.69.0/24", "hi")]);
    expect(refusal(() => readAddressAnswer(GOOGLE, "ipv4", junk)).message).toBe(
      'the answer "hi" is not an IP address',
    );
  });
});

describe("opendns: myip.opendns.com A / AAAA", () => {
  it("the A record is the IPv4 answer, the AAAA record the IPv6 one", () => {
    const a = reply(OPENDNS_A, [record("myip.opendns.com", TYPE.A, CLASS.IN, 0, "81.2.69.142")]);
    expect(readAddressAnswer(OPENDNS_A, "ipv4", a)).toBe("81.2.69.142");
    const aaaa = reply(OPENDNS_AAAA, [
      record("myip.opendns.com", TYPE.AAAA, CLASS.IN, 0, "2a00:1450:4001:81b::200e"),
    ]);
    expect(readAddressAnswer(OPENDNS_AAAA, "ipv6", aaaa)).toBe("2a00:1450:4001:81b::200e");
  });

  it("NODATA (a CNAME only) is refused, naming what came instead", () => {
    const cname = reply(OPENDNS_A, [
      record("myip.opendns.com", TYPE.CNAME, CLASS.IN, 0, "elsewhere.example"),
    ]);
    expect(refusal(() => readAddressAnswer(OPENDNS_A, "ipv4", cname)).message).toBe(
      "the reply holds no A record for myip.opendns.com (only CNAME)",
    );
  });
});

describe("response codes", () => {
  it("NXDOMAIN and REFUSED are refusals with a hint about `server`; SERVFAIL is a failure", () => {
    const nx = refusal(() => readAddressAnswer(OPENDNS_A, "ipv4", reply(OPENDNS_A, [], RCODE.NXDOMAIN)));
    expect(nx.message).toBe("the server says myip.opendns.com does not exist (NXDOMAIN)");
    expect(nx.hint).toMatch(/`server`/);
    const refused = refusal(() =>
      readAddressAnswer(CLOUDFLARE, "ipv4", reply(CLOUDFLARE, [], RCODE.REFUSED)),
    );
    expect(refused.message).toBe("the server refused the query whoami.cloudflare TXT CH (REFUSED)");
    const notimp = refusal(() => readAddressAnswer(CLOUDFLARE, "ipv4", reply(CLOUDFLARE, [], RCODE.NOTIMP)));
    expect(notimp.message).toBe("the server answered whoami.cloudflare TXT CH with NOTIMP");
    let failure: unknown;
    try {
      readAddressAnswer(GOOGLE, "ipv4", reply(GOOGLE, [], RCODE.SERVFAIL));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(SourceRefusal);
    expect((failure as Error).message).toBe(
      "the server failed to answer o-o.myaddr.l.google.com TXT IN (SERVFAIL)",
    );
  });

  it("an answer beside an error code is not taken", () => {
    const odd = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, "81.2.69.142")], RCODE.NXDOMAIN);
    expect(() => readAddressAnswer(CLOUDFLARE, "ipv4", odd)).toThrow(SourceRefusal);
  });
});

describe("properties", () => {
  const queries = fc.constantFrom(CLOUDFLARE, GOOGLE, OPENDNS_A, OPENDNS_AAAA);
  const family = fc.constantFrom("ipv4" as const, "ipv6" as const);
  const text = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString("latin1")),
    fc.constant("edns0-client-subnet 81.2.69.0/24"),
  );
  const anyRecord = fc.oneof(
    fc
      .tuple(
        fc.constantFrom("whoami.cloudflare", "o-o.myaddr.l.google.com", "myip.opendns.com", "other.example"),
        fc.constantFrom(CLASS.IN, CLASS.CH, CLASS.ANY),
        fc.array(text, { minLength: 1, maxLength: 3 }),
      )
      .map(([name, cls, strings]) => txtRecord(name, cls, ...strings)),
    fc
      .tuple(fc.constantFrom("myip.opendns.com", "other.example"), fc.ipV4())
      .map(([name, address]) => record(name, TYPE.A, CLASS.IN, 0, address)),
    fc
      .tuple(fc.constantFrom("myip.opendns.com", "other.example"), fc.ipV6())
      .map(([name, address]) => record(name, TYPE.AAAA, CLASS.IN, 0, address)),
  );

  it("any reply yields an address of the family asked that a matching record holds, or a refusal with a reason", () => {
    fc.assert(
      fc.property(
        queries,
        family,
        fc.array(anyRecord, { maxLength: 5 }),
        fc.constantFrom(RCODE.NOERROR, RCODE.NOERROR, RCODE.NXDOMAIN, RCODE.SERVFAIL, RCODE.REFUSED),
        (query, fam, answer, rcode) => {
          const message = reply(query, answer, rcode);
          let address: string;
          try {
            address = readAddressAnswer(query, fam, message);
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
            expect((error as Error).message.length).toBeGreaterThan(10);
            if (rcode === RCODE.SERVFAIL) expect(error).not.toBeInstanceOf(SourceRefusal);
            else expect(error).toBeInstanceOf(SourceRefusal);
            return;
          }
          expect(rcode).toBe(RCODE.NOERROR);
          expect(parseAddress(address)?.family).toBe(fam);
          expect(parseAddress(address)?.canonical).toBe(address);
          const matching = message.answer.filter(
            (r) => r.name.toLowerCase() === query.name && r.type === query.type && r.class === query.class,
          );
          const held = matching.some((r) =>
            r.type === TYPE.TXT
              ? stringsOf(r.rdata).some((string) => parseAddress(string)?.canonical === address)
              : r.value === address,
          );
          expect(held).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("one TXT string that is an address is always read back canonical", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const parsed = parseAddress(text);
        fc.pre(parsed !== undefined);
        const fam = parsed?.family ?? "ipv4";
        const message = reply(CLOUDFLARE, [txtRecord("whoami.cloudflare", CLASS.CH, text)]);
        expect(readAddressAnswer(CLOUDFLARE, fam, message)).toBe(parsed?.canonical);
      }),
    );
  });
});
