import { describe, expect, it } from "vitest";
import { expandTargets, familiesOf, namesOf } from "./targets.ts";

describe("expandTargets", () => {
  const config = {
    records: [
      { name: "Home.Example.com.", provider: "dh", ipv4: true, ipv6: true },
      { name: "nas.example.com", provider: "cf", ipv4: false, ipv6: true },
      { name: "v4.example.com", provider: "dh", ipv4: true, ipv6: false },
    ],
  };

  it("gives one target per managed (record, family), in config order, names normalised", () => {
    expect(expandTargets(config).map((t) => [t.key, t.family, t.recordIndex])).toEqual([
      ["dh/home.example.com/A", "ipv4", 0],
      ["dh/home.example.com/AAAA", "ipv6", 0],
      ["cf/nas.example.com/AAAA", "ipv6", 1],
      ["dh/v4.example.com/A", "ipv4", 2],
    ]);
  });

  it("says which families and which names of a provider are needed", () => {
    const targets = expandTargets(config);
    expect(familiesOf(targets)).toEqual(["ipv4", "ipv6"]);
    expect(familiesOf(targets.filter((t) => t.providerId === "cf"))).toEqual(["ipv6"]);
    expect(namesOf(targets, "dh")).toEqual(["home.example.com", "v4.example.com"]);
    expect(expandTargets({ records: [] })).toEqual([]);
  });
});
