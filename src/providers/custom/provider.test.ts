import { describe, expect, it } from "vitest";
import { duckSubdomain } from "../duckdns/provider.ts";
import type { RecordChange } from "../provider.ts";
import { placeholdersIn, renderTemplate } from "./client.ts";
import { planCustomRequests } from "./provider.ts";

const change = (name: string, type: "A" | "AAAA", add: string): RecordChange => ({
  name,
  type,
  add,
  remove: [],
});
const V4 = "81.2.69.142";
const V6 = "2a00:1450:4001:81b::200e";
const values = { name: "home.example.com", ip: V6, type: "AAAA", ipv4: "", ipv6: V6, secret: "s&cret=1" };

describe("templates", () => {
  it("URL templates get each value URL-encoded; bodies and headers get them as is", () => {
    expect(renderTemplate("https://x/u?h={name}&ip={ip}&k={secret}", values, encodeURIComponent)).toBe(
      "https://x/u?h=home.example.com&ip=2a00%3A1450%3A4001%3A81b%3A%3A200e&k=s%26cret%3D1",
    );
    expect(renderTemplate('{"ip":"{ip}","k":"{secret}"}', values)).toBe(`{"ip":"${V6}","k":"s&cret=1"}`);
  });

  it("leaves unknown words and JSON braces alone, and lists the placeholders used", () => {
    expect(renderTemplate("{other} {name}", values)).toBe("{other} home.example.com");
    expect(placeholdersIn('{"a":{name},"b":"{ipv4}"} {x_y}')).toEqual(["name", "ipv4", "x_y"]);
  });
});

describe("planCustomRequests", () => {
  it("per family: one request per change", () => {
    expect(
      planCustomRequests([change("a.example.com", "A", V4), change("a.example.com", "AAAA", V6)], [], true),
    ).toEqual([
      { values: { name: "a.example.com", type: "A", ip: V4, ipv4: V4, ipv6: "" }, indexes: [0] },
      { values: { name: "a.example.com", type: "AAAA", ip: V6, ipv4: "", ipv6: V6 }, indexes: [1] },
    ]);
  });

  it("per name: both families filled, the unchanged one repeated", () => {
    expect(
      planCustomRequests(
        [change("a.example.com", "AAAA", V6)],
        [{ name: "a.example.com", type: "A", value: V4 }],
        false,
      ),
    ).toEqual([{ values: { name: "a.example.com", type: "", ip: "", ipv4: V4, ipv6: V6 }, indexes: [0] }]);
  });
});

describe("duckSubdomain", () => {
  it.each([
    ["home.duckdns.org", "home"],
    ["my-home1.duckdns.org", "my-home1"],
    ["a.home.duckdns.org", undefined],
    ["home.example.com", undefined],
    ["duckdns.org", undefined],
  ])("%s → %s", (name, expected) => {
    expect(duckSubdomain(name)).toBe(expected);
  });
});
