import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
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
