import { describe, expect, it } from "vitest";
import type { Place } from "./rest.ts";
import { fullName, setEdits, setRows } from "./rrset.ts";

const zone = { name: "example.com", id: "z1" };
const signal = new AbortController().signal;

function fake(initial: string[]) {
  const writes: string[][] = [];
  let current = initial;
  const edits = setEdits({
    read: async () => current,
    write: async (_place: Place, values) => {
      writes.push([...values]);
      current = [...values];
      return { reply: "ok" };
    },
  });
  return { edits, writes };
}

describe("setEdits", () => {
  const place: Place = { zone, name: "home.example.com", relative: "home", type: "A" };

  it("adds a value to the set as it is now", async () => {
    const { edits, writes } = fake(["192.0.2.1"]);
    expect(await edits.create(place, "192.0.2.2", signal)).toEqual({ reply: "ok" });
    expect(writes).toEqual([["192.0.2.1", "192.0.2.2"]]);
  });

  it("removes one value and keeps the others; the last one empties the set", async () => {
    const { edits, writes } = fake(["192.0.2.1", "192.0.2.2"]);
    const row = { id: "x", name: "home.example.com", type: "A" };
    await edits.remove(zone, { ...row, value: "192.0.2.1" }, signal);
    await edits.remove(zone, { ...row, value: "192.0.2.9" }, signal);
    await edits.remove(zone, { ...row, value: "192.0.2.2" }, signal);
    expect(writes).toEqual([["192.0.2.2"], []]);
  });
});

describe("fullName and setRows", () => {
  it("reads @, the empty name and labels relative to the zone", () => {
    expect(fullName("@", "example.com")).toBe("example.com");
    expect(fullName("", "example.com")).toBe("example.com");
    expect(fullName("Home", "example.com")).toBe("home.example.com");
  });

  it("makes one row per value, with the TTL when the service gives one", () => {
    expect(setRows("home.example.com", "A", ["192.0.2.1", "192.0.2.2"], 300)).toEqual([
      {
        id: "home.example.com A 192.0.2.1",
        name: "home.example.com",
        type: "A",
        value: "192.0.2.1",
        ttl: 300,
      },
      {
        id: "home.example.com A 192.0.2.2",
        name: "home.example.com",
        type: "A",
        value: "192.0.2.2",
        ttl: 300,
      },
    ]);
    expect(setRows("example.com", "AAAA", ["2001:db8::1"], null)[0]).not.toHaveProperty("ttl");
  });
});
