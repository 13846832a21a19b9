/**
 * Failed-login limits of the router bridge, per client user and per source address: at most
 * `limit` failures in `windowMs`. An attempt is charged before its password check and refunded on
 * success, so a burst of parallel bad logins is bounded too. Pure: the clock is passed in.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(options: { limit: number; windowMs: number; maxKeys?: number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  #recent(key: string, now: number): number[] {
    const times = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }

  /** True when `key` has used up its failures in the window. */
  blocked(key: string, now: number): boolean {
    return this.#recent(key, now).length >= this.#limit;
  }

  /** Counts one failure (or one attempt in flight) for `key`. */
  charge(key: string, now: number): void {
    if (!this.#failures.has(key) && this.#failures.size >= this.#maxKeys) {
      // Under a flood of distinct keys, drop the oldest entry rather than grow without bound.
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    const times = this.#recent(key, now);
    times.push(now);
    this.#failures.set(key, times);
  }

  /** Takes back one charge (the attempt succeeded). */
  refund(key: string): void {
    const times = this.#failures.get(key);
    if (!times) return;
    times.pop();
    if (times.length === 0) this.#failures.delete(key);
  }
}
