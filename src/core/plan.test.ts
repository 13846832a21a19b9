import { describe, expect, it } from "vitest";
import { planRecord } from "./plan.ts";
import type { ProviderRecord } from "./records.ts";

const own = (value: string, type = "A"): ProviderRecord => ({
  name: "home.example.com",
  type,
  value,
  owned: true,
});
const managed = (value: string, type = "A"): ProviderRecord => ({
  name: "home.example.com",
  type,
  value,
  owned: false,
});

describe("planRecord", () => {
  it.each<{
    case: string;
    rows: ProviderRecord[];
    desired?: string;
    published?: string;
    expected: Record<string, unknown>;
  }>([
    {
      case: "absent: create",
      rows: [],
      expected: { kind: "change", add: "81.2.69.160", remove: [], previous: undefined },
    },
    { case: "present: keep", rows: [own("81.2.69.160")], expected: { kind: "keep" } },
    {
      case: "stale: add first, then remove the old owned row",
      rows: [own("81.2.69.142")],
      expected: { kind: "change", add: "81.2.69.160", remove: [own("81.2.69.142")], previous: "81.2.69.142" },
    },
    {
      case: "present plus stale duplicates: only remove the stale ones",
      rows: [own("81.2.69.160"), own("81.2.69.1"), own("81.2.69.2")],
      expected: { kind: "change", add: undefined, remove: [own("81.2.69.1"), own("81.2.69.2")] },
    },
    {
      case: "a replaced set: the address homing published is the one reported as replaced",
      rows: [own("192.0.2.7"), own("81.2.69.142")],
      published: "81.2.69.142",
      expected: {
        kind: "change",
        add: "81.2.69.160",
        remove: [own("192.0.2.7"), own("81.2.69.142")],
        previous: "81.2.69.142",
      },
    },
    {
      case: "other types at the name are left alone",
      rows: [own("v=spf1 -all", "TXT"), own("2a00:1450::1", "AAAA")],
      expected: { kind: "change", add: "81.2.69.160", remove: [] },
    },
    {
      case: "a managed row with another value is never removed",
      rows: [managed("81.2.69.10")],
      expected: { kind: "change", add: "81.2.69.160", remove: [] },
    },
    {
      case: "a managed row holding the desired value satisfies it",
      rows: [managed("81.2.69.160")],
      expected: { kind: "keep" },
    },
    {
      case: "IPv6 values compare canonically, removal keeps the provider's exact string",
      desired: "2a00:1450:4001:81b::200e",
      rows: [own("2A00:1450:4001:081B:0:0:0:200E", "AAAA"), own("2a00:1450:4001:81b::1", "AAAA")],
      expected: { kind: "change", add: undefined, remove: [own("2a00:1450:4001:81b::1", "AAAA")] },
    },
  ])("$case", ({ rows, desired, published, expected }) => {
    const type = desired?.includes(":") ? "AAAA" : "A";
    const plan = planRecord({
      name: "home.example.com",
      type,
      desired: desired ?? "81.2.69.160",
      rows,
      published,
    });
    expect(plan).toMatchObject(expected);
  });

  it("blocks a name that holds a CNAME, whatever else is there", () => {
    const plan = planRecord({
      name: "home.example.com",
      type: "A",
      desired: "81.2.69.160",
      rows: [{ name: "home.example.com", type: "CNAME", value: "other.example.net.", owned: true }],
    });
    expect(plan.kind).toBe("blocked");
    expect(plan.kind === "blocked" && plan.reason).toContain('CNAME (alias) for "other.example.net."');
  });

  it("warns about managed rows with other values, naming them and the fix", () => {
    const plan = planRecord({
      name: "home.example.com",
      type: "A",
      desired: "81.2.69.160",
      rows: [managed("81.2.69.10")],
      foreignRowHint: "a DreamHost-managed record (web hosting)",
    });
    expect(plan.warnings).toEqual([
      expect.stringContaining('"81.2.69.10", a DreamHost-managed record (web hosting)'),
    ]);
  });

  it("never plans to remove a row it does not own, for any mix of rows", () => {
    const values = ["81.2.69.1", "81.2.69.2", "81.2.69.160"];
    for (let mask = 0; mask < 64; mask++) {
      const rows = values.flatMap((value, i) => {
        const out: ProviderRecord[] = [];
        if (mask & (1 << (2 * i))) out.push(own(value));
        if (mask & (1 << (2 * i + 1))) out.push(managed(value));
        return out;
      });
      const plan = planRecord({ name: "home.example.com", type: "A", desired: "81.2.69.160", rows });
      if (plan.kind === "change") {
        expect(plan.remove.every((row) => row.owned)).toBe(true);
        expect(plan.remove.some((row) => row.value === "81.2.69.160")).toBe(false);
        const present = rows.some((row) => row.value === "81.2.69.160");
        expect(plan.add).toBe(present ? undefined : "81.2.69.160");
      }
    }
  });
});
