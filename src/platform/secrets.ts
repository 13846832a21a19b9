import { statSync } from "node:fs";
import { Secret } from "../core/secret.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "./log.ts";
import { readConfiguredFile } from "./read-file.ts";

/** Warns when a file holding a secret can be read by other users. */
export async function warnIfExposed(path: string, what: string, logger: Logger): Promise<void> {
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      logger.warn(
        `${what} ${path} is readable by ${mode & 0o007 ? "every user" : "its group"} (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 600 ${path}`,
      );
    }
  } catch {
    // Unreadable files are reported by the read itself.
  }
}

/**
 * Reads a secret file (a regular file of at most 64 KiB, see read-file.ts): trims one trailing
 * newline and refuses shapes that are clearly a mistake.
 */
export async function readSecretFile(path: string, label: string, logger: Logger): Promise<Secret> {
  const text = readConfiguredFile(path, { key: label, what: "secret file" });
  await warnIfExposed(path, "secret file", logger);
  const value = text.replace(/\r?\n$/, "");
  checkSecretShape(value, `${label} (file ${path})`);
  return new Secret(value, `file ${path}`);
}

/** Catches the usual copy-paste mistakes without ever echoing the value. */
export function checkSecretShape(value: string, label: string): void {
  if (value.trim() === "") throw new ConfigError([`${label}: the secret is empty`]);
  if (/^[A-Z_][A-Z0-9_]*=/.test(value)) {
    throw new ConfigError([`${label}: the secret looks like "NAME=value"; put only the value in it`]);
  }
  if (/^(["']).*\1$/s.test(value))
    throw new ConfigError([`${label}: the secret is wrapped in quotes; remove them`]);
  if (/[\r\n]/.test(value))
    throw new ConfigError([`${label}: the secret spans several lines; it must be one line`]);
}
