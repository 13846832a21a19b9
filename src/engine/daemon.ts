import type { Config } from "../config/schema.ts";
import { parseDuration } from "../core/duration.ts";
import type { IpFamily } from "../core/ip.ts";
import { nextScheduledAt, type Schedule } from "../core/schedule.ts";
import type { State } from "../core/state.ts";
import type { FamilyDetection } from "../detect/detect.ts";
import type { DetectionSource } from "../detect/sources/source.ts";
import { errorMessage } from "../errors.ts";
import { linkedController } from "../platform/abort.ts";
import type { Logger } from "../platform/log.ts";
import type { DnsProvider } from "../providers/provider.ts";
import { RetryGate } from "./health.ts";
import type { DaemonInfo, RoundContext, RoundObserver } from "./observer.ts";
import { reportLines } from "./report-lines.ts";
import { type RoundReport, runRound } from "./round.ts";

/** What one config generation gives the daemon; rebuilt on SIGHUP. */
export interface DaemonRuntime {
  config: Config;
  /**
   * The config of scheduled rounds when it differs from `config`: records a router pushes for
   * (`[bridge] trust = "router"`) are left to the pushes, so a round never reverts a push.
   */
  scheduledConfig?: Config;
  schedule: Schedule;
  provider: (id: string) => Promise<DnsProvider>;
  /** Detection of one family; `extra` adds a pushed address (the router bridge) as a source. */
  detect: (family: IpFamily, signal: AbortSignal, extra?: ExtraSource) => Promise<FamilyDetection>;
  observers: RoundObserver[];
}

/** A source from outside detection's config (a router's push): counted among them, or alone. */
export interface ExtraSource {
  source: DetectionSource;
  alone: boolean;
}

/** A round asked for by a push (the router bridge): some records, with the pushed addresses. */
export interface PushRound {
  /** The config of the round: the current one narrowed to the pushed records and families. */
  select: (config: Config) => Config;
  sources: Partial<Record<IpFamily, DetectionSource>>;
  /** The pushed address is the detection result (`trust = "router"`), not one source among many. */
  alone: boolean;
}

export type DaemonSignal = "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGUSR1";

export interface SignalSource {
  on(signal: DaemonSignal, listener: () => void): unknown;
  off(signal: DaemonSignal, listener: () => void): unknown;
}

export interface DaemonOptions {
  version: string;
  state: State;
  /** Saves the state after every round (atomic write in production). */
  saveState: (state: State) => void;
  logger: Logger;
  initial: DaemonRuntime;
  /** Reads and validates the config again (SIGHUP); throws when it is invalid. */
  reload: () => Promise<DaemonRuntime>;
  /** Called after a successful reload, e.g. to restart the status server. */
  onReload?: (runtime: DaemonRuntime) => Promise<void>;
  signals: SignalSource;
  now?: () => Date;
  random?: () => number;
}

const OBSERVER_DEADLINE_MS = 15_000;

/**
 * `homing daemon`: rounds on a schedule, never overlapping, with per-provider exponential
 * back-off after failures, reload on SIGHUP, a round on SIGUSR1, and a clean stop on
 * SIGTERM/SIGINT (the in-flight round gets `shutdown_timeout`, then it is aborted). The lock is the
 * caller's: it is held for the daemon's whole life, so a cron `homing run` cannot collide with it.
 */
export class Daemon {
  readonly #options: DaemonOptions;
  readonly #now: () => Date;
  readonly #random: () => number;
  #runtime: DaemonRuntime;
  #lastReport: RoundReport | undefined;
  #lastRoundStart: Date | undefined;
  #stopping = false;
  #roundNowRequested = false;
  #reloadRequested = false;
  #roundController: AbortController | undefined;
  #wake: (() => void) | undefined;
  readonly #retries = new RetryGate();
  readonly #info: DaemonInfo;
  /** Rounds run one at a time, scheduled and pushed alike. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    this.#runtime = options.initial;
    this.#info = {
      version: options.version,
      startedAt: this.#now(),
      nextRoundAt: undefined,
      roundRunning: false,
      roundsOk: 0,
      roundsFailed: 0,
      lastSuccessAt: undefined,
      lastFailureAt: undefined,
      lastFailure: undefined,
    };
  }

  context(): RoundContext {
    return {
      config: this.#runtime.config,
      state: this.#options.state,
      daemon: { ...this.#info },
      now: this.#now(),
    };
  }

  lastReport(): RoundReport | undefined {
    return this.#lastReport;
  }

  /** Asks for a round now (SIGUSR1, POST /api/update). A running round is never doubled. */
  requestRound(): "started" | "busy" {
    if (this.#info.roundRunning) {
      this.#roundNowRequested = true;
      return "busy";
    }
    this.#roundNowRequested = true;
    this.#wake?.();
    return "started";
  }

  /**
   * Runs a round for pushed addresses (the router bridge), after any round in flight, and returns
   * its report. Records fresh in the state file make no provider call, as in every round.
   */
  pushRound(push: PushRound): Promise<RoundReport> {
    const stopped = () => Promise.reject(new Error("the daemon is stopping"));
    if (this.#stopping) return stopped();
    return this.#exclusive(() => (this.#stopping ? stopped() : this.#round(push)));
  }

  #exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => {});
    return next;
  }

  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#options.logger.notice("stopping: finishing the current round first");
    const controller = this.#roundController;
    if (controller) {
      const graceMs = parseDuration(this.#runtime.config.daemon.shutdown_timeout) ?? 10_000;
      const timer = setTimeout(() => controller.abort(new Error("the daemon is stopping")), graceMs);
      timer.unref();
    }
    this.#wake?.();
  }

  async run(): Promise<void> {
    const { signals, logger } = this.#options;
    const onStop = () => this.stop();
    const onHup = () => {
      this.#reloadRequested = true;
      this.#wake?.();
    };
    const onUsr1 = () => {
      logger.info("SIGUSR1: running a round now");
      this.requestRound();
    };
    signals.on("SIGTERM", onStop);
    signals.on("SIGINT", onStop);
    signals.on("SIGHUP", onHup);
    signals.on("SIGUSR1", onUsr1);
    try {
      logger.notice(`homing ${this.#options.version} daemon started: ${this.#describeSchedule()}`);
      await this.#tellObservers("daemonStarted", (o, c) => o.daemonStarted?.(c));
      let nextAt = this.#now().getTime();
      while (!this.#stopping) {
        await this.#sleepUntil(nextAt);
        if (this.#reloadRequested) await this.#reload();
        if (this.#stopping) break;
        if (this.#roundNowRequested || this.#now().getTime() >= nextAt) {
          this.#roundNowRequested = false;
          await this.#exclusive(() => this.#round());
        }
        nextAt = this.#nextWake();
        this.#info.nextRoundAt = this.#stopping ? undefined : new Date(nextAt);
      }
      await this.#tellObservers("daemonStopping", (o, c) => o.daemonStopping?.(c));
      logger.notice("stopped");
    } finally {
      signals.off("SIGTERM", onStop);
      signals.off("SIGINT", onStop);
      signals.off("SIGHUP", onHup);
      signals.off("SIGUSR1", onUsr1);
    }
  }

  #describeSchedule(): string {
    const { daemon } = this.#runtime.config;
    return this.#runtime.schedule.kind === "cron"
      ? `rounds at "${this.#runtime.schedule.expression}"`
      : `a round every ${daemon.interval}, plus up to ${daemon.jitter} of jitter`;
  }

  /** Resolves at `at`, or earlier when woken (signal, request, stop). */
  #sleepUntil(at: number): Promise<void> {
    if (this.#stopping || this.#roundNowRequested || this.#reloadRequested) return Promise.resolve();
    const delay = at - this.#now().getTime();
    if (delay <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(delay, 2 ** 31 - 1));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  #nextWake(): number {
    const { config, schedule } = this.#runtime;
    const jitterMax = parseDuration(config.daemon.jitter) ?? 0;
    const scheduled = nextScheduledAt(schedule, {
      lastStart: this.#lastRoundStart ?? this.#now(),
      now: this.#now(),
      jitterMs: Math.floor(this.#random() * jitterMax),
    }).getTime();
    return Math.min(scheduled, ...this.#retries.retryTimes());
  }

  async #reload(): Promise<void> {
    this.#reloadRequested = false;
    const { logger } = this.#options;
    try {
      const runtime = await this.#options.reload();
      this.#runtime = runtime;
      this.#retries.clear();
      await this.#options.onReload?.(runtime);
      logger.notice(
        `config reloaded: ${runtime.config.records.length} record(s), ${this.#describeSchedule()}`,
      );
    } catch (error) {
      logger.error(`config reload failed, still running on the previous config: ${errorMessage(error)}`);
    }
  }

  async #round(push?: PushRound): Promise<RoundReport> {
    const { logger, state } = this.#options;
    const runtime = this.#runtime;
    const startedAt = this.#now();
    // A push does not move the schedule.
    if (!push) this.#lastRoundStart = startedAt;
    this.#info.roundRunning = true;
    this.#info.nextRoundAt = undefined;
    const { controller, dispose } = linkedController(undefined, {
      timeoutMs: parseDuration(runtime.config.timeout) ?? 120_000,
    });
    this.#roundController = controller;
    const signal = controller.signal;
    // Providers still waiting for their retry time sit this round out (health.ts).
    const gated = this.#retries.gated(startedAt.getTime());
    const roundConfig = push ? push.select(runtime.config) : (runtime.scheduledConfig ?? runtime.config);
    const config = this.#retries.withoutGated(roundConfig, gated);
    await this.#tellObservers("roundStarted", (o, c) => o.roundStarted?.(c));
    let report: RoundReport;
    try {
      report = await runRound({
        config,
        state,
        logger,
        now: this.#now,
        signal,
        dryRun: false,
        force: false,
        detect: (family) => {
          const source = push?.sources[family];
          return runtime.detect(family, signal, source ? { source, alone: push?.alone ?? true } : undefined);
        },
        provider: runtime.provider,
      });
    } catch (error) {
      report = {
        startedAt: startedAt.toISOString(),
        finishedAt: this.#now().toISOString(),
        dryRun: false,
        detection: [],
        records: [],
        ok: false,
      };
      logger.error(`the round failed unexpectedly: ${errorMessage(error)}`);
    } finally {
      dispose();
      this.#roundController = undefined;
      this.#info.roundRunning = false;
    }
    report.records.push(...this.#retries.waitingOutcomes(roundConfig, gated, this.#now().getTime()));
    if (gated.size) report.ok = false;
    this.#retries.update(report, gated, {
      maxMs: parseDuration(runtime.config.daemon.max_backoff) ?? 3_600_000,
      now: this.#now().getTime(),
      logger,
    });
    for (const line of reportLines(report)) {
      if (line.kind === "change") logger.notice(line.text);
      else logger.error(line.text);
    }
    const finished = this.#now();
    if (report.ok) {
      this.#info.roundsOk++;
      this.#info.lastSuccessAt = finished;
    } else {
      this.#info.roundsFailed++;
      this.#info.lastFailureAt = finished;
      const failed = report.records.find((o) => o.status === "failed");
      const detection = report.detection.find((d) => d.status === "unavailable");
      this.#info.lastFailure = failed
        ? `${failed.name} ${failed.type}: ${failed.reason ?? "failed"}`
        : detection && detection.status === "unavailable"
          ? `${detection.family} detection: ${detection.reason}`
          : "the round failed";
    }
    this.#lastReport = report;
    try {
      this.#options.saveState(state);
    } catch (error) {
      logger.error(
        `could not save the state file (${errorMessage(error)}); it is kept in memory and saved after the next round`,
      );
    }
    await this.#tellObservers("roundFinished", (o, c) => o.roundFinished?.(report, c));
    return report;
  }

  async #tellObservers(
    what: string,
    call: (observer: RoundObserver, context: RoundContext) => unknown,
  ): Promise<void> {
    const context = this.context();
    await Promise.all(
      this.#runtime.observers.map(async (observer) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve(call(observer, context)),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`no answer within ${OBSERVER_DEADLINE_MS} ms`)),
                OBSERVER_DEADLINE_MS,
              );
            }),
          ]);
        } catch (error) {
          this.#options.logger.warn(`${observer.name} (${what}) failed: ${errorMessage(error)}`);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}
