const REDACTED = "[redacted]";

/**
 * A credential. It prints as "[redacted]" everywhere (string conversion, JSON, util.inspect), so a
 * secret that slips into a log line or a report still does not leak; only `reveal()` gives the value,
 * and only provider clients call it, at the moment they build a request.
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from, for messages: "file /etc/homing/dh.key", "environment HOMING_…". */
  readonly origin: string;

  constructor(value: string, origin: string) {
    this.#value = value;
    this.origin = origin;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

/**
 * Replaces every occurrence of the known secret values in `text`. The logger and every report writer
 * run their output through this, as a second line of defence behind the Secret type.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}
