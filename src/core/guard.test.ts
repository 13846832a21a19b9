import { describe, expect, it } from "vitest";
import { type GuardInput, guardUpdate } from "./plan.ts";

const NOW = Date.parse("2026-05-01T12:00:00Z");
const HOUR = 3_600_000;
const X = "81.2.69.142";
const Y = "81.2.69.160";

function input(overrides: Partial<GuardInput>): GuardInput {
  return {
    name: "home.example.com",
    type: "A",
    desired: X,
    resolved: [],
    accepted: undefined,
    now: NOW,
    refreshAfterMs: 24 * HOUR,
    ...overrides,
  };
}

const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();

describe("guardUpdate (providers that cannot list)", () => {
  it.each<{ case: string; given: Partial<GuardInput>; expected: Record<string, unknown> }>([
    {
      case: "accepted == desired, DNS agrees: keep, verified by DNS",
      given: { accepted: { address: X, at: at(2) }, resolved: [X] },
      expected: { kind: "keep", fromState: false },
    },
    {
      case: "accepted == desired, lookup failed: keep from the state",
      given: { accepted: { address: X, at: at(2) }, resolved: undefined },
      expected: { kind: "keep", fromState: true },
    },
    {
      case: "accepted == desired, DNS lags: keep, with a note",
      given: { accepted: { address: X, at: at(2) }, resolved: [Y] },
      expected: { kind: "keep", fromState: true, note: expect.stringMatching(/DNS caches lag/) },
    },
    {
      case: "accepted == desired, DNS still disagrees a day later: one forced refresh",
      given: { accepted: { address: X, at: at(25) }, resolved: [Y] },
      expected: { kind: "send", previous: Y, note: expect.stringMatching(/forced refresh/) },
    },
    {
      case: "accepted == desired but no time known: refresh once",
      given: { accepted: { address: X, at: null }, resolved: [] },
      expected: { kind: "send", previous: undefined, note: expect.stringMatching(/an unknown time/) },
    },
    {
      case: "accepted != desired: send, even when DNS already shows the desired address (it may be cached)",
      given: { accepted: { address: Y, at: at(1) }, resolved: [X] },
      expected: { kind: "send", previous: Y },
    },
    {
      case: "no state, DNS shows the desired address: keep, verified by DNS",
      given: { resolved: [X] },
      expected: { kind: "keep", fromState: false },
    },
    {
      case: "no state, DNS shows another address: send, replacing it",
      given: { resolved: [Y] },
      expected: { kind: "send", previous: Y },
    },
    {
      case: "no state, no address in DNS: send (create)",
      given: { resolved: [] },
      expected: { kind: "send", previous: undefined },
    },
    {
      case: "no state, lookup failed: send",
      given: { resolved: undefined },
      expected: { kind: "send", previous: undefined },
    },
    {
      case: "IPv6 compared canonically",
      given: {
        type: "AAAA",
        desired: "2a00:1450:4001:81b::200e",
        accepted: { address: "2A00:1450:4001:081B:0:0:0:200E", at: at(1) },
        resolved: ["2a00:1450:4001:81b::200e"],
      },
      expected: { kind: "keep", fromState: false },
    },
  ])("$case", ({ given, expected }) => {
    expect(guardUpdate(input(given))).toEqual(expected);
  });
});
