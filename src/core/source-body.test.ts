import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCgnat, isCloudflareAddress, type ParsedAddress, parseAddress, specialRange } from "./ip.ts";
import { parseSourceBody } from "./source-body.ts";

const TRACE = (ip: string) =>
  `fl=12f\nh=1.1.1.1\nip=${ip}\nts=1700000000.1\nvisit_scheme=https\ncolo=AMS\nwarp=off\n`;

describe("parseSourceBody", () => {
  it.each<{
    body: string;
    family?: "ipv4" | "ipv6";
    format?: "text" | "json" | "trace";
    ok: boolean;
    match: string;
  }>([
    { body: "81.2.69.142", ok: true, match: "81.2.69.142" },
    { body: "  81.2.69.142\n", ok: true, match: "81.2.69.142" },
    { body: "2A00:1450:4001:081B::200E\n", family: "ipv6", ok: true, match: "2a00:1450:4001:81b::200e" },
    { body: "", ok: false, match: "empty" },
    { body: "<html><body>81.2.69.142</body></html>", ok: false, match: "HTML" },
    { body: "81.2.69.142\n81.2.69.143", ok: false, match: "several values" },
    { body: "81.2.69.142 81.2.69.143", ok: false, match: "several values" },
    { body: "hello", ok: false, match: "not an IP address" },
    { body: "81.2.69", ok: false, match: "not an IP address" },
    { body: "081.2.69.142", ok: false, match: "not an IP address" },
    {
      body: "2a00:1450:4001:81b::200e",
      ok: false,
      match: "is an ipv6 address, expected IPv4".replace("ipv6", "IPv6"),
    },
    { body: "81.2.69.142", family: "ipv6", ok: false, match: "is an IPv4 address, expected IPv6" },
    { body: "10.1.2.3", ok: false, match: "private" },
    { body: "192.168.1.20", ok: false, match: "private" },
    { body: "127.0.0.1", ok: false, match: "loopback" },
    { body: "169.254.10.1", ok: false, match: "not public" },
    { body: "100.64.12.1", ok: false, match: "carrier-grade NAT" },
    { body: "203.0.113.7", ok: false, match: "not public" },
    { body: "224.0.0.1", ok: false, match: "not public" },
    { body: "fd00::1", family: "ipv6", ok: false, match: "not public" },
    { body: "fe80::1", family: "ipv6", ok: false, match: "not public" },
    { body: "2001:db8::1", family: "ipv6", ok: false, match: "not public" },
    { body: "::ffff:81.2.69.142", family: "ipv6", ok: false, match: "not public" },
    { body: '{"ip":"81.2.69.142","city":"London"}', format: "json", ok: true, match: "81.2.69.142" },
    { body: '{"city":"London"}', format: "json", ok: false, match: 'no string field "ip"' },
    { body: "<html>", format: "json", ok: false, match: "not JSON" },
    { body: TRACE("81.2.69.142"), format: "trace", ok: true, match: "81.2.69.142" },
    { body: TRACE("104.16.1.1"), format: "trace", ok: false, match: "Cloudflare's own" },
    { body: TRACE("81.2.69.142").replace("warp=off", "warp=on"), format: "trace", ok: false, match: "WARP" },
    { body: "fl=1\nh=x\n", format: "trace", ok: false, match: "exactly one" },
  ])("$body ($format) → $match", ({ body, family, format, ok, match }) => {
    const verdict = parseSourceBody(body, { family: family ?? "ipv4", format: format ?? "text" });
    expect(verdict.ok).toBe(ok);
    expect(verdict.ok ? verdict.address : verdict.reason).toContain(match);
  });

  it("gives the CGNAT hint a user can act on", () => {
    const verdict = parseSourceBody("100.64.0.1", { family: "ipv4", format: "text" });
    expect(!verdict.ok && verdict.hint).toMatch(/shares one public IPv4 address.*CGNAT/);
  });

  it("never echoes more than a short excerpt of a huge body", () => {
    const verdict = parseSourceBody(`x${"a".repeat(3000)}`, { family: "ipv4", format: "text" });
    expect(!verdict.ok && verdict.reason.length).toBeLessThan(120);
  });
});

describe("parseSourceBody (property)", () => {
  const FAMILIES = ["ipv4", "ipv6"] as const;
  const FORMATS = ["text", "json", "trace"] as const;
  const ipv6 = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
    .map((groups) => groups.map((g) => g.toString(16)).join(":"));
  /** Globally routable addresses, the only ones a source may answer with. */
  const publicAddress = fc
    .oneof(fc.ipV4(), ipv6)
    .map((text) => parseAddress(text) as ParsedAddress)
    .filter(
      (address) => specialRange(address) === undefined && !isCgnat(address) && !isCloudflareAddress(address),
    );
  const field = fc.oneof(
    fc.constantFrom("ip", "address", "__proto__", "constructor", "toString", "0"),
    fc.string(),
  );

  it("never throws, and an accepted answer is one canonical public address of the family", () => {
    const body = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
      publicAddress.map((a) => a.canonical),
      fc.tuple(publicAddress, fc.string({ maxLength: 6 })).map(([a, junk]) => `${junk}${a.canonical}${junk}`),
      fc.tuple(field, publicAddress).map(([key, a]) => `{${JSON.stringify(key)}: "${a.canonical}"}`),
      publicAddress.map((a) => TRACE(a.canonical)),
    );
    fc.assert(
      fc.property(
        body,
        fc.constantFrom(...FAMILIES),
        fc.constantFrom(...FORMATS),
        field,
        (text, family, format, key) => {
          const verdict = parseSourceBody(text, { family, format, field: key });
          if (!verdict.ok) {
            expect(verdict.reason.length).toBeGreaterThan(0);
            return;
          }
          const address = parseAddress(verdict.address) as ParsedAddress;
          expect(address.canonical).toBe(verdict.address);
          expect(address.family).toBe(family);
          expect(specialRange(address)).toBeUndefined();
        },
      ),
      { numRuns: 5000 },
    );
  }, 30_000);

  it("accepts every public address in each format, with any surrounding whitespace", () => {
    const whitespace = fc.stringMatching(/^[ \t\r\n]{0,4}$/);
    fc.assert(
      fc.property(
        publicAddress,
        whitespace,
        whitespace,
        fc.constantFrom(...FORMATS),
        (address, before, after, format) => {
          const body =
            format === "text"
              ? `${before}${address.canonical}${after}`
              : format === "json"
                ? `${before}{"ip": "${address.canonical.toUpperCase()}"}${after}`
                : TRACE(address.canonical);
          expect(parseSourceBody(body, { family: address.family, format })).toEqual({
            ok: true,
            address: address.canonical,
          });
        },
      ),
      { numRuns: 3000 },
    );
  }, 30_000);

  it("reads a JSON field named like a prototype member only when the body has it", () => {
    expect(
      parseSourceBody('{"ip": "81.2.69.142"}', { family: "ipv4", format: "json", field: "constructor" }),
    ).toEqual({
      ok: false,
      reason: 'the JSON has no string field "constructor"',
    });
    expect(
      parseSourceBody('{"__proto__": "81.2.69.142"}', { family: "ipv4", format: "json", field: "__proto__" }),
    ).toEqual({
      ok: true,
      address: "81.2.69.142",
    });
  });
});
