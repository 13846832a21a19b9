import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { own } from "../core/own.ts";
import { ConfigError } from "../errors.ts";
import { acquireLock, type Lock } from "./lock.ts";
import { writeFileAtomic } from "./state-file.ts";

/*
 * state_dir holds the lock and the state file. When the file system refuses them, the raw errno
 * ("EACCES") says nothing useful: these messages name state_dir and what to do about it.
 */

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a part of its path is a file, not a directory",
  EEXIST: "it is a file, not a directory",
};

/** What to tell the user about a file-system error under state_dir; undefined when it is not one of these. */
export function stateDirProblem(error: unknown, stateDir: string): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  const why = own(WHY, code);
  switch (code) {
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return `state_dir ${stateDir} is not writable (${why}): point state_dir at a writable directory or fix its permissions`;
    case "ENOSPC":
    case "EDQUOT":
      return `state_dir ${stateDir} is full (${why}): free some space or point state_dir at another file system`;
    case "ENOTDIR":
    case "EEXIST":
      return `state_dir ${stateDir} is not a directory (${why}): point state_dir at a directory`;
    default:
      return undefined;
  }
}

/**
 * Creates state_dir (mode 0700) and takes its lock. A directory homing cannot use is a
 * ConfigError (exit 2, nothing attempted); a live lock owner stays a LockHeldError.
 */
export function lockStateDir(stateDir: string): Lock {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const lock = acquireLock(join(stateDir, "homing.lock"));
    removeLeftoverTemps(stateDir);
    return lock;
  } catch (error) {
    const problem = stateDirProblem(error, stateDir);
    if (problem) throw new ConfigError([problem], { cause: error });
    throw error;
  }
}

/**
 * A run killed between writing a state file's temp copy and renaming it (kill -9, power loss) leaves
 * the temp file behind. Whoever holds the lock is the only writer, so every other temp file is such
 * a leftover. Best effort: a directory that cannot be listed or cleaned is reported by the write.
 */
function removeLeftoverTemps(stateDir: string): void {
  try {
    for (const name of readdirSync(stateDir)) {
      const pid = /^\.(\d+)\.\d+\.tmp$/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid) rmSync(join(stateDir, name), { force: true });
    }
  } catch {}
}

/** Writes the state file atomically; a refusal of the file system names state_dir. */
export function saveStateFile(
  stateDir: string,
  text: string,
  options: { path: string; durable?: boolean },
): void {
  try {
    writeFileAtomic(options.path, text, { durable: options.durable ?? true });
  } catch (error) {
    const problem = stateDirProblem(error, stateDir);
    if (problem) throw new Error(problem, { cause: error });
    throw error;
  }
}
