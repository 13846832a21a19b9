import { ProviderError } from "../errors.ts";
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
