/**
 * Heartbeats: a ping per round to a dead man's switch, so users are told when homing itself stops
 * running (the one failure homing cannot report on its own).
 *
 * - healthchecks.io (https://healthchecks.io/docs/http_api/, /docs/signaling_failures/,
 *   /docs/measuring_script_run_time/): the ping URL is https://hc-ping.com/<uuid> (or
 *   /<ping-key>/<slug>, or a self-hosted server). `<url>/start` when a round starts, `<url>` on
 *   success, `<url>/fail` on failure; a POST body (here: one line per record) is shown in the
 *   check's log. `?rid=<uuid>` ties start and end together so healthchecks measures the run time.
 *   Success answers 200 "OK".
 * - Uptime Kuma push monitor (https://github.com/louislam/uptime-kuma/wiki/Internal-API, "Push
 *   Monitors"): GET https://kuma.example/api/push/<token>?status=up|down&msg=<text>&ping=<ms>;
 *   the push token in the path is the only credential. The URL Kuma shows already carries
 *   `?status=up&msg=OK&ping=`; homing replaces those three and keeps anything else.
 *   Answers {"ok":true}, or 404 {"ok":false,"msg":"…"} for an unknown or paused monitor.
 *
 * The start ping is sent in the background so a slow health server never delays a round; the
 * end-of-round ping waits for it first (healthchecks needs start before success). Same policy as
 * notifications: a few retries, then a warning in the log; nothing here throws.
 */
import { randomUUID } from "node:crypto";
import { redact } from "../core/secret.ts";
import type { RoundContext, RoundObserver } from "../engine/observer.ts";
import type { RoundReport } from "../engine/round.ts";
import { errorMessage } from "../errors.ts";
import { httpRequest } from "../http/request.ts";
import type { Logger } from "../platform/log.ts";
import { heartbeatBody, heartbeatSummary } from "./messages.ts";
import { NotifySendError, type RetryPolicy, type Sleep, withRetries } from "./retry.ts";

export interface HeartbeatOptions {
  /** heartbeat.healthchecks: the check's ping URL. */
  healthchecks?: string | undefined;
  /** heartbeat.uptime_kuma: the push monitor's URL. */
  uptimeKuma?: string | undefined;
  /** Deadline of each attempt (notify.timeout). */
  timeoutMs: number;
  logger: Logger;
  sleep?: Sleep;
  random?: () => number;
  /** Run ids for healthchecks (default: random UUIDs). */
  newRunId?: () => string;
}

const MAX_BODY = 10_000;

/** Checks a heartbeat URL; returns what is wrong with it (never echoing it), or undefined. */
export function describeBadHeartbeatUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "expected an https:// URL";
  if (url.pathname.replace(/\/+$/, "") === "")
    return "the URL has no path (the check's UUID or push token is missing)";
  return undefined;
}

/** The parts of a heartbeat URL that must never be printed: the whole URL and its long path segments. */
export function heartbeatSecrets(text: string): string[] {
  const secrets = [text];
  try {
    for (const segment of new URL(text).pathname.split("/")) {
      if (segment.length >= 8 && !secrets.includes(segment)) secrets.push(segment);
    }
  } catch {
    // An unparsable URL is reported by describeBadHeartbeatUrl; the whole text is still a secret.
  }
  return secrets;
}

/** `<ping url>/<suffix>?rid=<run id>`, keeping any query the URL had. */
export function healthchecksUrl(base: string, suffix: "" | "start" | "fail", runId: string | undefined): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = suffix ? `${path}/${suffix}` : path || "/";
  if (runId) url.searchParams.set("rid", runId);
  return url;
}

/** The push URL with this round's status, message and duration. */
export function uptimeKumaUrl(base: string, up: boolean, message: string, pingMs: number): URL {
  const url = new URL(base);
  url.searchParams.set("status", up ? "up" : "down");
  url.searchParams.set("msg", message);
  url.searchParams.set("ping", String(Math.max(0, Math.round(pingMs))));
  return url;
}

export class Heartbeat implements RoundObserver {
  readonly name = "heartbeat";
  readonly #healthchecks: string | undefined;
  readonly #uptimeKuma: string | undefined;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #policy: RetryPolicy;
  readonly #newRunId: () => string;
  #runId: string | undefined;
  #pendingStart: Promise<void> | undefined;

  constructor(options: HeartbeatOptions) {
    this.#healthchecks = options.healthchecks || undefined;
    this.#uptimeKuma = options.uptimeKuma || undefined;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#policy = {
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    };
    this.#newRunId = options.newRunId ?? randomUUID;
  }

  /** Starts the healthchecks "start" ping and returns at once; roundFinished waits for it. */
  roundStarted(_context: RoundContext): void {
    if (!this.#healthchecks) return;
    try {
      this.#runId = this.#newRunId();
      const url = healthchecksUrl(this.#healthchecks, "start", this.#runId);
      this.#pendingStart = this.#ping("healthchecks start", url, "POST", "");
    } catch (error) {
      this.#logger.warn(`heartbeat: ${errorMessage(error)}`);
    }
  }

  async roundFinished(report: RoundReport, _context: RoundContext): Promise<void> {
    try {
      await this.#pendingStart;
      this.#pendingStart = undefined;
      const runId = this.#runId;
      this.#runId = undefined;
      const pings: Promise<void>[] = [];
      if (this.#healthchecks) {
        const url = healthchecksUrl(this.#healthchecks, report.ok ? "" : "fail", runId);
        const body = heartbeatBody(report).slice(0, MAX_BODY);
        pings.push(this.#ping(report.ok ? "healthchecks success" : "healthchecks fail", url, "POST", body));
      }
      if (this.#uptimeKuma) {
        const ms = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
        const url = uptimeKumaUrl(
          this.#uptimeKuma,
          report.ok,
          heartbeatSummary(report),
          Number.isFinite(ms) ? ms : 0,
        );
        pings.push(this.#ping(report.ok ? "Uptime Kuma up" : "Uptime Kuma down", url, "GET", undefined));
      }
      await Promise.all(pings);
    } catch (error) {
      this.#logger.warn(`heartbeat: ${errorMessage(error)}`);
    }
  }

  /** Lets an in-flight start ping finish (bounded by its own deadline) before the daemon exits. */
  async daemonStopping(_context: RoundContext): Promise<void> {
    await this.#pendingStart;
  }

  async #ping(what: string, url: URL, method: "GET" | "POST", body: string | undefined): Promise<void> {
    const secrets = heartbeatSecrets(url.href);
    const result = await withRetries(
      () => sendPing(url, { method, body, timeoutMs: this.#timeoutMs }),
      this.#policy,
    );
    if (result.ok) {
      this.#logger.debug(`heartbeat sent: ${what} (${url.host})`);
      return;
    }
    const tries = result.attempts > 1 ? ` after ${result.attempts} attempts` : "";
    this.#logger.warn(
      `heartbeat ${what} to ${url.host} failed${tries}: ${redact(errorMessage(result.error), secrets)}`,
    );
  }
}

/**
 * One heartbeat request. Throws NotifySendError when the monitor refused it (a non-2xx status, or
 * Uptime Kuma's {"ok":false}), with the reply redacted for the URL's secrets; or HttpRequestError.
 */
export async function sendPing(
  url: URL,
  options: { method: "GET" | "POST"; body: string | undefined; timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const { body } = options;
  const response = await httpRequest(url, {
    method: options.method,
    timeoutMs: options.timeoutMs,
    maxBytes: 16 * 1024,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(body !== undefined ? { body, headers: { "content-type": "text/plain; charset=utf-8" } } : {}),
  });
  const refused = response.status < 200 || response.status >= 300 || /"ok"\s*:\s*false/.test(response.body);
  if (refused) {
    const detail = redact(
      response.body.replace(/\s+/g, " ").trim().slice(0, 120),
      heartbeatSecrets(url.href),
    );
    throw new NotifySendError(`HTTP ${response.status}${detail ? `: ${detail}` : ""}`, {
      retryable: response.status >= 500 || response.status === 429 || response.status === 408,
    });
  }
}
