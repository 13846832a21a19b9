import { closeSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { LockHeldError } from "../errors.ts";
import { readRegularFile } from "./read-file.ts";

export interface Lock {
  release(): void;
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat), to tell a reused PID apart. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number, startTime: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const current = processStartTime(pid);
  return startTime === undefined || current === undefined || current === startTime;
}

/** The lock's content; undefined when it is gone or is not a small regular file (a FIFO must not hang us). */
function readOrUndefined(path: string): string | undefined {
  try {
    return readRegularFile(path, 4096);
  } catch {
    return undefined;
  }
}

function isOtherThanFile(path: string): boolean {
  try {
    return !lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

interface LockOwner {
  pid: number;
  start?: string;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the single-instance lock: `path` is created exclusively and holds our PID and process start
 * time. A lock left by a dead process (or a PID since reused) is taken over; a live owner makes this
 * throw LockHeldError, which the CLI turns into exit code 75.
 */
export function acquireLock(path: string): Lock {
  const me = JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return {
        release() {
          if (readOrUndefined(path) === me) removeQuietly(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const text = readOrUndefined(path);
    if (text === undefined) {
      if (isOtherThanFile(path)) {
        throw new LockHeldError(`the lock ${path} is not a regular file; remove it, then run homing again`);
      }
      continue; // released meanwhile: try again
    }
    const owner = parseOwner(text);
    if (owner && isAlive(owner.pid, owner.start)) {
      throw new LockHeldError(
        `another homing run (pid ${owner.pid}) holds the lock ${path}; try again later`,
      );
    }
    // Stale (dead owner, or an unreadable file from a crash mid-write). Move it aside atomically,
    // then make sure what we moved is the stale lock and not a fresh one taken meanwhile.
    const aside = `${path}.stale.${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (error) {
      // Gone meanwhile (another run took it over): try again. Anything else is the file system
      // refusing (read-only, full, no permission): that is state_dir's problem, not a busy lock.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (readOrUndefined(aside) !== text) {
      try {
        renameSync(aside, path);
      } catch {}
      continue;
    }
    removeQuietly(aside);
  }
  throw new LockHeldError(`could not take the lock ${path}: another run keeps taking it; try again later`);
}
