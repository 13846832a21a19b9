/**
 * Where the state file lives and how a command loads and saves it: `state_dir` (or the default for
 * the user), `state.json` in it, loaded through state-file.ts, saved atomically with every known
 * secret redacted.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { redact } from "../core/secret.ts";
import type { State } from "../core/state.ts";
import type { Logger } from "./log.ts";
import { saveStateFile } from "./state-dir.ts";
import { loadStateFile } from "./state-file.ts";

/** $STATE_DIRECTORY (systemd), else /var/lib/homing as root, else $XDG_STATE_HOME/homing. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const systemd = env.STATE_DIRECTORY?.split(":")[0];
  if (systemd) return systemd;
  if (process.getuid?.() === 0) return "/var/lib/homing";
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "homing");
}

export function statePath(stateDir: string): string {
  return join(stateDir, "state.json");
}

/**
 * The state of `stateDir`: empty when there is none or it cannot be read; a damaged file is moved
 * aside (unless `setAside` is false, for commands that only read).
 */
export function loadState(stateDir: string, logger: Logger, options = { setAside: true }): Promise<State> {
  return loadStateFile(statePath(stateDir), logger, options);
}

/**
 * Saves `state` atomically. `durable: false` skips the fsyncs, for a save that only refreshed
 * timestamps. Throws when it cannot be written (the message names state_dir).
 */
export function saveState(
  stateDir: string,
  state: State,
  options: { logger: Logger; durable?: boolean },
): void {
  const text = redact(`${JSON.stringify(state, null, 1)}\n`, options.logger.secrets());
  saveStateFile(stateDir, text, {
    path: statePath(stateDir),
    ...(options.durable === undefined ? {} : { durable: options.durable }),
  });
  options.logger.debug(
    `wrote the state file ${statePath(stateDir)} (${Object.keys(state.records).length} record(s)${options.durable === false ? "; only timestamps changed, so without fsync" : ""})`,
  );
}
