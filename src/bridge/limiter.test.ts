import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./limiter.ts";

describe("FailureLimiter", () => {
  it("blocks after the limit within the window, and forgets after it", () => {
    const limiter = new FailureLimiter({ limit: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) limiter.charge("a", 0);
    expect(limiter.blocked("a", 10)).toBe(true);
    expect(limiter.blocked("b", 10)).toBe(false);
    expect(limiter.blocked("a", 1001)).toBe(false);
  });

  it("refunds a successful attempt and bounds its memory", () => {
    const limiter = new FailureLimiter({ limit: 1, windowMs: 1000, maxKeys: 2 });
    limiter.charge("a", 0);
    limiter.refund("a");
    expect(limiter.blocked("a", 0)).toBe(false);
    limiter.charge("x", 0);
    limiter.charge("y", 0);
    limiter.charge("z", 0);
    expect(limiter.blocked("x", 0)).toBe(false);
    expect(limiter.blocked("z", 0)).toBe(true);
  });
});
