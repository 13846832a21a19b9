import { describe, expect, it } from "vitest";
import { emptyState, type RecordState } from "../core/state.ts";
import type { Target } from "../core/targets.ts";
import { cacheHit, decisionLine } from "./decision.ts";
import { cacheVerdict } from "./freshness.ts";

const NOW = new Date("2026-05-01T12:00:00Z");
const HOUR = 3_600_000;
const target: Target = {
  providerId: "cf",
  name: "home.example.com",
  type: "A",
  family: "ipv4",
  key: "cf/home.example.com/A",
  recordIndex: 0,
  record: { name: "home.example.com", provider: "cf" },
};
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

function stateWith(record: Partial<RecordState> | undefined, halted = false) {
  const state = emptyState();
  if (record) {
    state.records[target.key] = {
      provider: "cf",
      name: target.name,
      type: "A",
      published: "81.2.69.142",
      verifiedAt: minutesAgo(4),
      changedAt: null,
      lastRunAt: minutesAgo(4),
      lastResult: "unchanged",
      lastError: null,
      failures: 0,
      ...record,
    };
  }
  if (halted)
    state.providers.cf = { halted: { at: minutesAgo(10), reason: "bad key", fingerprint: "x" } } as never;
  return state;
}

describe("cacheVerdict: when the state file answers, and why not", () => {
  const cases: Array<[string, ReturnType<typeof stateWith>, string | undefined]> = [
    ["verified 4m ago, same address", stateWith({}), undefined],
    ["no entry", stateWith(undefined), "no earlier run in the state file"],
    ["last round failed", stateWith({ lastResult: "failed" }), "the last round failed"],
    [
      "another address",
      stateWith({ published: "81.2.69.160" }),
      "the cached 81.2.69.160 differs from the detected 81.2.69.142",
    ],
    ["nothing published", stateWith({ published: null }), "no address published yet"],
    ["never verified", stateWith({ verifiedAt: null }), "never verified at the provider"],
    [
      "verified too long ago",
      stateWith({ verifiedAt: minutesAgo(90) }),
      "last verified 90m ago, recheck is every 60m",
    ],
    ["a halted provider", stateWith({}, true), "the provider is halted"],
  ];
  for (const [label, state, why] of cases) {
    it(label, () => {
      const verdict = cacheVerdict(state, target, { desired: "81.2.69.142", now: NOW, recheckMs: HOUR });
      expect(verdict.fresh ? undefined : verdict.why).toBe(why);
    });
  }

  it("a hit says the address, its age and when the provider is asked next", () => {
    const steps = cacheHit("81.2.69.142", { verifiedAt: minutesAgo(4), now: NOW, recheckMs: HOUR });
    const line = decisionLine({
      provider: "cf",
      name: target.name,
      type: "A",
      status: "unchanged",
      warnings: [],
      decision: steps,
    });
    expect(line).toBe(
      "home.example.com A (cf): cached 81.2.69.142 from 4m ago matches the detected address; provider not asked (next check in 56m, or now with --force)",
    );
  });
});
