/**
 * The delivery policy shared by notifications and heartbeats: a failed send is retried a little
 * (2 retries, jittered back-off of about 1 s then 2 s), only when another try can help (network
 * trouble, a timeout, HTTP 5xx/429/408, an SMTP 4xx reply; never a refused certificate), then given
 * up and reported.
 */
import { HttpRequestError } from "../http/request.ts";

/** A send that reached the target and was refused, or could not be attempted. */
export class NotifySendError extends Error {
  override readonly name = "NotifySendError";
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof NotifySendError) return error.retryable;
  if (error instanceof HttpRequestError)
    return !error.tls && (error.kind === "timeout" || error.kind === "network");
  return false;
}

export type Sleep = (ms: number) => Promise<void>;

/** A timer that does not keep the process alive (a shutdown never waits for a back-off). */
export const defaultSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export interface RetryPolicy {
  /** Extra attempts after the first (default 2). */
  retries?: number;
  /** First back-off in ms before jitter (default 1000); doubles each retry. */
  baseDelayMs?: number;
  sleep?: Sleep;
  /** [0, 1) source for the jitter (default Math.random). */
  random?: () => number;
}

export type RetryResult = { ok: true; attempts: number } | { ok: false; attempts: number; error: unknown };

/** Delay before retry number `retry` (1-based): base · 2^(retry-1) · [0.5, 1.5). */
export function backoffDelay(retry: number, baseDelayMs: number, random: () => number): number {
  return Math.round(baseDelayMs * 2 ** (retry - 1) * (0.5 + random()));
}

/** Runs `attempt` until it succeeds, fails for good, or the retries are used up. Never throws. */
export async function withRetries(
  attempt: (attemptNumber: number) => Promise<void>,
  policy: RetryPolicy = {},
): Promise<RetryResult> {
  const retries = policy.retries ?? 2;
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  for (let number = 1; ; number++) {
    try {
      await attempt(number);
      return { ok: true, attempts: number };
    } catch (error) {
      if (number > retries || !isRetryable(error)) return { ok: false, attempts: number, error };
      await sleep(backoffDelay(number, policy.baseDelayMs ?? 1000, random));
    }
  }
}
