import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressFromBytes, parseAddress, parseCidr } from "./ip.ts";
import { combineIpv6, describeIpv6Suffix, networkOf } from "./ipv6-suffix.ts";

describe("describeIpv6Suffix", () => {
  it.each(["::1234:5678:9abc:def0", "::1", "::0:0:0:1", "::ffff:1:2:3"])(
    "%s is an interface identifier",
    (text) => {
      expect(describeIpv6Suffix(text)).toBeUndefined();
    },
  );
  it.each([
    ["1234:5678:9abc:def0", /not an IPv6 interface identifier/],
    ["2001:db8::1", /first 64 bits/],
    ["::1:0:0:0:1", /first 64 bits/],
    ["::", /all zeros/],
    ["::1/64", /not an IPv6/],
    ["1.2.3.4", /not an IPv6/],
  ])("%s is refused", (text, reason) => {
    expect(describeIpv6Suffix(text)).toMatch(reason);
  });
});

describe("networkOf", () => {
  it.each([
    [{ address: "2a01:4f8:1:2:3:4:5:6" }, "2a01:4f8:1:2::/64"],
    [{ prefix: "2a01:4f8:1:2::/64" }, "2a01:4f8:1:2::/64"],
    [{ prefix: "2a01:4f8:1:ff00::/56" }, "2a01:4f8:1:ff00::/64"],
    [{ prefix: "2a01:4f8:1:ffff::/56" }, "2a01:4f8:1:ff00::/64"],
    [{ prefix: "2a01:4f8::/48" }, "2a01:4f8::/64"],
    [{ prefix: "2a01:4f8:1:2:3::/80" }, undefined],
    [{ prefix: "2a01:4f8:1:2::" }, undefined],
    [{ address: "81.2.69.142" }, undefined],
    [{}, undefined],
  ])("%j stands for %s", (answer, network) => {
    expect(networkOf(answer)).toBe(network);
  });
});

describe("combineIpv6", () => {
  it("puts the suffix behind the prefix", () => {
    expect(combineIpv6("2a01:4f8:1:2::/64", "::1234:5678:9abc:def0")).toBe(
      "2a01:4f8:1:2:1234:5678:9abc:def0",
    );
    expect(combineIpv6("2a01:4f8:1:ff00::/56", "::1")).toBe("2a01:4f8:1:ff00::1");
  });
  it("refuses a prefix longer than /64 and a suffix with prefix bits", () => {
    expect(() => combineIpv6("2a01:4f8:1:2:3::/80", "::1")).toThrow(/\/64 or shorter/);
    expect(() => combineIpv6("2a01:4f8:1:2::/64", "2001::1")).toThrow(/interface identifier/);
  });

  const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
  const suffixArb = bytes16
    .map((b) => {
      const out = Uint8Array.from(b);
      out.fill(0, 0, 8);
      return out;
    })
    .filter((b) => b.some((x) => x !== 0))
    .map((b) => addressFromBytes(b)?.canonical as string);

  it("property: the result keeps the prefix's bits and the suffix's bits, and nothing else", () => {
    fc.assert(
      fc.property(bytes16, fc.integer({ min: 0, max: 64 }), suffixArb, (raw, length, suffix) => {
        const prefix = `${addressFromBytes(raw)?.canonical}/${length}`;
        const network = networkOf({ prefix }) as string;
        const combined = parseAddress(combineIpv6(network, suffix));
        const cidr = parseCidr(prefix);
        const id = parseAddress(suffix);
        expect(combined?.family).toBe("ipv6");
        expect(combined?.bytes.subarray(8)).toEqual(id?.bytes.subarray(8));
        expect(combined?.bytes.subarray(0, 8)).toEqual(cidr?.bytes.subarray(0, 8));
        // The same prefix and suffix always make the same address (idempotent through networkOf).
        expect(combineIpv6(networkOf({ address: combined?.canonical as string }) as string, suffix)).toBe(
          combined?.canonical,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("property: an address's own /64 with its own low 64 bits as suffix gives the address back", () => {
    fc.assert(
      fc.property(bytes16, (raw) => {
        fc.pre(raw.subarray(8).some((x) => x !== 0));
        const address = addressFromBytes(raw)?.canonical as string;
        const low = new Uint8Array(16);
        low.set(raw.subarray(8), 8);
        const suffix = addressFromBytes(low)?.canonical as string;
        expect(combineIpv6(networkOf({ address }) as string, suffix)).toBe(address);
      }),
      { numRuns: 2000 },
    );
  });
});
