import { describe, expect, it } from "vitest";
import {
  chooseInterfaceAddress,
  FOREVER,
  type InterfaceAddress,
  type PreferMatch,
  parseIpAddrJson,
  parsePrefer,
} from "./interface-address.ts";

/** The reference's observed `ip -j -6 addr show` (§1.4), with public addresses in place of 2001:db8. */
const OBSERVED = JSON.stringify([
  {
    ifindex: 3,
    ifname: "v0",
    addr_info: [
      {
        family: "inet6",
        local: "2a00:1450:4001:81b::40",
        prefixlen: 64,
        scope: "global",
        deprecated: true,
        valid_life_time: FOREVER,
        preferred_life_time: 0,
      },
      {
        family: "inet6",
        local: "2a00:1450:4001:81b:59d1:829b:c680:27e9",
        prefixlen: 64,
        scope: "global",
        temporary: true,
        dynamic: true,
        valid_life_time: 604797,
        preferred_life_time: 85987,
      },
      {
        family: "inet6",
        local: "2a00:1450:4001:81b::20",
        prefixlen: 64,
        scope: "global",
        mngtmpaddr: true,
        noprefixroute: true,
        valid_life_time: FOREVER,
        preferred_life_time: FOREVER,
      },
      {
        family: "inet6",
        local: "2a00:1450:4001:81b::10",
        prefixlen: 64,
        scope: "global",
        dynamic: true,
        valid_life_time: 3597,
        preferred_life_time: 1797,
      },
      {
        family: "inet6",
        local: "fe80::c437:f8ff:feff:8513",
        prefixlen: 64,
        scope: "link",
        valid_life_time: FOREVER,
        preferred_life_time: FOREVER,
      },
    ],
  },
]);

function v6(address: string, flags: string[] = [], preferred = FOREVER, scope = "global"): InterfaceAddress {
  return {
    interface: "eth0",
    family: "ipv6",
    address,
    prefixLength: 64,
    scope,
    flags,
    preferredLifetime: preferred,
    validLifetime: preferred,
  };
}

const choose = (list: InterfaceAddress[], prefer?: PreferMatch) =>
  chooseInterfaceAddress(list, { family: "ipv6", where: "eth0", prefer });

describe("parseIpAddrJson", () => {
  it("reads flags and lifetimes as ip -j prints them", () => {
    const parsed = parseIpAddrJson(OBSERVED);
    expect(parsed).toHaveLength(5);
    expect(parsed[1]).toMatchObject({
      interface: "v0",
      flags: ["temporary", "dynamic"],
      preferredLifetime: 85987,
    });
    expect(parsed[2]?.flags).toEqual(["mngtmpaddr", "noprefixroute"]);
  });
  it("says so when the text is not ip's JSON", () => {
    expect(() => parseIpAddrJson("Device not found")).toThrow(/did not print JSON/);
    expect(() => parseIpAddrJson("{}")).toThrow(/list of interfaces/);
  });
});

describe("the IPv6 rule", () => {
  it("takes the mngtmpaddr address of the observed interface, never the temporary or deprecated one", () => {
    const choice = chooseInterfaceAddress(parseIpAddrJson(OBSERVED), { family: "ipv6", where: "v0" });
    expect(choice).toMatchObject({
      ok: true,
      address: "2a00:1450:4001:81b::20",
      evidence: "v0, mngtmpaddr, preferred forever",
    });
  });
  it("prefers a permanent address to a dynamic one with a longer lifetime", () => {
    const choice = choose([v6("2a00:1450::1", ["dynamic"], 90_000), v6("2a00:1450::2", [], 86_400)]);
    expect(choice).toMatchObject({
      ok: true,
      address: "2a00:1450::2",
      evidence: "eth0, permanent, preferred 86400 s",
    });
  });
  it("among dynamic addresses, takes the longest preferred lifetime", () => {
    const choice = choose([v6("2a00:1450::1", ["dynamic"], 100), v6("2a00:1450::2", ["dynamic"], 1800)]);
    expect(choice).toMatchObject({ ok: true, address: "2a00:1450::2" });
  });
  it("refuses with every reason when only unusable addresses are left", () => {
    const choice = choose([
      v6("2a00:1450::9", ["temporary", "dynamic"], 80_000),
      v6("2a00:1450::8", ["tentative"]),
      v6("2a00:1450::7", ["dadfailed", "tentative"]),
      v6("2a00:1450::6", ["deprecated"], 0),
      v6("fd00::1"),
      v6("fe80::1", [], FOREVER, "link"),
      v6("2001:db8::1"),
    ]);
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.reason).toMatch(/^eth0 has no IPv6 address homing may publish: 2a00:1450::9 is temporary/);
    for (const word of [
      "tentative",
      "duplicate-address detection failed",
      "deprecated",
      "ULA",
      "link-local",
      "documentation",
    ]) {
      expect(choice.reason).toContain(word);
    }
    expect(choice.hint).toMatch(/never a temporary/);
  });
  it("an interface without IPv6 says so", () => {
    expect(choose([])).toMatchObject({ ok: false, reason: "eth0 has no IPv6 address" });
  });
  it("prefer ranks a matching prefix or identifier first, and says when nothing matches", () => {
    const list = [v6("2a00:1450::1"), v6("2a01:4f8::1234", ["dynamic"], 600)];
    const suffix = parsePrefer("::1234") as PreferMatch;
    expect(choose(list, suffix)).toMatchObject({ ok: true, address: "2a01:4f8::1234" });
    const prefix = parsePrefer("2a01:4f8::/32") as PreferMatch;
    expect(choose(list, prefix)).toMatchObject({ ok: true, address: "2a01:4f8::1234" });
    const none = parsePrefer("::99") as PreferMatch;
    const choice = choose(list, none);
    expect(choice).toMatchObject({ ok: true, address: "2a00:1450::1" });
    expect(choice.ok && choice.evidence).toMatch(/no address matches prefer "::99"/);
  });
  it("prefer never makes a temporary address eligible", () => {
    const list = [v6("2a00:1450::1"), v6("2a01:4f8::1234", ["temporary", "dynamic"], 600)];
    expect(choose(list, parsePrefer("::1234") as PreferMatch)).toMatchObject({
      ok: true,
      address: "2a00:1450::1",
    });
  });
});

describe("prefer values", () => {
  it.each(["::1234", "2a01:db8:1::/48", "81.2.69.0/24", "2a00:1450::5"])("accepts %s", (text) => {
    expect("error" in parsePrefer(text)).toBe(false);
  });
  it.each(["1234", "2a01:db8:1::/129", "::1:2:3:4:5", "eth0"])("refuses %s", (text) => {
    expect(parsePrefer(text)).toHaveProperty("error");
  });
});

describe("IPv4", () => {
  const v4 = (address: string, flags: string[] = []): InterfaceAddress => ({
    interface: "ppp0",
    family: "ipv4",
    address,
    prefixLength: 32,
    scope: "global",
    flags,
    preferredLifetime: FOREVER,
    validLifetime: FOREVER,
  });
  const choose4 = (list: InterfaceAddress[]) =>
    chooseInterfaceAddress(list, { family: "ipv4", where: "ppp0" });
  it("takes a public address", () => {
    expect(choose4([v4("81.2.69.142")])).toMatchObject({
      ok: true,
      address: "81.2.69.142",
      evidence: "ppp0, primary address",
    });
  });
  it("refuses a private address with the echo wording", () => {
    expect(choose4([v4("192.168.1.5")])).toMatchObject({
      ok: false,
      reason: "ppp0: 192.168.1.5 is not public: private network (RFC 1918) (192.168.0.0/16)",
    });
  });
  it("refuses a CGNAT address with the CGNAT hint", () => {
    const choice = choose4([v4("100.64.3.4")]);
    expect(choice).toMatchObject({
      ok: false,
      reason: "ppp0: 100.64.3.4 is in the carrier-grade NAT range 100.64.0.0/10",
    });
    expect(!choice.ok && choice.hint).toMatch(/CGNAT/);
  });
  it("skips a private secondary address for a public one", () => {
    expect(choose4([v4("10.0.0.5"), v4("81.2.69.142", ["secondary"])])).toMatchObject({
      ok: true,
      address: "81.2.69.142",
    });
  });
});
