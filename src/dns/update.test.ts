import { describe, expect, it } from "vitest";
import { addRecord, deleteRecord, deleteRRset, expectRRset, replaceRRset, updateMessage } from "./update.ts";
import { CLASS, decodeMessage, encodeMessage, OPCODE, opcodeOf, TYPE } from "./wire.ts";

/** nsupdate's "update delete home.example.test. A" + "update add home.example.test. 60 A 203.0.113.5" (TSIG cut off). */
const NSUPDATE_BODY = Buffer.from(
  "ab8828000001000000020000076578616d706c650474657374000006000104686f6d65c00c000100ff000000000000c01e000100010000003c0004cb007105",
  "hex",
);

function shape(wire: Buffer) {
  const message = decodeMessage(wire);
  const rr = (r: (typeof message.answer)[number]) => [r.name, r.type, r.class, r.ttl, r.value ?? ""];
  return {
    opcode: opcodeOf(message.flags),
    zone: message.question,
    prerequisites: message.answer.map(rr),
    updates: message.authority.map(rr),
    additional: message.additional.length,
  };
}

describe("the DDNS update", () => {
  it("puts the RRset delete and the add in ONE message, the same edit nsupdate sends", () => {
    const ours = encodeMessage(
      replaceRRset({
        id: 0xab88,
        zone: "example.test",
        name: "home.example.test",
        type: TYPE.A,
        ttl: 60,
        value: "203.0.113.5",
      }),
    );
    expect(shape(ours)).toEqual(shape(NSUPDATE_BODY));
    expect(shape(ours)).toEqual({
      opcode: OPCODE.UPDATE,
      zone: [{ name: "example.test", type: TYPE.SOA, class: CLASS.IN }],
      prerequisites: [],
      updates: [
        ["home.example.test", TYPE.A, CLASS.ANY, 0, ""],
        ["home.example.test", TYPE.A, CLASS.IN, 60, "203.0.113.5"],
      ],
      additional: 0,
    });
  });

  it("with the listed RRset as prerequisite, becomes a compare-and-swap", () => {
    const message = replaceRRset({
      id: 1,
      zone: "example.com",
      name: "home.example.com",
      type: TYPE.AAAA,
      ttl: 300,
      value: "2a00:1450:4001:81b::200e",
      expect: { values: ["2a00:1450:4001:81b::2001", "2a00:1450:4001:81b::2002"] },
    });
    expect(shape(encodeMessage(message)).prerequisites).toEqual([
      ["home.example.com", TYPE.AAAA, CLASS.IN, 0, "2a00:1450:4001:81b::2001"],
      ["home.example.com", TYPE.AAAA, CLASS.IN, 0, "2a00:1450:4001:81b::2002"],
    ]);
  });

  it("expects an absent RRset with class NONE and no data", () => {
    const message = replaceRRset({
      id: 1,
      zone: "example.com",
      name: "new.example.com",
      type: TYPE.A,
      ttl: 120,
      value: "81.2.69.142",
      expect: "absent",
    });
    expect(shape(encodeMessage(message))).toMatchObject({
      prerequisites: [["new.example.com", TYPE.A, CLASS.NONE, 0, ""]],
      updates: [
        ["new.example.com", TYPE.A, CLASS.ANY, 0, ""],
        ["new.example.com", TYPE.A, CLASS.IN, 120, "81.2.69.142"],
      ],
    });
  });

  it("builds single deletes (class NONE with the data) and adds", () => {
    const message = updateMessage({
      id: 7,
      zone: "example.com",
      prerequisites: expectRRset("home.example.com", TYPE.A, { values: ["81.2.69.142", "81.2.69.160"] }),
      updates: [
        deleteRecord("home.example.com", TYPE.A, "81.2.69.160"),
        addRecord("x.example.com", TYPE.A, 5, "81.2.69.1"),
      ],
    });
    expect(shape(encodeMessage(message)).updates).toEqual([
      ["home.example.com", TYPE.A, CLASS.NONE, 0, "81.2.69.160"],
      ["x.example.com", TYPE.A, CLASS.IN, 5, "81.2.69.1"],
    ]);
    expect(deleteRRset("a.example.com", TYPE.AAAA)).toMatchObject({
      class: CLASS.ANY,
      ttl: 0,
      rdata: Buffer.alloc(0),
    });
  });
});
