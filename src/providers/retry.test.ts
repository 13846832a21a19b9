import { describe, expect, it } from "vitest";
import { ProviderError } from "../errors.ts";
import { memoryLogger } from "../platform/log.ts";
import { retryAfterMs, retryTransient } from "./retry.ts";

function context() {
  const waits: number[] = [];
  return {
    waits,
    context: {
      logger: memoryLogger(),
      random: () => 0.5,
      sleep: async (ms: number) => {
        waits.push(ms);
      },
    },
  };
}

const transient = () => new ProviderError("down", { kind: "transient", provider: "p" });

describe("retryTransient", () => {
  it("retries transient failures twice with growing, jittered waits, then succeeds", async () => {
    const { waits, context: ctx } = context();
    let calls = 0;
    const value = await retryTransient(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw transient();
        return "done";
      },
      { context: ctx, signal: new AbortController().signal },
    );
    expect(value).toBe("done");
    expect(calls).toBe(3);
    expect(waits).toEqual([750, 1500]);
  });

  it("gives up after the third try with the last error", async () => {
    const { context: ctx } = context();
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw transient();
        },
        { context: ctx, signal: new AbortController().signal },
      ),
    ).rejects.toThrow("down");
    expect(calls).toBe(3);
  });

  it.each(["auth", "rate_limited", "permanent"] as const)("never retries a %s error", async (kind) => {
    const { context: ctx } = context();
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw new ProviderError("no", { kind, provider: "p" });
        },
        { context: ctx, signal: new AbortController().signal },
      ),
    ).rejects.toThrow("no");
    expect(calls).toBe(1);
  });

  it("stops retrying once the caller's signal is aborted (the run's deadline)", async () => {
    const { context: ctx } = context();
    const controller = new AbortController();
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          controller.abort();
          throw transient();
        },
        { context: ctx, signal: controller.signal },
      ),
    ).rejects.toThrow("down");
    expect(calls).toBe(1);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates, at least one second, and nothing else", () => {
    const now = Date.parse("2026-12-07T10:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs(["30", "60"], now)).toBe(30_000);
    expect(retryAfterMs("0", now)).toBe(1000);
    expect(retryAfterMs("Mon, 07 Dec 2026 10:02:00 GMT", now)).toBe(120_000);
    expect(retryAfterMs("Mon, 07 Dec 2026 09:00:00 GMT", now)).toBe(1000);
    for (const bad of [undefined, "", "  ", "-5", "1.5", "soon", []])
      expect(retryAfterMs(bad, now)).toBeUndefined();
  });
});
