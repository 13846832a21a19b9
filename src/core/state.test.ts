import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyState, parseState, recordKey } from "./state.ts";

const RECORD = {
  provider: "dh",
  name: "home.example.com",
  type: "A",
  published: "81.2.69.142",
  verifiedAt: "2026-01-01T00:00:00.000Z",
  changedAt: null,
  lastRunAt: "2026-01-01T00:00:00.000Z",
  lastResult: "unchanged",
  lastError: null,
  failures: 0,
};

describe("parseState", () => {
  it("reads a valid file without a problem", () => {
    const text = JSON.stringify({
      ...emptyState(),
      records: { [recordKey("dh", RECORD.name, "A")]: RECORD },
    });
    const { state, problem } = parseState(text);
    expect(problem).toBeUndefined();
    expect(state.records["dh/home.example.com/A"]).toEqual(RECORD);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["records is a list", { records: [RECORD] }, '"records" is a list, expected an object'],
    ["records is a string", { records: "oops" }, '"records" is a string, expected an object'],
    ["providers is null", { providers: null }, '"providers" is null, expected an object'],
    ["detection is a number", { detection: 3 }, '"detection" is a number, expected an object'],
    ["history is an object", { history: { 0: {} } }, '"history" is an object, expected a list'],
  ])("reports a container of the wrong type (%s)", (_, fields, expected) => {
    const { state, problem } = parseState(JSON.stringify({ version: 1, ...fields }));
    expect(problem).toBe(expected);
    expect(state).toEqual(emptyState());
  });

  it("drops a detection entry whose sources are not objects with source and verdict", () => {
    const detection = { at: "2026-01-01T00:00:00Z", status: "known", address: "81.2.69.142" };
    const { state, problem } = parseState(
      JSON.stringify({
        version: 1,
        detection: { ipv4: { ...detection, sources: [null] }, ipv6: { ...detection, sources: [] } },
      }),
    );
    expect(problem).toBe("1 damaged entry was dropped");
    expect(state.detection.ipv4).toBeUndefined();
    expect(state.detection.ipv6).toEqual({ ...detection, sources: [] });
  });

  it("keeps ids like __proto__ and constructor as plain keys, never as the prototype", () => {
    const text = `{"version":1,"records":{"__proto__":${JSON.stringify(RECORD)}},"providers":{"constructor":{"backoffUntil":null,"backoffReason":null},"__proto__":{"backoffUntil":"2099-01-01T00:00:00Z","backoffReason":"x"}}}`;
    const { state, problem } = parseState(text);
    expect(problem).toBeUndefined();
    expect(Object.keys(state.records)).toEqual(["__proto__"]);
    expect(Object.keys(state.providers).sort()).toEqual(["__proto__", "constructor"]);
    expect(state.providers.dh).toBeUndefined();
    expect(state.records["dh/home.example.com/A"]).toBeUndefined();
    expect(emptyState().providers.toString).toBeUndefined();
  });

  it("never throws on any JSON value and always returns well-typed containers (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            version: fc.constantFrom(1, 1, 2, "1"),
            records: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
            providers: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
            detection: fc.jsonValue(),
            history: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue())),
          }),
        ),
        (value) => {
          const { state } = parseState(JSON.stringify(value));
          expect(state.version).toBe(1);
          expect(Array.isArray(state.history)).toBe(true);
          for (const container of [state.records, state.providers, state.detection])
            expect(typeof container === "object" && container !== null && !Array.isArray(container)).toBe(
              true,
            );
        },
      ),
      { numRuns: 2000 },
    );
  }, 30_000);
});
