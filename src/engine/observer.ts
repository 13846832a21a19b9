import type { Config } from "../config/schema.ts";
import type { State } from "../core/state.ts";
import type { RoundReport } from "./round.ts";

/** What the daemon knows about itself, for the status page, /healthz and /metrics. */
export interface DaemonInfo {
  version: string;
  startedAt: Date;
  /** When the next scheduled round starts; undefined while a round runs or when stopping. */
  nextRoundAt: Date | undefined;
  roundRunning: boolean;
  /** Rounds that ended ok / failed since start. */
  roundsOk: number;
  roundsFailed: number;
  lastSuccessAt: Date | undefined;
  lastFailureAt: Date | undefined;
  /** Reason the last failed round failed (first failure line), for /healthz. */
  lastFailure: string | undefined;
}

/**
 * Everything a long-running observer may read. The config is the one in effect (it changes on
 * SIGHUP); the state is the live object the daemon saves after every round: read it, never write.
 */
export interface RoundContext {
  config: Config;
  state: State;
  daemon: DaemonInfo;
  now: Date;
}

/**
 * Something the daemon tells about each round: metrics, notifications, heartbeats. Methods may
 * be async; the daemon awaits them with a deadline and logs (never rethrows) their failures, so
 * an observer can never fail or stall a round.
 */
export interface RoundObserver {
  readonly name: string;
  daemonStarted?(context: RoundContext): void | Promise<void>;
  roundStarted?(context: RoundContext): void | Promise<void>;
  roundFinished?(report: RoundReport, context: RoundContext): void | Promise<void>;
  daemonStopping?(context: RoundContext): void | Promise<void>;
}
