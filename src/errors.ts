import type { ProviderRecord } from "./core/records.ts";

/** Bad or missing configuration: exit code 2, nothing was attempted. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: string[];

  constructor(problems: string[], options?: { cause?: unknown }) {
    super(
      problems.length === 1
        ? (problems[0] as string)
        : `${problems.length} problems:\n  ${problems.join("\n  ")}`,
      options,
    );
    this.problems = problems;
  }
}

/** A wrong command line: exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Another run holds the lock: exit code 75 (EX_TEMPFAIL). */
export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
}

export type ProviderErrorKind = "auth" | "rate_limited" | "transient" | "permanent";

/** What a halt covers: the whole account, or one hostname (ProviderError.halt). */
export type HaltScope = "account" | "name";

/**
 * A provider call failed. `kind` drives the retry policy: auth and permanent are never retried,
 * rate_limited is persisted as a back-off, transient is retried within the run's deadline.
 * Messages say what to do and never contain a secret.
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  /**
   * The service told homing to stop until the user changes something. `account` (dyndns2 `badauth`,
   * `abuse`, `badagent`): the engine halts the whole provider, keyed to a fingerprint of its config
   * and secrets. `name` (`nohost`, `notfqdn`, `!yours`): only that hostname halts, keyed to the
   * provider's fingerprint plus the record's own config, so fixing the record lifts it. Nothing is
   * sent for what is halted until its fingerprint changes.
   */
  readonly halt: HaltScope | false;

  constructor(
    message: string,
    options: {
      kind: ProviderErrorKind;
      provider: string;
      code?: string;
      retryAfterMs?: number;
      halt?: HaltScope | false;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.provider = options.provider;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
    this.halt = options.halt ?? false;
  }
}

/** Whether an error stops every further request to the account in this run (and never one name's). */
export function isAccountWide(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    (error.halt === "account" || error.kind === "auth" || error.kind === "rate_limited")
  );
}

/**
 * A list that read some names but not others (a zone the token cannot see, a refused query): `rows`
 * holds what it read, `failed` why each other name failed. The engine fails only those names'
 * records, so one name's problem never blocks another.
 */
export class PartialListError extends Error {
  override readonly name = "PartialListError";
  readonly rows: ProviderRecord[];
  readonly failed: ReadonlyMap<string, unknown>;

  /**
   * What a list should throw after `failed` of its `total` names failed: when every name failed for
   * the same reason (one zone lookup refused for all), that error itself, so auth and other account-level
   * answers stay what they are; otherwise a PartialListError.
   */
  static of(rows: ProviderRecord[], failed: ReadonlyMap<string, unknown>, total: number): Error {
    const errors = [...failed.values()];
    const first = errors[0];
    const same = errors.every((error) => errorMessage(error) === errorMessage(first));
    if (failed.size === total && same && first instanceof Error) return first;
    return new PartialListError(rows, failed);
  }

  constructor(rows: ProviderRecord[], failed: ReadonlyMap<string, unknown>) {
    const [name, error] = [...failed][0] ?? ["", undefined];
    super(`could not list ${failed.size === 1 ? name : `${failed.size} names`}: ${errorMessage(error)}`);
    this.rows = rows;
    this.failed = failed;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
