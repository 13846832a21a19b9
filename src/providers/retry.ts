import { ProviderError } from "../errors.ts";
import { HttpRequestError } from "../http/request.ts";
import type { ProviderContext } from "./provider.ts";

/** Tries per logical operation: the first one and two retries. */
export const ATTEMPTS = 3;

/**
 * Runs one logical provider operation, retrying it while it fails with a transient ProviderError:
 * after a jittered back-off (0.5–1 s, then 1–2 s), and only inside the caller's signal, so the run's
 * deadline bounds every retry. Any other error, and the last transient one, propagates. `once` gets
 * the attempt number (1-based), e.g. to tell a replayed idempotency token from a first try.
 */
export async function retryTransient<T>(
  once: (attempt: number) => Promise<T>,
  options: { context: Pick<ProviderContext, "sleep" | "random" | "logger">; signal: AbortSignal },
): Promise<T> {
  const { context, signal } = options;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) {
      const base = 500 * 2 ** (attempt - 2);
      await context.sleep(base + Math.floor(context.random() * base), signal);
    }
    try {
      return await once(attempt);
    } catch (error) {
      const retryable = error instanceof ProviderError && error.kind === "transient" && !signal.aborted;
      if (!retryable || attempt >= ATTEMPTS) throw error;
      context.logger.debug(`${error.message} (attempt ${attempt} of ${ATTEMPTS})`);
    }
  }
}

/**
 * Retry-After, the one parser every provider uses: delta-seconds or an HTTP date, at least one
 * second; undefined when absent or unusable (the caller then uses the service's documented default).
 */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.max(1000, Number(text) * 1000);
  // An HTTP date starts with the day's name; Date.parse alone would take "1.5" or "-5" for dates.
  const at = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isFinite(at) ? Math.max(1000, at - now) : undefined;
}

/**
 * A request that got no reply, for a provider's message: what went wrong, and whether retrying
 * within the run can help. A refused certificate (a proxy intercepting HTTPS, an untrusted CA, the
 * clock) or TLS spoken to a plain-HTTP port will not change in seconds, so it is not retried; the
 * next run tries again. Refused connections, resets and timeouts are transient.
 */
export function exchangeFailure(error: unknown): { why: string; kind: "transient" | "permanent" } {
  if (error instanceof HttpRequestError)
    return { why: error.message, kind: error.tls ? "permanent" : "transient" };
  return { why: String(error), kind: "transient" };
}
