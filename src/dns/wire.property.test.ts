import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLASS, decodeMessage, encodeMessage, type Message, record, TYPE, WireError } from "./wire.ts";

const label = fc.stringMatching(/^[a-z0-9_-]{1,20}$/);
const name = fc.array(label, { minLength: 0, maxLength: 5 }).map((labels) => labels.join(".") || ".");
const ipv4 = fc.ipV4();
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((groups) => groups.map((g) => g.toString(16)).join(":"));
const txt = fc.string({ maxLength: 40 }).filter((s) => !s.trim().startsWith('"'));

const resourceRecord = fc
  .tuple(
    name,
    fc.constantFrom(CLASS.IN, CLASS.NONE, CLASS.ANY),
    fc.nat(),
    fc.oneof(
      ipv4.map((v) => [TYPE.A, v] as const),
      ipv6.map((v) => [TYPE.AAAA, v] as const),
      name.map((v) => [TYPE.CNAME, v] as const),
      name.map((v) => [TYPE.NS, v] as const),
      txt.filter((s) => s !== "").map((v) => [TYPE.TXT, v] as const),
      fc
        .tuple(name, name, fc.array(fc.nat(), { minLength: 5, maxLength: 5 }))
        .map(([m, r, n]) => [TYPE.SOA, `${m} ${r} ${n.join(" ")}`] as const),
      fc.constant([TYPE.ANY, ""] as const),
    ),
  )
  .map(([owner, cls, ttl, [type, text]]) => record(owner, type, cls, ttl, text));

const message: fc.Arbitrary<Message> = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  question: fc.array(
    fc.record({
      name,
      type: fc.integer({ min: 0, max: 0xffff }),
      class: fc.integer({ min: 0, max: 0xffff }),
    }),
    { maxLength: 2 },
  ),
  answer: fc.array(resourceRecord, { maxLength: 3 }),
  authority: fc.array(resourceRecord, { maxLength: 3 }),
  additional: fc.array(resourceRecord, { maxLength: 2 }),
});

/** Decodes, and allows only the decoder's own error. */
function decodeOrWireError(bytes: Buffer): void {
  try {
    decodeMessage(bytes);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
  }
}

describe("the DNS message decoder (property)", () => {
  it("round-trips encode → decode for every message it can write", () => {
    fc.assert(
      fc.property(message, (original) => {
        const decoded = decodeMessage(encodeMessage(original));
        expect(decoded.id).toBe(original.id);
        expect(decoded.flags).toBe(original.flags);
        expect(decoded.question).toEqual(original.question);
        for (const section of ["answer", "authority", "additional"] as const) {
          expect(
            decoded[section].map(({ name: n, type, class: c, ttl, rdata }) => ({
              name: n,
              type,
              class: c,
              ttl,
              rdata,
            })),
          ).toEqual(original[section]);
        }
        // And the decoded form writes the same octets again.
        expect(encodeMessage(decoded).equals(encodeMessage(original))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  }, 30_000);

  it("throws nothing but WireError on arbitrary octets", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodeOrWireError(Buffer.from(bytes))),
      {
        numRuns: 5000,
      },
    );
  }, 30_000);

  it("throws nothing but WireError on damaged valid messages (flipped, cut, extended, pointers)", () => {
    const damage = fc.record({
      at: fc.nat(),
      byte: fc.oneof(
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0xc0, 0xc0, 0x3f, 0x40, 0x80, 0xff, 0),
      ),
      kind: fc.constantFrom("set", "set", "cut", "insert"),
    });
    fc.assert(
      fc.property(message, fc.array(damage, { minLength: 1, maxLength: 4 }), (original, damages) => {
        let bytes = encodeMessage(original);
        for (const { at, byte, kind } of damages) {
          const index = at % (bytes.length + 1);
          if (kind === "cut") bytes = bytes.subarray(0, index);
          else if (kind === "insert")
            bytes = Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]);
          else if (index < bytes.length) {
            bytes = Buffer.from(bytes);
            bytes[index] = byte;
          }
        }
        decodeOrWireError(bytes);
      }),
      { numRuns: 5000 },
    );
  }, 30_000);
});
