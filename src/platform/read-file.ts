import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { own } from "../core/own.ts";
import { ConfigError } from "../errors.ts";

/*
 * Every file a user names (config, secrets, key files, URL lists) and the state file are read
 * through here. Reading a path blindly can hang for ever (a FIFO with no writer), grow memory
 * without limit (/dev/zero) or wait on a terminal. The contract: only a regular file, opened
 * without blocking, checked with fstat on the opened descriptor (no race with a swapped path),
 * and never more than `maxBytes` read. A regular file's read cannot block, so the whole read is
 * bounded in time and memory.
 */

export const SECRET_FILE_MAX_BYTES = 64 * 1024;

/** A file that cannot be read as a small regular file; `reason` is a phrase for messages. */
export class FileReadError extends Error {
  override readonly name = "FileReadError";
  readonly code: string | undefined;
  readonly reason: string;

  constructor(reason: string, code?: string) {
    super(reason);
    this.reason = reason;
    this.code = code;
  }
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the path is too long",
  EISDIR: "it is a directory, not a file",
  EIO: "an input/output error",
};

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

export function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/**
 * Reads a regular file of at most `maxBytes` as UTF-8. Throws FileReadError (with a readable
 * reason) for anything else: missing, unreadable, a device, a FIFO, a directory, too large.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileReadError(own(ERRNO_REASONS, code ?? "") ?? String(code ?? error), code);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new FileReadError(`it is ${kindOf(stats)}, not a regular file`, "ENOTREG");
    if (stats.size > maxBytes)
      throw new FileReadError(`it is larger than ${formatBytes(maxBytes)} (${stats.size} bytes)`, "EFBIG");
    // Room for one byte more than fstat said, so a file that grew meanwhile is seen (and read up
    // to the limit, one byte past it to tell).
    let buffer = Buffer.allocUnsafe(stats.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const larger = Buffer.allocUnsafe(maxBytes + 1);
        buffer.copy(larger);
        buffer = larger;
      }
      const count = readSync(fd, buffer, length, buffer.length - length, null);
      if (count === 0) break;
      length += count;
      if (length > maxBytes) throw new FileReadError(`it is larger than ${formatBytes(maxBytes)}`, "EFBIG");
    }
    return buffer.toString("utf8", 0, length);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileReadError(own(ERRNO_REASONS, code ?? "") ?? String(code ?? error), code);
  } finally {
    closeSync(fd);
  }
}

/** Why a read failed, and for a wrong kind or size of file, the rule it broke. */
export function readFailure(error: FileReadError, maxBytes: number): string {
  const broken = error.code === "ENOTREG" || error.code === "EFBIG";
  return `${error.reason}${broken ? `; it must be a regular file of at most ${formatBytes(maxBytes)}` : ""}`;
}

/**
 * Reads a file named by a config key (`providers.dh.api_key_file`, `notify.urls_file`, …). Any
 * failure is a ConfigError naming the key and the path, with what to do.
 */
export function readConfiguredFile(
  path: string,
  options: { key: string; what: string; maxBytes?: number },
): string {
  const maxBytes = options.maxBytes ?? SECRET_FILE_MAX_BYTES;
  try {
    return readRegularFile(path, maxBytes);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new ConfigError([
      `${options.key}: cannot read the ${options.what} ${path}: ${readFailure(error, maxBytes)}`,
    ]);
  }
}
