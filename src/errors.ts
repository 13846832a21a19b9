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
   * The service told homing to stop until the user changes something (dyndns2 `badauth`, `nohost`,
   * `abuse`, `badagent`). The engine persists a halt for the provider, keyed to a fingerprint of its
   * config and secrets, and sends nothing to it until that fingerprint changes.
   */
  readonly halt: boolean;

  constructor(
    message: string,
    options: {
      kind: ProviderErrorKind;
      provider: string;
      code?: string;
      retryAfterMs?: number;
      halt?: boolean;
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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
