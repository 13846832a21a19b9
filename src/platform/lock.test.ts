import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LockHeldError } from "../errors.ts";
import { acquireLock } from "./lock.ts";

const dir = mkdtempSync(join(tmpdir(), "homing-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("acquireLock", () => {
  it("a FIFO in place of the lock file is refused at once, not waited on", () => {
    const path = join(dir, "homing.lock");
    execFileSync("mkfifo", [path]);
    const started = performance.now();
    expect(() => acquireLock(path)).toThrow(LockHeldError);
    expect(() => acquireLock(path)).toThrow(`the lock ${path} is not a regular file; remove it`);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("takes and releases a free lock", () => {
    const path = join(dir, "free.lock");
    acquireLock(path).release();
    acquireLock(path).release();
  });
});
