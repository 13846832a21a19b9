/**
 * The single-instance lock (overlapping cron runs, a stale lock from a dead process) and a damaged
 * state file (it is a cache: homing warns, re-reads the provider and writes a valid one).
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  BIN,
  cleanEnv,
  closeAllWorlds,
  IP1,
  IP2,
  lines,
  modeOf,
  NAME,
  row,
  runCli,
  startWorld,
} from "../support/harness.ts";

afterEach(closeAllWorlds);

/** The PID of a process that has exited (and so no longer exists). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid as number;
  await new Promise((resolve) => child.on("exit", resolve));
  return pid;
}

describe("the lock", () => {
  it("two concurrent runs: one exits 75 about the lock, the other 0, and no record is duplicated", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)], latencyMs: 300 });
    const args = ["run", "-c", world.configPath];

    const results = await Promise.all([runCli(args, world.dir), runCli(args, world.dir)]);

    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 75]);
    const locked = results.find((r) => r.code === 75);
    const winner = results.find((r) => r.code === 0);
    expect(locked?.stderr).toMatch(
      /^error: another homing run \(pid \d+\) holds the lock .*homing\.lock; try again later$/m,
    );
    expect(locked?.stdout).toBe("");
    expect(lines(winner?.stdout ?? "")).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(world.requests("dns-add_record")).toHaveLength(1);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
    // The lock is released at the end of the winning run.
    expect(await readdir(world.stateDir)).not.toContain("homing.lock");
  });

  it("a stale lock file left by a dead PID is taken over", async () => {
    const world = await startWorld();
    await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(world.stateDir, "homing.lock"), JSON.stringify({ pid: await deadPid() }));

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
    expect(await readdir(world.stateDir)).not.toContain("homing.lock");
  });

  it("a state temp file left by a run killed mid-write is cleaned up by the next run", async () => {
    const world = await startWorld();
    await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
    const leftover = `.${await deadPid()}.1796633432758.tmp`;
    await writeFile(join(world.stateDir, leftover), '{"version":1,"rec', { mode: 0o600 });
    await writeFile(join(world.stateDir, "notes.tmp"), "mine");

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect((await readdir(world.stateDir)).sort()).toEqual(["notes.tmp", "state.json"]);
  });

  it("a lock whose PID now belongs to another process (other start time) is taken over", async () => {
    const world = await startWorld();
    await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(world.stateDir, "homing.lock"), JSON.stringify({ pid: process.pid, start: "1" }));

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
  });

  it("a garbage lock file (a crash mid-write) is taken over", async () => {
    const world = await startWorld();
    await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(world.stateDir, "homing.lock"), '{"pi');

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(await readdir(world.stateDir)).not.toContain("homing.lock");
  });

  it("SIGTERM mid-run stops cleanly: exit 1 (not killed), the lock released, the old record kept", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", IP2)],
      faults: [{ cmd: "dns-add_record", kind: "hang", times: Infinity }],
    });
    const child = spawn(process.execPath, [BIN, "run", "-c", world.configPath], {
      cwd: world.dir,
      env: cleanEnv(world.dir),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    while (world.requests("dns-add_record").length === 0) await new Promise((r) => setTimeout(r, 20));

    child.kill("SIGTERM");
    const code = await exited;

    expect(code).toBe(1);
    expect(stderr).toMatch(/error: home\.example\.com A \(dh\): /);
    expect(await readdir(world.stateDir)).not.toContain("homing.lock");
    expect(world.requests("dns-remove_record")).toEqual([]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    expect((await world.state()).records[`dh/${NAME}/A`]).toMatchObject({ lastResult: "failed" });
  });

  it("a lock held by a live process makes the run exit 75 without any provider call", async () => {
    const world = await startWorld();
    await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(world.stateDir, "homing.lock"), JSON.stringify({ pid: process.pid }));

    const result = await world.run("run");

    expect(result.code).toBe(75);
    expect(result.stderr).toMatch(new RegExp(`another homing run \\(pid ${process.pid}\\) holds the lock`));
    expect(world.requests()).toEqual([]);
  });
});

describe("a damaged state file", () => {
  const cases: Array<[string, string | Buffer]> = [
    ["truncated JSON", '{"version":1,"records":{"dh/home.example.com/A":{"provider":"dh","na'],
    ["random bytes", Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 73 + 11) % 256))],
    ["another schema version", JSON.stringify({ version: 99, records: {} })],
  ];
  for (const [label, content] of cases) {
    it(`(${label}) is warned about, the provider is re-read, the run succeeds and a valid 0600 state is written`, async () => {
      const world = await startWorld({ records: [row(NAME, "A", IP1)] });
      await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
      await writeFile(world.statePath, content, { mode: 0o600 });

      const result = await world.run("run");

      expect(result.code).toBe(0);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        /^warning: the state file .*state\.json was damaged: .*re-reading the provider/m,
      );
      expect(world.requests().map((r) => r.cmd)).toEqual(["dns-list_records"]);
      const state = await world.state();
      expect(state.version).toBe(1);
      expect(state.records[`dh/${NAME}/A`]).toMatchObject({ published: IP1, lastResult: "unchanged" });
      expect(await modeOf(world.statePath)).toBe(0o600);

      // The next run trusts the new state: silent and without API calls.
      const next = await world.run("run");
      expect(next.code).toBe(0);
      expect(next.stdout + next.stderr).toBe("");
      expect(world.requests()).toHaveLength(1);
    });
  }

  it("(a directory at its path) still updates DNS, but reports that the state could not be saved (exit 1)", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });
    await mkdir(join(world.statePath, "oops"), { recursive: true });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/warning: cannot read the state file .*state\.json/);
    expect(result.stderr).toMatch(/error: could not save the state file .*the DNS changes above were made/);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });
});
