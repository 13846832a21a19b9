/**
 * The IPv6 choice under generated interfaces: whatever the kernel lists, homing never picks an
 * address the rule excludes, the answer does not depend on the listing order, a stable kind beats a
 * dynamic one, and `prefer` only reorders eligible addresses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chooseInterfaceAddress,
  exclusionOf,
  FOREVER,
  type InterfaceAddress,
  parsePrefer,
  stabilityOf,
} from "./interface-address.ts";
import { parseAddress, specialRange } from "./ip.ts";

const PREFIXES = ["2a00:1450:4001:81b", "2a01:4f8:1:2", "fd00:1:2:3", "fe80:0:0:0", "2001:db8:0:1"];
const FLAGS = [
  "temporary",
  "dynamic",
  "deprecated",
  "tentative",
  "optimistic",
  "dadfailed",
  "mngtmpaddr",
  "noprefixroute",
  "stable-privacy",
  "nodad",
];

const entry = fc
  .record({
    prefix: fc.constantFrom(...PREFIXES),
    iid: fc.integer({ min: 1, max: 0xffff }),
    flags: fc.subarray(FLAGS),
    preferred: fc.oneof(fc.constant(FOREVER), fc.constant(0), fc.integer({ min: 1, max: 700_000 })),
  })
  .map(
    ({ prefix, iid, flags, preferred }): InterfaceAddress => ({
      interface: "eth0",
      family: "ipv6",
      address: `${prefix}::${iid.toString(16)}`,
      prefixLength: 64,
      scope: prefix.startsWith("fe80") ? "link" : "global",
      flags,
      preferredLifetime: preferred,
      validLifetime: preferred,
    }),
  );

// Unique addresses: the kernel never lists one address twice on an interface.
const interfaceList = fc.uniqueArray(entry, { selector: (e) => e.address, maxLength: 12 });

const rank = (e: InterfaceAddress) => (stabilityOf(e) === "dynamic" ? 1 : 0);

describe("chooseInterfaceAddress (IPv6), properties", () => {
  it("never picks a temporary, deprecated, tentative, DAD-failed, ULA, link-local or special address", () => {
    fc.assert(
      fc.property(interfaceList, (list) => {
        const choice = chooseInterfaceAddress(list, { family: "ipv6", where: "eth0" });
        const eligible = list.filter((e) => !exclusionOf(e) && !specialRange(parseAddress(e.address)!));
        expect(choice.ok).toBe(eligible.length > 0);
        if (!choice.ok) return;
        const flags = new Set(choice.chosen.flags);
        for (const bad of ["temporary", "deprecated", "tentative", "optimistic", "dadfailed"])
          expect(flags.has(bad)).toBe(false);
        expect(choice.chosen.preferredLifetime).toBeGreaterThan(0);
        expect(choice.address).not.toMatch(/^(fd|fe8|2001:db8)/);
      }),
      { numRuns: 2000 },
    );
  });

  it("does not depend on the order the kernel lists the addresses", () => {
    fc.assert(
      fc.property(
        interfaceList.chain((list) =>
          fc.tuple(
            fc.constant(list),
            fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
          ),
        ),
        ([list, shuffled]) => {
          const a = chooseInterfaceAddress(list, { family: "ipv6", where: "eth0" });
          const b = chooseInterfaceAddress(shuffled, { family: "ipv6", where: "eth0" });
          expect(a.ok && a.address).toBe(b.ok && b.address);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a stable kind beats any dynamic one; among equals the longest preferred lifetime wins", () => {
    fc.assert(
      fc.property(interfaceList, (list) => {
        const choice = chooseInterfaceAddress(list, { family: "ipv6", where: "eth0" });
        if (!choice.ok) return;
        const eligible = list.filter((e) => !exclusionOf(e) && !specialRange(parseAddress(e.address)!));
        for (const other of eligible) {
          expect(rank(choice.chosen)).toBeLessThanOrEqual(rank(other));
          if (rank(other) === rank(choice.chosen)) {
            expect(choice.chosen.preferredLifetime).toBeGreaterThanOrEqual(other.preferredLifetime);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("prefer picks a matching eligible address when there is one, and never an excluded one", () => {
    fc.assert(
      fc.property(interfaceList, fc.integer({ min: 1, max: 0xffff }), (list, iid) => {
        const prefer = parsePrefer(`::${iid.toString(16)}`);
        if ("error" in prefer) throw new Error(prefer.error);
        const choice = chooseInterfaceAddress(list, { family: "ipv6", where: "eth0", prefer });
        const plain = chooseInterfaceAddress(list, { family: "ipv6", where: "eth0" });
        expect(choice.ok).toBe(plain.ok);
        if (!choice.ok) return;
        expect(exclusionOf(choice.chosen)).toBeUndefined();
        const matching = list.filter(
          (e) =>
            !exclusionOf(e) &&
            !specialRange(parseAddress(e.address)!) &&
            e.address.endsWith(`::${iid.toString(16)}`),
        );
        if (matching.length > 0) expect(choice.chosen.address.endsWith(`::${iid.toString(16)}`)).toBe(true);
        else expect(choice.ok && choice.address).toBe(plain.ok && plain.address);
      }),
      { numRuns: 1000 },
    );
  });
});
