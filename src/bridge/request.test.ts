import { describe, expect, it } from "vitest";
import { basicCredentials, parseBridgeRequest } from "./request.ts";

const V4 = "81.2.69.142";
const V6 = "2a00:1450:4001:81b::200e";
const parse = (target: string, authorization?: string, sourceAddress?: string) =>
  parseBridgeRequest({ target, authorization, sourceAddress });
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("parseBridgeRequest", () => {
  it.each([
    ["myip v4", `/nic/update?hostname=h.example.com&myip=${V4}`, { ipv4: V4 }],
    ["myip v6", `/nic/update?hostname=h.example.com&myip=${V6}`, { ipv6: V6 }],
    ["myip v4,v6", `/nic/update?hostname=h.example.com&myip=${V4},${V6}`, { ipv4: V4, ipv6: V6 }],
    ["myipv6", `/x?hostname=h.example.com&myipv6=${V6}&myip=no`, { ipv6: V6 }],
    ["ip", `/x?hostname=h.example.com&ip=${V4}`, { ipv4: V4 }],
    [
      "Fritz!Box ipaddr + ip6addr",
      `/x?domain=h.example.com&ipaddr=${V4}&ip6addr=${V6}`,
      { ipv4: V4, ipv6: V6 },
    ],
    ["Fritz!Box empty ip6addr", `/x?domain=h.example.com&ipaddr=${V4}&ip6addr=&ip6lanprefix=`, { ipv4: V4 }],
    [
      "ip6lanprefix",
      "/x?domain=h.example.com&ip6lanprefix=2a00:1450:4001:800::/56",
      { prefix: "2a00:1450:4001:800::/56" },
    ],
  ])("reads the address from %s", (_label, target, expected) => {
    const request = parse(target);
    expect(request.hostnames).toEqual(["h.example.com"]);
    expect(request.addresses).toEqual({ ok: true, addresses: expected });
  });

  it.each([
    ["192.168.1.1", /not public/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["1.2.3", /not an IP address/],
    ["::1", /not public/],
    [`${V4},81.2.69.160`, /two different ipv4/],
  ])("refuses myip=%s", (myip, reason) => {
    const verdict = parse(`/?hostname=h.example.com&myip=${encodeURIComponent(myip)}`).addresses;
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });

  it("falls back on the source address only when it is public", () => {
    expect(parse("/?hostname=h.example.com", undefined, `::ffff:${V4}`).addresses).toEqual({
      ok: true,
      addresses: { ipv4: V4, fromSource: true },
    });
    expect(parse("/?hostname=h.example.com", undefined, "127.0.0.1").addresses.ok).toBe(false);
  });

  it("takes credentials from basic auth, URL userinfo, or the query", () => {
    expect(parse("/?hostname=a.example.com", basic("u", "p:w")).credentials).toEqual({
      user: "u",
      password: "p:w",
    });
    expect(parse("http://u%40x:p%21@127.0.0.1/nic/update?hostname=a.example.com").credentials).toEqual({
      user: "u@x",
      password: "p!",
    });
    expect(parse("/?hostname=a.example.com&user=u&pass=p").credentials).toEqual({ user: "u", password: "p" });
    expect(parse("/?hostname=a.example.com&username=u&token=t").credentials).toEqual({
      user: "u",
      password: "t",
    });
    expect(parse("/?hostname=a.example.com&password=p").credentials).toBeUndefined();
  });

  it("splits several hostnames in order", () => {
    expect(parse("/?hostname=a.example.com,b.example.com,,").hostnames).toEqual([
      "a.example.com",
      "b.example.com",
    ]);
    expect(parse("/?myip=1.1.1.1").hostnames).toEqual([]);
  });

  it("ignores Authorization headers that are not basic", () => {
    expect(basicCredentials("Bearer abc")).toBeUndefined();
    expect(basicCredentials(`Basic ${Buffer.from("nocolon").toString("base64")}`)).toBeUndefined();
  });
});
