import { redact, redactDeep } from "../core/secret.ts";

export type LogLevel = "debug" | "info" | "notice" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, notice: 30, warn: 40, error: 50 };

export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  notice(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** Registers secret values: they are replaced in every line from now on, at every level. */
  addSecret(value: string): void;
  /** Every known secret, so report writers can apply the same redaction. */
  secrets(): readonly string[];
}

export interface LoggerOptions {
  level: LogLevel;
  format: "text" | "json";
  write: (line: string) => void;
  now?: () => Date;
}

const PREFIX: Record<LogLevel, string> = {
  debug: "debug: ",
  info: "",
  notice: "",
  warn: "warning: ",
  error: "error: ",
};

/**
 * Writes to one sink (stderr in the CLI). Text lines are plain sentences; JSON lines carry
 * time, level, msg and fields. The message and fields are redacted before they are encoded, and the
 * whole line once more last, so no code path can print a registered secret, whatever it logs.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secretValues: string[] = [];
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, rawMessage: string, rawFields?: Fields) => {
    if (RANK[level] < RANK[options.level]) return;
    // Redact before encoding too: a JSON line escapes the message once more, so a secret already
    // escaped twice in a quoted reply would come out in a form the line-level pass does not know.
    const message = redact(rawMessage, secretValues);
    const fields = rawFields && redactDeep(rawFields, secretValues);
    let line: string;
    if (options.format === "json") {
      line = JSON.stringify({ time: now().toISOString(), level, msg: message, ...fields });
    } else {
      const extra = fields
        ? Object.entries(fields)
            .filter(([, value]) => value !== undefined)
            .map(([key, value]) => `${key}=${value}`)
            .join(" ")
        : "";
      line = `${PREFIX[level]}${message}${extra ? ` (${extra})` : ""}`;
    }
    options.write(`${redact(line, secretValues)}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    notice: (m, f) => emit("notice", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    addSecret(value) {
      if (value && !secretValues.includes(value)) secretValues.push(value);
    },
    secrets: () => secretValues,
  };
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(level: LogLevel = "debug"): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, format: "text", write: (line) => lines.push(line.trimEnd()) });
  return Object.assign(logger, { lines });
}
