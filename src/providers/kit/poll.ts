/**
 * Waits for a change a service carries out asynchronously (Hetzner Cloud actions, and the like):
 * asks again with a growing pause until the state has settled, bounded only by the call's signal
 * (its deadline), so a change that never ends fails with the deadline, never hangs a run.
 */
import type { ProviderContext } from "../provider.ts";

export interface PollOptions<T> {
  /** True once the state has ended (success or failure alike). */
  settled(state: T): boolean;
  /** Asks the service for the state again. */
  check(state: T, signal: AbortSignal): Promise<T>;
  sleep: ProviderContext["sleep"];
  signal: AbortSignal;
  /** The first pause (default 250 ms); each next one doubles, up to `maxMs` (default 2 s). */
  firstMs?: number;
  maxMs?: number;
}

export async function untilSettled<T>(first: T, options: PollOptions<T>): Promise<T> {
  let state = first;
  let wait = options.firstMs ?? 250;
  while (!options.settled(state)) {
    await options.sleep(wait, options.signal);
    state = await options.check(state, options.signal);
    wait = Math.min(wait * 2, options.maxMs ?? 2000);
  }
  return state;
}
