/**
 * Files `homing init` creates: whole or not at all, never over an existing one unless asked. The text
 * goes to a temporary file beside the target (mode set at creation, fsynced), which is then linked
 * into place: link(2) fails with EEXIST instead of replacing, so a file that appeared meanwhile is
 * kept. With `replace`, rename(2) swaps it in atomically.
 */
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeNewFile(path: string, text: string, options: { mode: number; replace?: boolean }): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temporary, "wx", options.mode);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.replace) renameSync(temporary, path);
    else linkSync(temporary, path);
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // Renamed into place already.
    }
  }
}
