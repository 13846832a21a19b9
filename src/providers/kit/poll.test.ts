import { describe, expect, it } from "vitest";
import { untilSettled } from "./poll.ts";

describe("untilSettled", () => {
  const signal = new AbortController().signal;

  it("returns a settled state without asking again", async () => {
    const pauses: number[] = [];
    const state = await untilSettled("success", {
      settled: (s) => s !== "running",
      check: async () => "never",
      sleep: async (ms) => {
        pauses.push(ms);
      },
      signal,
    });
    expect(state).toBe("success");
    expect(pauses).toEqual([]);
  });

  it("asks again with doubling pauses, capped, until the state settles", async () => {
    const pauses: number[] = [];
    const states = ["running", "running", "running", "running", "error"];
    const state = await untilSettled("running", {
      settled: (s) => s !== "running",
      check: async () => states.shift() ?? "error",
      sleep: async (ms) => {
        pauses.push(ms);
      },
      signal,
      firstMs: 100,
      maxMs: 300,
    });
    expect(state).toBe("error");
    expect(pauses).toEqual([100, 200, 300, 300, 300]);
  });

  it("ends with the deadline: a sleep that rejects on abort stops the wait", async () => {
    const controller = new AbortController();
    controller.abort(new Error("deadline"));
    const waiting = untilSettled("running", {
      settled: () => false,
      check: async (s) => s,
      sleep: async (_ms, s) => {
        if (s.aborted) throw s.reason;
      },
      signal: controller.signal,
    });
    await expect(waiting).rejects.toThrow("deadline");
  });
});
