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
 * The text of a file that holds secrets (a regular file of at most 64 KiB, see read-file.ts), with a
 * warning when other users can read it. `key` is the config key that named it, `what` what it is
 * ("secret file", "key file"), `warnAs` how the warning names it when that says more. The caller
 * registers the secrets in it with the logger.
 */
export async function readSecretText(
  path: string,
  options: { key: string; what: string; logger: Logger; warnAs?: string },
): Promise<string> {
  const text = readConfiguredFile(path, { key: options.key, what: options.what });
  await warnIfExposed(path, options.warnAs ?? options.what, options.logger);
  return text;
}

/**
 * Reads a secret file (a regular file of at most 64 KiB, see read-file.ts): trims one trailing
 * newline and refuses shapes that are clearly a mistake.
 */
export async function readSecretFile(path: string, label: string, logger: Logger): Promise<Secret> {
  const text = await readSecretText(path, { key: label, what: "secret file", logger });
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

/** Where secrets of the config come from: the config file (for its mode) and the environment. */
export interface SecretSource {
  /** The config file, when there is one (an inline secret in it warns on loose permissions). */
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** `HOMING_PROVIDERS_DH_API_KEY` for `providers.dh.api_key`: the variable config/env.ts maps to the key. */
export function secretEnvName(path: readonly string[], key: string): string {
  return `HOMING_${[...path, key].join("_").toUpperCase().replace(/-/g, "_")}`;
}

/**
 * Resolves the secret `<key>` of a config table (`providers.dh`, `status`): the inline value (from
 * the file or the environment), or `<key>_file`. Undefined when neither is set. The value is
 * registered with the logger's redaction.
 */
export async function optionalSecret(
  path: readonly string[],
  table: Readonly<Record<string, unknown>>,
  key: string,
  source: SecretSource,
): Promise<Secret | undefined> {
  const label = path.join(".");
  const envName = secretEnvName(path, key);
  const inline = table[key];
  const file = table[`${key}_file`];
  let secret: Secret | undefined;
  if (typeof file === "string") secret = await readSecretFile(file, `${label}.${key}_file`, source.logger);
  else if (typeof inline === "string") {
    const fromEnv = source.env[envName] === inline;
    checkSecretShape(inline, `${label}.${key}`);
    if (!fromEnv && source.configFile)
      await warnIfExposed(source.configFile, "config file (it holds a secret)", source.logger);
    secret = new Secret(inline, fromEnv ? `environment variable ${envName}` : `${source.configFile}`);
  }
  if (secret) source.logger.addSecret(secret.reveal());
  return secret;
}

/** The secret `<key>` of provider `id`, or a ConfigError that says where to put it. */
export async function providerSecret(
  id: string,
  table: Readonly<Record<string, unknown>>,
  key: string,
  source: SecretSource,
): Promise<Secret> {
  const secret = await optionalSecret(["providers", id], table, key, source);
  if (secret) return secret;
  throw new ConfigError([
    `providers.${id}: no ${key}: put it in a file only you can read and set ${key}_file = "/etc/homing/${id}.key", or set the environment variable ${secretEnvName(["providers", id], key)}`,
  ]);
}
