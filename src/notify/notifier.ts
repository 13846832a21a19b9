/**
 * The notification observer: decides when to tell, and tells every target in parallel.
 *
 * When:
 * - an address change was published (outcome "updated");
 * - a record has failed `failureThreshold` rounds in a row (State.records[key].failures reaches
 *   it), once, and again when that record next succeeds ("recovered");
 * - the daemon starts and stops, when `startStop` is on.
 * Dry-run rounds never notify. A record that was already past the threshold when the daemon started
 * (the state file remembers) is not announced again, but its recovery is.
 *
 * Delivery: each target gets up to 3 attempts (./retry.ts), each under `timeoutMs`; a target that
 * still fails is logged with its safe label and given up. Nothing here throws: a notification can
 * never fail a round.
 */
import { hostname as osHostname } from "node:os";
import type { Config } from "../config/schema.ts";
import { redact } from "../core/secret.ts";
import { recordKey, type State } from "../core/state.ts";
import { expandTargets } from "../core/targets.ts";
import type { RoundContext, RoundObserver } from "../engine/observer.ts";
import type { RoundReport } from "../engine/round.ts";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../platform/log.ts";
import {
  composeMessage,
  type NotifyEvent,
  type NotifyMessage,
  startedMessage,
  stoppedMessage,
} from "./messages.ts";
import { type RetryPolicy, type Sleep, withRetries } from "./retry.ts";
import { createSender, type SenderConfig, type SendFunction } from "./senders.ts";
import type { NotifyTarget } from "./urls.ts";

export interface NotifierOptions {
  targets: readonly NotifyTarget[];
  /** Tell after this many consecutive failed rounds of a record (notify.failure_threshold). */
  failureThreshold: number;
  /** Tell when the daemon starts and stops (notify.start_stop). */
  startStop: boolean;
  /** Deadline of each attempt (notify.timeout). */
  timeoutMs: number;
  logger: Logger;
  /** Back-off between attempts (tests pass a fast one). */
  sleep?: Sleep;
  random?: () => number;
  /** Replaces the real senders (unit tests). */
  send?: SendFunction;
  /** Endpoint overrides for the default senders (integration tests). */
  senderConfig?: SenderConfig;
  /** Shown in the start and stop messages (default: this machine's host name). */
  hostname?: string;
}

export interface Delivery {
  label: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

export class Notifier implements RoundObserver {
  readonly name = "notifications";
  readonly #targets: readonly NotifyTarget[];
  readonly #threshold: number;
  readonly #startStop: boolean;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #send: SendFunction;
  readonly #policy: RetryPolicy;
  readonly #hostname: string;
  /** Records announced as failing (or found past the threshold at start) and not yet recovered. */
  readonly #alerted = new Set<string>();
  /** Consecutive failures per record as of the end of the last round seen. */
  readonly #failures = new Map<string, number>();
  #seeded = false;

  constructor(options: NotifierOptions) {
    this.#targets = options.targets;
    this.#threshold = Math.max(1, options.failureThreshold);
    this.#startStop = options.startStop;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#send = options.send ?? createSender(options.senderConfig);
    this.#policy = {
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    };
    this.#hostname = options.hostname ?? osHostname();
  }

  async daemonStarted(context: RoundContext): Promise<void> {
    try {
      this.#observe(context.state);
      if (!this.#startStop) return;
      await this.notify(
        startedMessage({
          version: context.daemon.version,
          hostname: this.#hostname,
          records: managedRecords(context.config),
          schedule: context.config.daemon.cron
            ? `on the schedule "${context.config.daemon.cron}"`
            : `every ${context.config.daemon.interval}`,
        }),
      );
    } catch (error) {
      this.#logger.warn(`notifications: ${errorMessage(error)}`);
    }
  }

  roundStarted(context: RoundContext): void {
    try {
      this.#observe(context.state);
    } catch (error) {
      this.#logger.warn(`notifications: ${errorMessage(error)}`);
    }
  }

  async roundFinished(report: RoundReport, context: RoundContext): Promise<void> {
    try {
      const message = composeMessage(this.events(report, context.state));
      if (message) await this.notify(message);
    } catch (error) {
      this.#logger.warn(`notifications: ${errorMessage(error)}`);
    }
  }

  async daemonStopping(context: RoundContext): Promise<void> {
    if (!this.#startStop) return;
    try {
      await this.notify(
        stoppedMessage({
          hostname: this.#hostname,
          uptimeMs: context.now.getTime() - context.daemon.startedAt.getTime(),
          roundsOk: context.daemon.roundsOk,
          roundsFailed: context.daemon.roundsFailed,
        }),
      );
    } catch (error) {
      this.#logger.warn(`notifications: ${errorMessage(error)}`);
    }
  }

  /**
   * What a finished round is worth telling. Reads the state the round just updated (failure
   * counts) and remembers which records were announced as failing. Exposed for tests.
   */
  events(report: RoundReport, state: State): NotifyEvent[] {
    if (report.dryRun) return [];
    if (!this.#seeded) this.#seedAfterRound(report, state);
    const events: NotifyEvent[] = [];
    for (const outcome of report.records) {
      const key = recordKey(outcome.provider, outcome.name, outcome.type);
      const ref = { provider: outcome.provider, name: outcome.name, type: outcome.type };
      const before = this.#failures.get(key) ?? 0;
      if (outcome.status === "failed") {
        const failures = state.records[key]?.failures ?? before + 1;
        this.#failures.set(key, failures);
        if (failures >= this.#threshold && !this.#alerted.has(key)) {
          this.#alerted.add(key);
          events.push({ ...ref, kind: "failing", failures, reason: outcome.reason ?? "unknown error" });
        }
        continue;
      }
      if (outcome.status !== "updated" && outcome.status !== "unchanged") continue;
      this.#failures.set(key, 0);
      if (this.#alerted.delete(key)) {
        events.push({
          ...ref,
          kind: "recovered",
          failures: before > 0 ? before : undefined,
          address: outcome.address,
          changed: outcome.status === "updated",
          ...(outcome.status === "updated" ? { previous: outcome.previous } : {}),
        });
      } else if (outcome.status === "updated" && outcome.address !== undefined) {
        events.push({ ...ref, kind: "changed", previous: outcome.previous, address: outcome.address });
      }
    }
    return events;
  }

  /** Sends one message to every target in parallel, with retries. Never throws. */
  async notify(message: NotifyMessage): Promise<Delivery[]> {
    return Promise.all(
      this.#targets.map(async (target): Promise<Delivery> => {
        const result = await withRetries((attempt) => {
          if (attempt > 1) this.#logger.debug(`notification to ${target.label}: attempt ${attempt}`);
          return this.#send(target, message, { timeoutMs: this.#timeoutMs });
        }, this.#policy);
        if (result.ok) {
          this.#logger.info(`notification sent to ${target.label}: ${message.title}`);
          return { label: target.label, ok: true, attempts: result.attempts };
        }
        const reason = redact(errorMessage(result.error), target.secrets);
        const tries = result.attempts > 1 ? ` after ${result.attempts} attempts` : "";
        this.#logger.warn(`notification to ${target.label} failed${tries}: ${reason}`);
        return { label: target.label, ok: false, attempts: result.attempts, error: reason };
      }),
    );
  }

  /** Takes the failure counts from the state; the first time, also who is already past the threshold. */
  #observe(state: State): void {
    for (const [key, record] of Object.entries(state.records)) {
      if (!this.#seeded && record.failures >= this.#threshold) this.#alerted.add(key);
      this.#failures.set(key, record.failures);
    }
    this.#seeded = true;
  }

  /**
   * Without a roundStarted or daemonStarted before (the state already holds this round's counts):
   * a record that failed again was at `failures - 1` before this round.
   */
  #seedAfterRound(report: RoundReport, state: State): void {
    this.#seeded = true;
    for (const outcome of report.records) {
      const after = state.records[recordKey(outcome.provider, outcome.name, outcome.type)]?.failures;
      if (outcome.status !== "failed" || after === undefined) continue;
      const key = recordKey(outcome.provider, outcome.name, outcome.type);
      this.#failures.set(key, after - 1);
      if (after - 1 >= this.#threshold) this.#alerted.add(key);
    }
  }
}

/** "home.example.com A" for every (record, type) the config manages. */
function managedRecords(config: Config): string[] {
  return expandTargets(config).map((target) => `${target.name} ${target.type}`);
}
