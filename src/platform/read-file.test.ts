import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.ts";
import { readConfiguredFile, readRegularFile } from "./read-file.ts";

const dir = mkdtempSync(join(tmpdir(), "homing-read-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problem(path: string): string {
  try {
    readConfiguredFile(path, { key: "providers.dh.api_key_file", what: "secret file" });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("readConfiguredFile", () => {
  it("reads a small regular file, also through a symlink", () => {
    writeFileSync(join(dir, "key"), "secret\n");
    symlinkSync(join(dir, "key"), join(dir, "link"));
    expect(readRegularFile(join(dir, "key"), 64)).toBe("secret\n");
    expect(readRegularFile(join(dir, "link"), 64)).toBe("secret\n");
  });

  it("refuses /dev/zero at once instead of reading for ever", () => {
    const started = performance.now();
    expect(problem("/dev/zero")).toBe(
      "providers.dh.api_key_file: cannot read the secret file /dev/zero: it is a character device, not a regular file; it must be a regular file of at most 64 KiB",
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses a FIFO with no writer at once instead of hanging", () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const started = performance.now();
    expect(problem(fifo)).toBe(
      `providers.dh.api_key_file: cannot read the secret file ${fifo}: it is a FIFO (named pipe), not a regular file; it must be a regular file of at most 64 KiB`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses a directory, a file over 64 KiB and a missing file, naming the key and the path", () => {
    expect(problem(dir)).toMatch(
      /api_key_file: cannot read the secret file .*: it is a directory, not a regular file/,
    );
    const big = join(dir, "big");
    writeFileSync(big, "x".repeat(64 * 1024 + 1));
    expect(problem(big)).toBe(
      `providers.dh.api_key_file: cannot read the secret file ${big}: it is larger than 64 KiB (65537 bytes); it must be a regular file of at most 64 KiB`,
    );
    writeFileSync(join(dir, "exact"), "x".repeat(64 * 1024));
    expect(readRegularFile(join(dir, "exact"), 64 * 1024)).toHaveLength(64 * 1024);
    expect(problem(join(dir, "nope"))).toBe(
      `providers.dh.api_key_file: cannot read the secret file ${join(dir, "nope")}: no such file`,
    );
  });
});
