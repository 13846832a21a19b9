/**
 * When rounds run. Pure: the daemon passes the clock in. A cron schedule is represented by its
 * `next` function (evaluated by croner, loaded only when a cron expression is configured).
 */
export type Schedule =
  | { kind: "every"; ms: number }
  | { kind: "cron"; expression: string; next: (from: Date) => Date | null };

/**
 * The start of the next scheduled round. Interval schedules count from the start of the previous
 * round, so a slow round does not push every later one; a round that overran its slot starts at
 * once, never twice.
 */
export function nextScheduledAt(
  schedule: Schedule,
  options: { lastStart: Date; now: Date; jitterMs: number },
): Date {
  const { lastStart, now, jitterMs } = options;
  let next: Date;
  if (schedule.kind === "every") {
    next = new Date(Math.max(lastStart.getTime() + schedule.ms, now.getTime()));
  } else {
    next = schedule.next(now) ?? new Date(now.getTime() + 3_600_000);
  }
  return new Date(next.getTime() + jitterMs);
}

/** First retry after 30 s, then doubling, capped at `maxMs`: 30 s, 1 m, 2 m, 4 m, … */
export function retryDelay(consecutiveFailures: number, options: { baseMs?: number; maxMs: number }): number {
  const base = options.baseMs ?? 30_000;
  const exponent = Math.max(0, Math.min(consecutiveFailures - 1, 30));
  return Math.min(base * 2 ** exponent, options.maxMs);
}
