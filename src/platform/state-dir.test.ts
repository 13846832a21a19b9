import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.ts";
import { lockStateDir, saveStateFile, stateDirProblem } from "./state-dir.ts";

const dir = mkdtempSync(join(tmpdir(), "homing-state-dir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

describe("state_dir problems", () => {
  // Tests run as root, where EACCES cannot happen for real: the mapping is checked at the boundary.
  it.each([
    [
      "EACCES",
      "is not writable (permission denied): point state_dir at a writable directory or fix its permissions",
    ],
    ["EPERM", "is not writable (operation not permitted): point state_dir at a writable directory"],
    ["EROFS", "is not writable (read-only file system): point state_dir at a writable directory"],
    [
      "ENOSPC",
      "is full (no space left on device): free some space or point state_dir at another file system",
    ],
    ["EDQUOT", "is full (disk quota exceeded)"],
    ["ENOTDIR", "is not a directory (a part of its path is a file, not a directory)"],
  ])("%s names state_dir and what to do", (code, expected) => {
    expect(stateDirProblem(errno(code), "/var/lib/homing")).toContain(
      `state_dir /var/lib/homing ${expected}`,
    );
  });

  it("leaves other errors alone", () => {
    expect(stateDirProblem(errno("EIO"), "/x")).toBeUndefined();
    expect(stateDirProblem(new Error("plain"), "/x")).toBeUndefined();
  });

  it("a state_dir under a regular file is a ConfigError naming it", () => {
    writeFileSync(join(dir, "file"), "");
    const stateDir = join(dir, "file", "state");
    expect(() => lockStateDir(stateDir)).toThrow(ConfigError);
    expect(() => lockStateDir(stateDir)).toThrow(`state_dir ${stateDir} is not a directory`);
    expect(() => saveStateFile(stateDir, "{}", { path: join(stateDir, "state.json") })).toThrow(
      `state_dir ${stateDir} is not a directory`,
    );
  });
});
