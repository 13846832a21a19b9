/**
 * Builds the notification and heartbeat observers from the config. Every URL (and every token,
 * password or long path part in it) is registered with the logger as a secret before anything
 * else happens, so no log line can print one, whatever goes wrong later.
 */
import type { Config } from "../config/schema.ts";
import { parseDuration } from "../core/duration.ts";
import type { RoundObserver } from "../engine/observer.ts";
import { ConfigError, errorMessage } from "../errors.ts";
import type { Logger } from "../platform/log.ts";
import { readConfiguredFile } from "../platform/read-file.ts";
import { warnIfExposed } from "../platform/secrets.ts";
import { describeBadHeartbeatUrl, Heartbeat, heartbeatSecrets } from "./heartbeat.ts";
import { Notifier } from "./notifier.ts";
import type { Sleep } from "./retry.ts";
import type { SenderConfig } from "./senders.ts";
import { type NotifyTarget, NotifyUrlError, parseNotifyUrl } from "./urls.ts";

export { Heartbeat } from "./heartbeat.ts";
export { Notifier } from "./notifier.ts";

export interface NotifyLoadOptions {
  logger: Logger;
  /** Reads notify.urls_file (default: a regular file of at most 64 KiB, as UTF-8). */
  readFile?: (path: string) => string;
}

export interface BuildObserversOptions extends NotifyLoadOptions {
  /** Endpoint bases of the hosted services, for tests (see senders.ts). */
  senderConfig?: SenderConfig;
  sleep?: Sleep;
  /** Shown in the start/stop messages (default: os.hostname()). */
  hostname?: string;
}

function readUrlsFile(path: string, options: NotifyLoadOptions): string {
  if (!options.readFile) return readConfiguredFile(path, { key: "notify.urls_file", what: "URL file" });
  try {
    return options.readFile(path);
  } catch (error) {
    throw new ConfigError([`notify.urls_file: cannot read ${path}: ${errorMessage(error)}`]);
  }
}

/**
 * Every notification target of the config: notify.urls, then notify.urls_file (one URL per line,
 * blank lines and # comments skipped). Throws ConfigError listing every bad URL by position,
 * never by content.
 */
export function loadNotifyTargets(config: Config, options: NotifyLoadOptions): NotifyTarget[] {
  const { logger } = options;
  const entries = config.notify.urls.map((url, index) => ({ url, where: `notify.urls[${index}]` }));
  const file = config.notify.urls_file;
  if (file) {
    const text = readUrlsFile(file, options);
    void warnIfExposed(file, "notification URL file", logger);
    text.split(/\r?\n/).forEach((line, index) => {
      const url = line.trim();
      if (url && !url.startsWith("#"))
        entries.push({ url, where: `notify.urls_file ${file} line ${index + 1}` });
    });
  }
  // Secrets first: nothing below may print a URL, but a registered one cannot be printed at all.
  for (const entry of entries) logger.addSecret(entry.url.trim());
  const problems: string[] = [];
  const parsed: Array<{ target: NotifyTarget; where: string }> = [];
  for (const entry of entries) {
    try {
      const target = parseNotifyUrl(entry.url);
      for (const secret of target.secrets) logger.addSecret(secret);
      for (const note of target.notes) logger.warn(`${entry.where}: ${note}`);
      parsed.push({ target, where: entry.where });
    } catch (error) {
      if (!(error instanceof NotifyUrlError)) throw error;
      problems.push(`${entry.where}: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Two targets with the same label (two ntfy topics on ntfy.sh) are told apart by where they came from.
  return parsed.map(({ target, where }) =>
    parsed.filter((other) => other.target.label === target.label).length > 1
      ? { ...target, label: `${target.label} (${where})` }
      : target,
  );
}

/** What [notify] and [heartbeat] configure, checked: the targets, the heartbeat URLs, the deadline. */
export interface NotifySetup {
  targets: NotifyTarget[];
  heartbeats: { healthchecks: string | undefined; uptimeKuma: string | undefined };
  /** Deadline of each attempt (notify.timeout). */
  timeoutMs: number;
}

/**
 * Reads and checks every notification target and heartbeat URL, registering their secrets with the
 * logger first. Throws one ConfigError listing every bad URL. The daemon's observers and
 * `homing notify --test` both start here.
 */
export function loadNotifySetup(config: Config, options: NotifyLoadOptions): NotifySetup {
  const { logger } = options;
  const heartbeats = {
    healthchecks: config.heartbeat.healthchecks || undefined,
    uptimeKuma: config.heartbeat.uptime_kuma || undefined,
  };
  const problems: string[] = [];
  for (const [key, url] of [
    ["healthchecks", heartbeats.healthchecks],
    ["uptime_kuma", heartbeats.uptimeKuma],
  ] as const) {
    if (!url) continue;
    for (const secret of heartbeatSecrets(url)) logger.addSecret(secret);
    const problem = describeBadHeartbeatUrl(url);
    if (problem) problems.push(`heartbeat.${key}: ${problem}`);
  }
  let targets: NotifyTarget[] = [];
  try {
    targets = loadNotifyTargets(config, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { targets, heartbeats, timeoutMs: parseDuration(config.notify.timeout) ?? 10_000 };
}

/**
 * The observers the daemon should run for this config: a Notifier when there is a notification
 * URL, a Heartbeat when a heartbeat URL is set. Throws ConfigError for a bad URL.
 */
export function buildObservers(config: Config, options: BuildObserversOptions): RoundObserver[] {
  const { logger } = options;
  const observers: RoundObserver[] = [];
  const { targets, heartbeats, timeoutMs } = loadNotifySetup(config, options);

  if (targets.length > 0) {
    observers.push(
      new Notifier({
        targets,
        failureThreshold: config.notify.failure_threshold,
        startStop: config.notify.start_stop,
        timeoutMs,
        logger,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(options.senderConfig ? { senderConfig: options.senderConfig } : {}),
        ...(options.hostname ? { hostname: options.hostname } : {}),
      }),
    );
  }
  if (heartbeats.healthchecks || heartbeats.uptimeKuma) {
    observers.push(
      new Heartbeat({
        healthchecks: heartbeats.healthchecks,
        uptimeKuma: heartbeats.uptimeKuma,
        timeoutMs,
        logger,
        ...(options.sleep ? { sleep: options.sleep } : {}),
      }),
    );
  }
  return observers;
}
