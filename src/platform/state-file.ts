import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { emptyState, parseState, type State } from "../core/state.ts";
import type { Logger } from "./log.ts";
import { FileReadError, readRegularFile } from "./read-file.ts";

/*
 * Synchronous on purpose: these files are a few KB, and node:fs/promises pulls in extra modules at
 * startup that a cron run with nothing to do would pay for.
 */

/**
 * Writes `text` to `path` atomically: a temp file in the same directory, fsync, rename, then fsync
 * of the directory. A crash or a full disk leaves either the old file or the new one, never a torn
 * one. The file is created with mode 0600.
 *
 * `durable: false` skips the two fsyncs, for writes that only refresh timestamps (a cron run whose
 * every record was answered from the cache): after a power cut such a file may be empty or old,
 * which the reader treats as a damaged cache, costing one extra provider read and nothing else.
 */
export function writeFileAtomic(path: string, text: string, options: { durable?: boolean } = {}): void {
  const durable = options.durable ?? true;
  const temp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {}
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {}
    throw error;
  }
  if (!durable) return;
  try {
    const directory = openSync(dirname(path), "r");
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch {
    // Some file systems refuse a directory fsync; the rename itself already happened.
  }
}

export type ReadResult =
  | { kind: "ok"; text: string }
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string };

/** The state file holds at most 200 history rows and a few records: far below this. */
const STATE_FILE_MAX_BYTES = 8 * 1024 * 1024;

export function readTextFile(path: string): ReadResult {
  try {
    return { kind: "ok", text: readRegularFile(path, STATE_FILE_MAX_BYTES) };
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", reason: error.reason };
  }
}

/** The state file as read: missing before the first run, or with the reason it cannot be used. */
export type StateRead =
  | { kind: "ok"; state: State }
  | { kind: "missing"; state: State }
  | { kind: "unreadable" | "damaged"; state: State; problem: string };

export function readStateFile(path: string): StateRead {
  const read = readTextFile(path);
  if (read.kind === "missing") return { kind: "missing", state: emptyState() };
  if (read.kind === "unreadable") return { kind: "unreadable", state: emptyState(), problem: read.reason };
  const { state, problem } = parseState(read.text);
  return problem ? { kind: "damaged", state, problem } : { kind: "ok", state };
}

/**
 * The state for a run or the daemon. A missing or unreadable file gives an empty state (the
 * provider is re-read); a damaged one is reported and, with `setAside`, kept as `state.json.damaged`.
 */
export async function loadStateFile(
  path: string,
  logger: Logger,
  options = { setAside: true },
): Promise<State> {
  const read = readStateFile(path);
  if (read.kind === "ok") {
    logger.debug(`read the state file ${path} (${Object.keys(read.state.records).length} record(s))`);
  } else if (read.kind === "missing") {
    logger.debug(`no state file at ${path} yet: starting empty`);
  }
  if (read.kind === "unreadable") {
    logger.warn(
      `cannot read the state file ${path} (${read.problem}); starting fresh and re-reading the provider`,
    );
  }
  if (read.kind !== "damaged") return read.state;
  // Keep the damaged file for a look, out of the way of the next atomic write.
  const aside = `${path}.damaged`;
  const moved =
    options.setAside &&
    (() => {
      try {
        renameSync(path, aside);
        return true;
      } catch {
        return false;
      }
    })();
  logger.warn(
    `the state file ${path} was damaged: ${read.problem}; ${moved ? `kept it as ${aside}, ` : ""}starting fresh and re-reading the provider`,
  );
  return read.state;
}
