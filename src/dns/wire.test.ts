import { describe, expect, it } from "vitest";
import {
  CLASS,
  decodeMessage,
  decodeName,
  encodeMessage,
  encodeName,
  encodeRdata,
  FLAG,
  isInZone,
  type Message,
  OPCODE,
  opcodeOf,
  RCODE,
  rcodeOf,
  record,
  requestFlags,
  TYPE,
  WireError,
} from "./wire.ts";

/** A reply BIND 9.18 sent to a signed "home.example.test A" query: compressed names, TSIG last. */
const BIND_REPLY = Buffer.from(
  "12348400000100010001000204686f6d65076578616d706c6504746573740000010001c00c000100010000012c0004c0000201c011000200010000012c0006036e7331c011c03f000100010000012c00047f0000010b666978747572652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b09bf79012c002029ecd0bd890ed7a0a0cc9bc52238f81bbc826497f374c5b5e1f8a1fd48415e8f123400000000",
  "hex",
);

describe("names", () => {
  it.each([
    ["example.com", "076578616d706c6503636f6d00"],
    ["example.com.", "076578616d706c6503636f6d00"],
    [".", "00"],
    ["", "00"],
    ["_acme-challenge.x", "0f5f61636d652d6368616c6c656e67650178" + "00"],
  ])("encodes %j uncompressed", (name, hex) => {
    expect(encodeName(name).toString("hex")).toBe(hex);
  });

  it("refuses empty labels, labels over 63 octets and names over 255 octets", () => {
    expect(() => encodeName("a..b")).toThrow(WireError);
    expect(() => encodeName(`${"a".repeat(64)}.com`)).toThrow(/63/);
    expect(() => encodeName(Array.from({ length: 5 }, () => "a".repeat(60)).join("."))).toThrow(/255/);
  });

  it("follows compression pointers and reports where the written name ends", () => {
    // "home.example.test" (19 octets) at 12, then the answer's owner at 35 is a pointer to it.
    expect(decodeName(BIND_REPLY, 12)).toEqual({ name: "home.example.test", end: 31 });
    expect(BIND_REPLY.readUInt16BE(35)).toBe(0xc00c);
    expect(decodeName(BIND_REPLY, 35)).toEqual({ name: "home.example.test", end: 37 });
  });

  it("rejects pointer loops, forward pointers, cut-off names and unknown label types", () => {
    const header = Buffer.alloc(12);
    const loop = Buffer.concat([header, Buffer.from([0xc0, 12])]);
    expect(() => decodeName(loop, 12)).toThrow(/loops/);
    const forward = Buffer.concat([header, Buffer.from([0xc0, 14, 0])]);
    expect(() => decodeName(forward, 12)).toThrow(/loops/);
    expect(() => decodeName(Buffer.concat([header, Buffer.from([5, 97, 98])]), 12)).toThrow(/past the end/);
    expect(() => decodeName(Buffer.concat([header, Buffer.from([0x40, 0])]), 12)).toThrow(/label type/);
    expect(() => decodeName(Buffer.concat([header, Buffer.from([0xc0])]), 12)).toThrow(/cut off/);
  });

  it("escapes dots and odd bytes inside labels", () => {
    const wire = Buffer.from([3, 0x61, 0x2e, 0x01, 3, 0x63, 0x6f, 0x6d, 0]);
    expect(decodeName(wire, 0).name).toBe("a\\.\\001.com");
  });

  it.each([
    ["home.example.com", "example.com", true],
    ["Home.Example.COM.", "example.com", true],
    ["example.com", "example.com.", true],
    ["badexample.com", "example.com", false],
    ["home.other.test", "example.com", false],
    ["anything", ".", true],
  ])("isInZone(%j, %j) is %j", (name, zone, expected) => {
    expect(isInZone(name, zone)).toBe(expected);
  });
});

describe("messages", () => {
  const ROUND_TRIP: Array<[string, number, number, string, string | undefined]> = [
    ["A", TYPE.A, CLASS.IN, "81.2.69.142", "81.2.69.142"],
    ["AAAA", TYPE.AAAA, CLASS.IN, "2A00:1450:4001:081B:0:0:0:200E", "2a00:1450:4001:81b::200e"],
    ["CNAME", TYPE.CNAME, CLASS.IN, "target.example.net.", "target.example.net."],
    ["NS", TYPE.NS, CLASS.IN, "ns1.example.com", "ns1.example.com."],
    ["TXT one string", TYPE.TXT, CLASS.IN, "hello world", '"hello world"'],
    ["TXT quoted strings", TYPE.TXT, CLASS.IN, '"a b" "c\\"d"', '"a b" "c\\"d"'],
    [
      "SOA",
      TYPE.SOA,
      CLASS.IN,
      "ns1.example.com. hostmaster.example.com. 2024010101 3600 600 86400 60",
      "ns1.example.com. hostmaster.example.com. 2024010101 3600 600 86400 60",
    ],
    ["delete RRset (ANY, no data)", TYPE.A, CLASS.ANY, "", undefined],
    ["RRset must not exist (NONE, no data)", TYPE.AAAA, CLASS.NONE, "", undefined],
    ["delete one record (NONE)", TYPE.A, CLASS.NONE, "81.2.69.160", "81.2.69.160"],
  ];

  it.each(ROUND_TRIP)("round-trips %s", (_, type, cls, text, value) => {
    const message: Message = {
      id: 0xbeef,
      flags: requestFlags(OPCODE.UPDATE),
      question: [{ name: "example.com", type: TYPE.SOA, class: CLASS.IN }],
      answer: [],
      authority: [record("home.example.com", type, cls, cls === CLASS.IN ? 300 : 0, text)],
      additional: [],
    };
    const wire = encodeMessage(message);
    const decoded = decodeMessage(wire);
    expect(decoded.id).toBe(0xbeef);
    expect(opcodeOf(decoded.flags)).toBe(OPCODE.UPDATE);
    expect(decoded.question).toEqual(message.question);
    expect(decoded.authority).toHaveLength(1);
    const [rr] = decoded.authority;
    expect(rr).toMatchObject({ name: "home.example.com", type, class: cls, value });
    expect(rr?.rdata.equals(message.authority[0]?.rdata as Buffer)).toBe(true);
    // Encoding what was decoded gives the same octets.
    expect(encodeMessage({ ...decoded }).equals(wire)).toBe(true);
  });

  it("decodes a real BIND reply with compressed names in owners and record data", () => {
    const reply = decodeMessage(BIND_REPLY);
    expect(reply.id).toBe(0x1234);
    expect(reply.flags & FLAG.QR).toBeTruthy();
    expect(reply.flags & FLAG.AA).toBeTruthy();
    expect(rcodeOf(reply.flags)).toBe(RCODE.NOERROR);
    expect(reply.question).toEqual([{ name: "home.example.test", type: TYPE.A, class: CLASS.IN }]);
    expect(reply.answer.map((r) => [r.name, r.type, r.ttl, r.value])).toEqual([
      ["home.example.test", TYPE.A, 300, "192.0.2.1"],
    ]);
    expect(reply.authority.map((r) => [r.name, r.value])).toEqual([["example.test", "ns1.example.test."]]);
    expect(reply.additional.map((r) => [r.name, r.type])).toEqual([
      ["ns1.example.test", TYPE.A],
      ["fixture-key", TYPE.TSIG],
    ]);
    expect(reply.additional.at(-1)?.end).toBe(BIND_REPLY.length);
  });

  it.each([
    ["shorter than a header", Buffer.alloc(11)],
    ["a question past the end", Buffer.from("000000000001000000000000", "hex")],
    [
      "record data past the end",
      Buffer.concat([
        Buffer.from("000000000000000100000000", "hex"),
        Buffer.from("0000010001000000000004c000", "hex"),
      ]),
    ],
    ["octets after the last record", Buffer.concat([Buffer.alloc(12), Buffer.from([0])])],
    [
      "an A record of 3 octets",
      Buffer.concat([
        Buffer.from("000000000000000100000000", "hex"),
        Buffer.from("0000010001000000000003c00002", "hex"),
      ]),
    ],
  ])("rejects %s", (_, wire) => {
    expect(() => decodeMessage(wire)).toThrow(WireError);
  });

  it("refuses to write an address of the wrong family", () => {
    expect(() => encodeRdata(TYPE.A, "2a00::1")).toThrow(/IPv4/);
    expect(() => encodeRdata(TYPE.AAAA, "81.2.69.142")).toThrow(/IPv6/);
    expect(() => encodeRdata(TYPE.A, "81.2.69")).toThrow(WireError);
  });
});
