import { describe, expect, it } from "vitest";
import { type KnownSet, RecordSets, type SetPlace } from "./rrsets.ts";

const zone = { name: "example.com", id: "z1" };
const signal = new AbortController().signal;

describe("RecordSets", () => {
  it("turns create and remove into writes of the whole set, with what the listing said", async () => {
    const sets = new RecordSets();
    const rows = sets.listed(zone, "Home.Example.com", "A", {
      values: ["192.0.2.1", "192.0.2.2"],
      ttl: 60,
      tag: "e1",
    });
    expect(rows.map((r) => [r.id, r.name, r.value, r.ttl])).toEqual([
      ["home.example.com A 192.0.2.1", "home.example.com", "192.0.2.1", 60],
      ["home.example.com A 192.0.2.2", "home.example.com", "192.0.2.2", 60],
    ]);
    const writes: Array<[SetPlace, readonly string[], KnownSet | undefined]> = [];
    const service = sets.service(async (place, values, known) => {
      writes.push([place, values, known]);
      return true;
    });
    await service.create(
      { zone, name: "home.example.com", relative: "home", type: "A" },
      "192.0.2.3",
      signal,
    );
    expect(writes[0]?.[1]).toEqual(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    expect(writes[0]?.[2]).toMatchObject({ ttl: 60, tag: "e1" });
    const [first] = rows;
    if (first) await service.remove(zone, first, signal);
    expect(writes[1]?.[0]).toMatchObject({ name: "home.example.com", relative: "home", type: "A" });
    expect(writes[1]?.[1]).toEqual(["192.0.2.2", "192.0.2.3"]);
    await service.create(
      { zone, name: "new.example.com", relative: "new", type: "AAAA" },
      "2001:db8::1",
      signal,
    );
    expect(writes[2]?.[1]).toEqual(["2001:db8::1"]);
    expect(writes[2]?.[2]).toBeUndefined();
  });

  it("forgets nothing it could not confirm: an unconfirmed write leaves the listed set", async () => {
    const sets = new RecordSets();
    sets.listed(zone, "home.example.com", "A", { values: ["192.0.2.1"] });
    const service = sets.service(async () => ({ reply: '"{}"' }));
    await service.create(
      { zone, name: "home.example.com", relative: "home", type: "A" },
      "192.0.2.9",
      signal,
    );
    expect(sets.get(zone, "home.example.com", "A")?.values).toEqual(["192.0.2.1"]);
  });
});
