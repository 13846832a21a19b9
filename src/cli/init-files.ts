/**
 * The files `homing init` writes: the config (mode 0600) and, from the interactive questions, one
 * file per typed secret (0600) in `homing-secrets/` (0700) beside it. Each is created whole and never
 * over an existing file (src/platform/new-file.ts); a secret file replaces an old one only when the
 * user said so. When the config cannot be written, the secret files this run created are removed.
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, errorMessage } from "../errors.ts";
import { writeNewFile } from "../platform/new-file.ts";
import type { SecretAnswer } from "./init-wizard.ts";

/** Refuses an existing config, or one whose directory is missing: before any question is asked. */
export function refuseExisting(target: string): void {
  if (existsSync(target))
    throw new ConfigError([
      `${target} already exists; homing init never overwrites a config (pick another FILE)`,
    ]);
  if (!existsSync(dirname(target)))
    throw new ConfigError([`cannot write ${target}: the directory ${dirname(target)} does not exist`]);
}

export function writeConfigFile(target: string, text: string): void {
  try {
    writeNewFile(target, text, { mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") refuseExisting(target);
    throw new ConfigError([`cannot write ${target}: ${errorMessage(error)}`]);
  }
}

/** Writes the typed secrets, then the config; returns every path written, in order. */
export function writeInitFiles(options: {
  target: string;
  text: string;
  secretsDir: string;
  secrets: readonly SecretAnswer[];
  warn: (line: string) => void;
}): string[] {
  const { secretsDir } = options;
  const typed = options.secrets.filter((secret) => secret.value !== undefined);
  const created: string[] = [];
  const written: string[] = [];
  try {
    if (typed.length && !existsSync(secretsDir)) mkdirSync(secretsDir, { mode: 0o700 });
    else if (typed.length && (statSync(secretsDir).mode & 0o077) !== 0)
      options.warn(`${secretsDir} can be listed by other users; chmod 700 ${secretsDir}`);
    for (const secret of typed) {
      writeNewFile(secret.path, `${secret.value}\n`, { mode: 0o600, replace: secret.replace === true });
      if (secret.replace !== true) created.push(secret.path);
      written.push(secret.path);
    }
  } catch (error) {
    for (const path of created) rmSync(path, { force: true });
    const exists = (error as NodeJS.ErrnoException).code === "EEXIST";
    throw new ConfigError([
      `cannot write the secret files in ${secretsDir}: ${exists ? "a file appeared there meanwhile; run homing init again" : errorMessage(error)}`,
    ]);
  }
  try {
    writeConfigFile(options.target, options.text);
  } catch (error) {
    for (const path of created) rmSync(path, { force: true });
    throw error;
  }
  return [...written, options.target];
}
