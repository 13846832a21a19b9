import { describe, expect, it } from "vitest";
import {
  addressFromBytes,
  type Cidr,
  CLOUDFLARE_RANGES,
  cidrContains,
  isCgnat,
  isCloudflareAddress,
  type ParsedAddress,
  parseAddress,
  parseCidr,
  SPECIAL_RANGES,
  specialRange,
} from "./ip.ts";

/** Parses or fails the test: for inputs the table asserts are valid. */
function address(text: string): ParsedAddress {
  const parsed = parseAddress(text);
  if (parsed === undefined) throw new Error(`test bug: ${text} does not parse`);
  return parsed;
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (parsed === undefined) throw new Error(`test bug: ${text} does not parse as CIDR`);
  return parsed;
}

/** Last address of a network: the network with every host bit set. */
function lastAddress(network: Cidr): ParsedAddress {
  const bytes = Uint8Array.from(network.bytes);
  for (let bit = network.prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] = bytes[bit >> 3]! | (0x80 >> (bit & 7));
  }
  return addressFromBytes(bytes)!;
}

describe("parseAddress accepts", () => {
  it.each([
    // IPv4
    ["0.0.0.0", "ipv4", "0.0.0.0"],
    ["255.255.255.255", "ipv4", "255.255.255.255"],
    ["81.2.69.142", "ipv4", "81.2.69.142"],
    ["10.0.0.1", "ipv4", "10.0.0.1"],
    ["100.64.0.0", "ipv4", "100.64.0.0"],
    ["1.20.200.0", "ipv4", "1.20.200.0"],
    // IPv6 basics
    ["::", "ipv6", "::"],
    ["::1", "ipv6", "::1"],
    ["1::", "ipv6", "1::"],
    ["0:0:0:0:0:0:0:0", "ipv6", "::"],
    ["0:0:0:0:0:0:0:1", "ipv6", "::1"],
    ["1:0:0:0:0:0:0:0", "ipv6", "1::"],
    ["fe80::1", "ipv6", "fe80::1"],
    ["FE80:0000:0000:0000:0202:B3FF:FE1E:8329", "ipv6", "fe80::202:b3ff:fe1e:8329"],
    ["2a00:1450:4001:81b::200e", "ipv6", "2a00:1450:4001:81b::200e"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ipv6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa", "ipv6", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa"],
    // RFC 5952 §4.1: leading zeros dropped
    ["2001:0db8::0001", "ipv6", "2001:db8::1"],
    ["2001:db8::0000:1", "ipv6", "2001:db8::1"],
    // §4.2.1: "::" as long as possible
    ["2001:db8:0:0:0:0:2:1", "ipv6", "2001:db8::2:1"],
    ["2001:db8::0:1", "ipv6", "2001:db8::1"],
    // §4.2.2: a single zero group is not compressed (input may still use "::" for it)
    ["2001:db8:0:1:1:1:1:1", "ipv6", "2001:db8:0:1:1:1:1:1"],
    ["2001:db8::1:1:1:1:1", "ipv6", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7::", "ipv6", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "ipv6", "0:2:3:4:5:6:7:8"],
    ["1:2:3:4:5:6::8", "ipv6", "1:2:3:4:5:6:0:8"],
    // §4.2.3: longest run wins, first on ties
    ["2001:0:0:1:0:0:0:1", "ipv6", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "ipv6", "2001:db8::1:0:0:1"],
    ["1:0:0:0:2:0:0:0", "ipv6", "1::2:0:0:0"],
    ["1:0:0:2:0:0:3:4", "ipv6", "1::2:0:0:3:4"],
    // §4.3: lowercase
    ["2001:DB8::1", "ipv6", "2001:db8::1"],
    // RFC 5952 §2 — all spellings of one address
    ["2001:db8:0:0:1::1", "ipv6", "2001:db8::1:0:0:1"],
    ["2001:db8:0000:0:1::1", "ipv6", "2001:db8::1:0:0:1"],
    ["2001:DB8:0:0:1::1", "ipv6", "2001:db8::1:0:0:1"],
    ["2001:db8::0:1:0:0:1", "ipv6", "2001:db8::1:0:0:1"],
    ["2001:0db8::1:0:0:1", "ipv6", "2001:db8::1:0:0:1"],
    ["2001:0db8:0:0:1:0:0:1", "ipv6", "2001:db8::1:0:0:1"],
    // Embedded IPv4; only IPv4-mapped is shown in mixed notation (§5)
    ["::ffff:1.2.3.4", "ipv6", "::ffff:1.2.3.4"],
    ["::FFFF:1.2.3.4", "ipv6", "::ffff:1.2.3.4"],
    ["::ffff:0102:0304", "ipv6", "::ffff:1.2.3.4"],
    ["0:0:0:0:0:ffff:81.2.69.142", "ipv6", "::ffff:81.2.69.142"],
    ["::ffff:0:0", "ipv6", "::ffff:0.0.0.0"],
    ["::1.2.3.4", "ipv6", "::102:304"],
    ["::ffff:0:1.2.3.4", "ipv6", "::ffff:0:102:304"],
    ["64:ff9b::192.0.2.33", "ipv6", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:1.2.3.4", "ipv6", "1:2:3:4:5:6:102:304"],
    ["1::1.2.3.4", "ipv6", "1::102:304"],
    ["1:2:3:4:5::1.2.3.4", "ipv6", "1:2:3:4:5:0:102:304"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ipv6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ])("%s → %s %s", (text, family, canonical) => {
    const parsed = parseAddress(text);
    expect(parsed).toBeDefined();
    expect(parsed?.family).toBe(family);
    expect(parsed?.canonical).toBe(canonical);
    expect(parsed?.bytes.length).toBe(family === "ipv4" ? 4 : 16);
    // The canonical form is a fixed point and denotes the same bytes.
    expect(parseAddress(canonical)?.bytes).toEqual(parsed?.bytes);
    expect(parseAddress(canonical)?.canonical).toBe(canonical);
  });

  it("produces the right bytes", () => {
    expect(Array.from(address("81.2.69.142").bytes)).toEqual([81, 2, 69, 142]);
    expect(Array.from(address("2001:db8::ff:1.2.3.4").bytes)).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3, 4,
    ]);
  });
});

describe("parseAddress rejects", () => {
  it.each([
    // IPv4
    "",
    " ",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1.2.3.4\n",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.04",
    "00.0.0.0",
    "256.0.0.0",
    "1.2.3.1000",
    "1.2.3.-1",
    "1..2.3",
    "1.2.3.",
    ".1.2.3",
    "0x7f.0.0.1",
    "127.1",
    "2130706433",
    "1.2.3.4/32",
    "+1.2.3.4",
    "１.2.3.4",
    "1.2.3.4:80",
    "localhost",
    // IPv6
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    "::1::",
    ":1::",
    "::1:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1::2:3:4:5:6:7:8",
    ":1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:",
    "12345::",
    "00000::1",
    "g::1",
    "::x",
    "fe80::1%eth0",
    "fe80::1%1",
    "[::1]",
    "[::1]:80",
    "2001:db8::/32",
    " ::1",
    "::1 ",
    "::1\t",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1:2:3:4:5:6::1.2.3.4",
    "::1.2.3.4:5",
    "1.2.3.4::",
    "::ffff:1.2.3",
    "::ffff:01.2.3.4",
    "::ffff:256.1.1.1",
    "::ffff:1.2.3.4.5",
    "::ffff:1.2.3.",
    "::ffff:1a.2.3.4",
    "::-1",
    "0x1::",
    "::ffff:1.2.3.4%eth0",
    `${"0:".repeat(7)}0000000000`,
    "1:2:3:4:5:6:7:8".padStart(50, "0"),
  ])("%j", (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });

  it("rejects non-strings defensively", () => {
    expect(parseAddress(undefined as unknown as string)).toBeUndefined();
    expect(parseAddress(1234 as unknown as string)).toBeUndefined();
  });
});

describe("RFC 5952 formatting agrees with the WHATWG URL serialiser on random addresses", () => {
  it("round-trips 2000 random addresses", () => {
    let seed = 0x2545f491;
    const random = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x1_0000_0000;
    };
    for (let n = 0; n < 2000; n++) {
      const bytes = new Uint8Array(16);
      for (let k = 0; k < 8; k++) {
        // Mostly zero groups, so that compression edge cases are common.
        const word = random() < 0.5 ? 0 : Math.floor(random() * (random() < 0.5 ? 0x10 : 0x10000));
        bytes[2 * k] = word >> 8;
        bytes[2 * k + 1] = word & 0xff;
      }
      const formatted = addressFromBytes(bytes)!;
      expect(parseAddress(formatted.canonical)?.bytes).toEqual(bytes);
      if (!formatted.canonical.startsWith("::ffff:") || !formatted.canonical.includes(".")) {
        expect(formatted.canonical).toBe(new URL(`http://[${formatted.canonical}]/`).hostname.slice(1, -1));
        // Uppercase, fully expanded spelling parses to the same thing.
        const expanded = Array.from({ length: 8 }, (_, k) =>
          ((bytes[2 * k]! << 8) | bytes[2 * k + 1]!).toString(16).toUpperCase().padStart(4, "0"),
        ).join(":");
        expect(parseAddress(expanded)?.canonical).toBe(formatted.canonical);
      }
    }
  });
});

describe("addressFromBytes", () => {
  it.each([
    [[81, 2, 69, 142], "81.2.69.142"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8::1"],
  ])("%j → %s", (bytes, canonical) => {
    expect(addressFromBytes(Uint8Array.from(bytes))?.canonical).toBe(canonical);
  });

  it.each([0, 3, 5, 15, 17])("rejects %i bytes", (length) => {
    expect(addressFromBytes(new Uint8Array(length))).toBeUndefined();
  });

  it("copies its input", () => {
    const input = Uint8Array.from([1, 2, 3, 4]);
    const parsed = addressFromBytes(input)!;
    input[0] = 9;
    expect(parsed.bytes[0]).toBe(1);
  });
});

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", "ipv4", "10.0.0.0", 8],
    ["10.1.2.3/8", "ipv4", "10.0.0.0", 8],
    ["192.168.1.7/24", "ipv4", "192.168.1.0", 24],
    ["100.127.255.255/10", "ipv4", "100.64.0.0", 10],
    ["0.0.0.0/0", "ipv4", "0.0.0.0", 0],
    ["255.255.255.255/0", "ipv4", "0.0.0.0", 0],
    ["1.2.3.4", "ipv4", "1.2.3.4", 32],
    ["1.2.3.4/32", "ipv4", "1.2.3.4", 32],
    ["::/0", "ipv6", "::", 0],
    ["::1", "ipv6", "::1", 128],
    ["2001:db8::/32", "ipv6", "2001:db8::", 32],
    ["2001:DB8:1234::1/32", "ipv6", "2001:db8::", 32],
    ["fe80::1/10", "ipv6", "fe80::", 10],
    ["fe80::1/128", "ipv6", "fe80::1", 128],
    ["::ffff:0:0/96", "ipv6", "::ffff:0.0.0.0", 96],
    ["2001:db8::ff/121", "ipv6", "2001:db8::80", 121],
  ])("%s → %s %s/%i", (text, family, network, prefix) => {
    const parsed = parseCidr(text);
    expect(parsed?.family).toBe(family);
    expect(parsed?.prefix).toBe(prefix);
    expect(addressFromBytes(parsed!.bytes)?.canonical).toBe(network);
  });

  it.each([
    "",
    "/8",
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/08",
    "10.0.0.0/-1",
    "10.0.0.0/+8",
    "10.0.0.0/ 8",
    "10.0.0.0 /8",
    "10.0.0.0/8/8",
    "10.0.0.0/8.0",
    "10.0.0.0/255.0.0.0",
    "10/8",
    "::/129",
    "::/1280",
    "[::1]/128",
    "fe80::1%eth0/64",
  ])("rejects %j", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe("cidrContains", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0", true],
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["10.0.0.0/8", "9.255.255.255", false],
    ["100.64.0.0/10", "100.64.0.0", true],
    ["100.64.0.0/10", "100.127.255.255", true],
    ["100.64.0.0/10", "100.128.0.0", false],
    ["100.64.0.0/10", "100.63.255.255", false],
    ["192.168.1.7/24", "192.168.1.200", true],
    ["192.168.1.7/24", "192.168.2.0", false],
    ["1.2.3.4/32", "1.2.3.4", true],
    ["1.2.3.4/32", "1.2.3.5", false],
    ["1.2.3.4/31", "1.2.3.5", true],
    ["1.2.3.4/31", "1.2.3.6", false],
    ["0.0.0.0/0", "255.255.255.255", true],
    ["0.0.0.0/0", "::", false],
    ["::/0", "1.2.3.4", false],
    ["::/0", "ffff::", true],
    ["::/128", "::", true],
    ["::/128", "::1", false],
    ["2001:db8::/32", "2001:db8::", true],
    ["2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["2001:db8::/32", "2001:db9::", false],
    ["2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false],
    ["2001:db8::/33", "2001:db8:7fff:ffff::", true],
    ["2001:db8::/33", "2001:db8:8000::", false],
    ["fe80::/10", "febf:ffff::", true],
    ["fe80::/10", "fec0::", false],
    ["::ffff:0:0/96", "::ffff:1.2.3.4", true],
    ["10.0.0.0/8", "::ffff:10.0.0.1", false],
  ])("%s contains %s: %s", (network, text, expected) => {
    expect(cidrContains(cidr(network), address(text))).toBe(expected);
  });
});

describe("SPECIAL_RANGES", () => {
  it("is well-formed: every cidr parses with its host bits clear, every name is meaningful", () => {
    for (const range of SPECIAL_RANGES) {
      const [network = "", prefix = ""] = range.cidr.split("/");
      const parsed = cidr(range.cidr);
      expect(
        `${addressFromBytes(parsed.bytes)?.canonical.replace("::ffff:0.0.0.0", "::ffff:0:0")}/${prefix}`,
      ).toBe(range.cidr);
      expect(network).toBe(network.toLowerCase());
      expect(range.name.length).toBeGreaterThan(8);
    }
    expect(new Set(SPECIAL_RANGES.map((range) => range.cidr)).size).toBe(SPECIAL_RANGES.length);
  });

  it.each([
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "192.175.48.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001::/32",
    "2001:db8::/32",
    "2002::/16",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
  ])("includes the required range %s", (text) => {
    expect(SPECIAL_RANGES.some((range) => range.cidr === text)).toBe(true);
  });

  it.each(
    SPECIAL_RANGES.flatMap((range) => [
      [range.cidr, "first"],
      [range.cidr, "last"],
    ]),
  )("%s: the %s address is special", (text, which) => {
    const network = cidr(text);
    const probe = which === "first" ? addressFromBytes(network.bytes)! : lastAddress(network);
    const found = specialRange(probe);
    expect(found, probe.canonical).toBeDefined();
    // The reported range contains the address and is this range or one nested inside it.
    const reported = cidr(found!.cidr);
    expect(cidrContains(reported, probe)).toBe(true);
    expect(reported.prefix).toBeGreaterThanOrEqual(network.prefix);
    expect(cidrContains(network, addressFromBytes(reported.bytes)!)).toBe(true);
  });
});

describe("specialRange", () => {
  it.each([
    ["0.0.0.0", "0.0.0.0/32", "unspecified"],
    ["0.1.2.3", "0.0.0.0/8", "this network"],
    ["10.1.2.3", "10.0.0.0/8", "private network (RFC 1918)"],
    ["172.31.255.255", "172.16.0.0/12", "private network (RFC 1918)"],
    ["192.168.178.1", "192.168.0.0/16", "private network (RFC 1918)"],
    ["100.64.0.1", "100.64.0.0/10", "CGNAT"],
    ["127.0.0.1", "127.0.0.0/8", "loopback"],
    ["169.254.1.1", "169.254.0.0/16", "link-local"],
    ["192.0.0.2", "192.0.0.0/29", "DS-Lite"],
    ["192.0.0.100", "192.0.0.0/24", "IETF"],
    ["192.0.0.171", "192.0.0.170/31", "NAT64"],
    ["192.0.2.1", "192.0.2.0/24", "documentation"],
    ["198.51.100.7", "198.51.100.0/24", "documentation"],
    ["203.0.113.255", "203.0.113.0/24", "documentation"],
    ["198.19.0.1", "198.18.0.0/15", "benchmarking"],
    ["239.255.255.250", "224.0.0.0/4", "multicast"],
    ["255.255.255.254", "240.0.0.0/4", "reserved"],
    ["255.255.255.255", "255.255.255.255/32", "broadcast"],
    ["::", "::/128", "unspecified"],
    ["::1", "::1/128", "loopback"],
    ["::2", "::/3", "not global unicast"],
    ["1::", "::/3", "not global unicast"],
    ["::ffff:8.8.8.8", "::ffff:0:0/96", "IPv4-mapped"],
    ["64:ff9b::8.8.8.8", "64:ff9b::/96", "NAT64"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32", "Teredo"],
    ["2001:1::1", "2001::/23", "IETF"],
    ["2001:2::1", "2001:2::/48", "benchmarking"],
    ["2001:db8::1", "2001:db8::/32", "documentation"],
    ["2002:c000:204::1", "2002::/16", "6to4"],
    ["3fff:fff:ffff::1", "3fff::/20", "documentation"],
    ["4000::1", "4000::/2", "not global unicast"],
    ["5f00:1::", "5f00::/16", "SRv6"],
    ["e000::", "8000::/1", "not global unicast"],
    ["fd12:3456:789a::1", "fc00::/7", "unique local"],
    ["fe80::1ff:fe23:4567:890a", "fe80::/10", "link-local"],
    ["fec0::1", "fec0::/10", "site-local"],
    ["ff02::1", "ff00::/8", "multicast"],
  ])("%s is in %s (%s)", (text, expected, nameFragment) => {
    const found = specialRange(address(text));
    expect(found?.cidr).toBe(expected);
    expect(found?.name.toLowerCase()).toContain(nameFragment.toLowerCase());
  });

  it.each([
    "81.2.69.142",
    "8.8.8.8",
    "1.1.1.1",
    "1.0.0.0",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.255",
    "192.0.3.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2a00:1450:4001:81b::200e",
    "2600::1",
    "2000::",
    "2001:200::1",
    "2001:4860:4860::8888",
    "2001:db7:ffff::1",
    "2001:db9::",
    "2003::1",
    "2606:4700:4700::1111",
    "3fff:1000::1",
    "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  ])("%s is public global unicast", (text) => {
    expect(specialRange(address(text))).toBeUndefined();
  });
});

describe("isCgnat", () => {
  it.each([
    ["100.64.0.0", true],
    ["100.64.12.34", true],
    ["100.127.255.255", true],
    ["100.63.255.255", false],
    ["100.128.0.0", false],
    ["10.0.0.1", false],
    ["81.2.69.142", false],
    ["::ffff:100.64.0.1", false],
    ["64:ff9b::100.64.0.1", false],
  ])("%s → %s", (text, expected) => {
    expect(isCgnat(address(text))).toBe(expected);
  });
});

describe("isCloudflareAddress", () => {
  it("has only valid ranges", () => {
    for (const text of CLOUDFLARE_RANGES) expect(parseCidr(text), text).toBeDefined();
  });

  it.each([
    ["1.1.1.1", true],
    ["1.0.0.1", true],
    ["1.1.1.255", true],
    ["104.16.0.1", true],
    ["104.27.255.255", true],
    ["172.64.1.1", true],
    ["162.159.200.1", true],
    ["173.245.63.255", true],
    ["198.41.255.255", true],
    ["2606:4700:4700::1111", true],
    ["2606:4700:4700::1001", true],
    ["2606:4700::6810:84e5", true],
    ["2a06:98c0:3600::103", true],
    ["2a06:98c7:ffff::1", true],
    ["8.8.8.8", false],
    ["81.2.69.142", false],
    ["1.1.2.1", false],
    ["1.0.1.0", false],
    ["104.32.0.0", false],
    ["172.72.0.0", false],
    ["2001:4860:4860::8888", false],
    ["2400:cb01::", false],
    ["2a06:98c8::", false],
    ["::ffff:1.1.1.1", false],
  ])("%s → %s", (text, expected) => {
    expect(isCloudflareAddress(address(text))).toBe(expected);
  });
});
