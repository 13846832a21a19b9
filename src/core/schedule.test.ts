import { describe, expect, it } from "vitest";
import { nextScheduledAt, retryDelay } from "./schedule.ts";

const at = (iso: string) => new Date(`2026-11-20T${iso}Z`);

describe("nextScheduledAt", () => {
  it.each([
    { case: "counts from the previous start", last: "10:00:00", now: "10:00:20", want: "10:05:00" },
    {
      case: "a round that overran starts at once, once",
      last: "10:00:00",
      now: "10:07:00",
      want: "10:07:00",
    },
  ])("$case", ({ last, now, want }) => {
    const next = nextScheduledAt(
      { kind: "every", ms: 300_000 },
      { lastStart: at(last), now: at(now), jitterMs: 0 },
    );
    expect(next.toISOString()).toBe(at(want).toISOString());
  });

  it("adds the jitter", () => {
    const next = nextScheduledAt(
      { kind: "every", ms: 60_000 },
      { lastStart: at("10:00:00"), now: at("10:00:01"), jitterMs: 7000 },
    );
    expect(next.toISOString()).toBe(at("10:01:07").toISOString());
  });

  it("asks a cron schedule from now", () => {
    const seen: Date[] = [];
    const next = nextScheduledAt(
      {
        kind: "cron",
        expression: "*/5 * * * *",
        next: (from) => {
          seen.push(from);
          return at("10:05:00");
        },
      },
      { lastStart: at("10:00:00"), now: at("10:02:30"), jitterMs: 0 },
    );
    expect(seen).toEqual([at("10:02:30")]);
    expect(next.toISOString()).toBe(at("10:05:00").toISOString());
  });
});

describe("retryDelay", () => {
  it.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [6, 960_000],
    [7, 1_800_000],
    [8, 1_800_000],
    [100, 1_800_000],
  ])("after %i failures waits %i ms (cap 30 min)", (failures, want) => {
    expect(retryDelay(failures, { maxMs: 1_800_000 })).toBe(want);
  });
});
