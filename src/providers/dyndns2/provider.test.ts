import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RecordChange } from "../provider.ts";
import { parseReply } from "./client.ts";
import { planRequests } from "./provider.ts";

const change = (name: string, type: "A" | "AAAA", add: string): RecordChange => ({
  name,
  type,
  add,
  remove: [],
});
const A = "81.2.69.142";
const B = "81.2.69.160";
const V6 = "2a00:1450:4001:81b::200e";

describe("parseReply", () => {
  it("reads one code per line, with the addresses after it", () => {
    expect(parseReply("good 81.2.69.142\r\nnochg 81.2.69.142,2a00::1\n\nnohost\n")).toEqual([
      { code: "good", rest: "81.2.69.142" },
      { code: "nochg", rest: "81.2.69.142,2a00::1" },
      { code: "nohost", rest: "" },
    ]);
  });

  it("translates a service's own wording first, keeping the whole line to read addresses from", () => {
    const replies = [
      ["^successfully_changed\\b", "good"],
      ['error[ _]code="?708\\b', "badauth"],
    ] as const;
    expect(
      parseReply('successfully_changed 81.2.69.142\n<ERROR CODE="708" TEXT="Failed login">', replies),
    ).toEqual([
      { code: "good", rest: "successfully_changed 81.2.69.142" },
      { code: "badauth", rest: '<ERROR CODE="708" TEXT="Failed login">' },
    ]);
    expect(parseReply("good 81.2.69.142", replies)).toEqual([{ code: "good", rest: "81.2.69.142" }]);
  });

  it("lower-cases codes and keeps !donator and 911", () => {
    expect(parseReply("BADAUTH").map((l) => l.code)).toEqual(["badauth"]);
    expect(parseReply("!donator\n911").map((l) => l.code)).toEqual(["!donator", "911"]);
  });
});

describe("planRequests", () => {
  it("combined: both families of a name in one myip, unchanged families repeated", () => {
    expect(
      planRequests(
        [change("a.example.com", "AAAA", V6)],
        [{ name: "a.example.com", type: "A", value: A }],
        "combined",
      ),
    ).toEqual([{ hostnames: ["a.example.com"], query: { myip: `${A},${V6}` }, changes: [[0]] }]);
  });

  it("combined: names with the same addresses share a request; others get their own", () => {
    const requests = planRequests(
      [change("a.example.com", "A", A), change("b.example.com", "A", A), change("c.example.com", "A", B)],
      [],
      "combined",
    );
    expect(requests).toEqual([
      { hostnames: ["a.example.com", "b.example.com"], query: { myip: A }, changes: [[0], [1]] },
      { hostnames: ["c.example.com"], query: { myip: B }, changes: [[2]] },
    ]);
  });

  it('myipv6: a separate parameter, "no" for a family that does not change (never the unchanged value)', () => {
    expect(
      planRequests(
        [change("a.example.com", "AAAA", V6)],
        [{ name: "a.example.com", type: "A", value: A }],
        "myipv6",
      ),
    ).toEqual([{ hostnames: ["a.example.com"], query: { myip: "no", myipv6: V6 }, changes: [[0]] }]);
  });

  it("separate: one request per family, unchanged families left out", () => {
    expect(
      planRequests(
        [change("a.example.com", "A", A), change("a.example.com", "AAAA", V6)],
        [{ name: "b.example.com", type: "A", value: B }],
        "separate",
      ),
    ).toEqual([
      { hostnames: ["a.example.com"], query: { myip: A }, changes: [[0]] },
      { hostnames: ["a.example.com"], query: { myip: V6 }, changes: [[1]] },
    ]);
  });

  it('myipv6 with "preserve" (deSEC): the keep word of the service for the family that does not change', () => {
    expect(
      planRequests(
        [change("a.example.com", "A", B)],
        [{ name: "a.example.com", type: "AAAA", value: V6 }],
        "myipv6",
        { unchangedFamily: "preserve" },
      ),
    ).toEqual([{ hostnames: ["a.example.com"], query: { myip: B, myipv6: "preserve" }, changes: [[0]] }]);
  });

  it('myipv6 with "repeat" (INWX): both current addresses, and no parameter for a family it does not manage', () => {
    const repeat = { unchangedFamily: "repeat" } as const;
    expect(
      planRequests(
        [change("a.example.com", "AAAA", V6)],
        [{ name: "a.example.com", type: "A", value: A }],
        "myipv6",
        repeat,
      ),
    ).toEqual([{ hostnames: ["a.example.com"], query: { myip: A, myipv6: V6 }, changes: [[0]] }]);
    expect(planRequests([change("a.example.com", "A", B)], [], "myipv6", repeat)).toEqual([
      { hostnames: ["a.example.com"], query: { myip: B }, changes: [[0]] },
    ]);
  });

  it("maxHosts 1 (the login is the hostname): one request per hostname", () => {
    const changes = [change("a.example.com", "A", A), change("b.example.com", "A", A)];
    expect(planRequests(changes, [], "separate", { maxHosts: 1 }).map((r) => r.hostnames)).toEqual([
      ["a.example.com"],
      ["b.example.com"],
    ]);
  });

  it("never puts more than 20 hostnames in one request", () => {
    const changes = Array.from({ length: 25 }, (_, i) => change(`h${i}.example.com`, "A", A));
    expect(planRequests(changes, [], "combined").map((r) => r.hostnames.length)).toEqual([20, 5]);
  });
});

describe("the dyndns2 answer grammar (property)", () => {
  const CODES = [
    "good",
    "nochg",
    "badauth",
    "badagent",
    "!donator",
    "notfqdn",
    "nohost",
    "!yours",
    "numhost",
    "abuse",
    "badsys",
    "dnserr",
    "911",
  ];
  const code = fc.oneof(
    fc.constantFrom(...CODES),
    fc.constantFrom(...CODES).map((c) => c.toUpperCase()),
    fc.stringMatching(/^[!a-zA-Z0-9]{1,8}$/),
  );
  const rest = fc.oneof(
    fc.constant(""),
    fc.ipV4(),
    fc.tuple(fc.ipV4(), fc.ipV4()).map(([a, b]) => `${a},${b}`),
  );
  const gap = fc.stringMatching(/^[ \t]{1,3}$/);
  const lineBreak = fc.constantFrom("\n", "\r\n", "\n\n", "\n \n");

  it("reads back every line it is given: the code lower-cased, then the rest", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(code, rest, gap), { minLength: 1, maxLength: 6 }),
        lineBreak,
        (lines, separator) => {
          const body = lines.map(([c, r, g]) => (r ? `${c}${g}${r}` : c)).join(separator);
          expect(parseReply(`${body}${separator}`)).toEqual(
            lines.map(([c, r]) => ({ code: c.toLowerCase(), rest: r })),
          );
        },
      ),
      { numRuns: 3000 },
    );
  }, 30_000);

  it("never throws on any text, and yields no empty code", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (body) => {
        for (const line of parseReply(body)) expect(line.code).not.toBe("");
      }),
      { numRuns: 3000 },
    );
  }, 30_000);
});
