/**
 * Bad input as a user meets it through the CLI: hostile provider ids, files that are not files,
 * state files of the wrong shape, a state_dir homing cannot write, and `homing status` as a health
 * check. Each case asserts the exit code and the message a user reads.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllWorlds, IP1, lines, NAME, row, startWorld, type World } from "../support/harness.ts";

afterEach(closeAllWorlds);

/** Read-only and full file systems are real small tmpfs mounts: only where this process may mount. */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), "homing-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

function expectNoProviderCall(world: World): void {
  expect(world.requests()).toEqual([]);
}

describe("provider ids that name a property of every JavaScript object", () => {
  for (const id of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    it(`provider = "${id}" in a record is refused by check and run with exit 2, never a crash`, async () => {
      const world = await startWorld({ configRecords: [{ name: NAME, provider: id }] });
      for (const command of ["check", "run"]) {
        const result = await world.run(command);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`records[0].provider: no provider "${id}" is configured`);
        expect(result.stderr).not.toMatch(/unexpected|Cannot read/);
      }
      expectNoProviderCall(world);
    });
  }

  it("a [providers.constructor] table is refused by name with exit 2", async () => {
    const world = await startWorld({
      configRecords: [{ name: NAME, provider: "constructor" }],
      editConfig: (spec) => {
        spec.providers = { constructor: spec.providers.dh as NonNullable<(typeof spec.providers)["dh"]> };
      },
    });
    const result = await world.run("check");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('providers.constructor: "constructor" cannot be a provider id');
    expectNoProviderCall(world);
  });

  it("a provider table without type names the missing key", async () => {
    const world = await startWorld();
    const text = await readFile(world.configPath, "utf8");
    await writeFile(world.configPath, text.replace('type = "dreamhost"\n', ""));
    const result = await world.run("check");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('providers.dh.type is missing; set type to one of: "dreamhost"');
    expect(result.stderr).not.toContain("undefined");
  });
});

describe("secret files must be small regular files", () => {
  it("api_key_file = /dev/zero is refused at once (exit 2), not read for ever", async () => {
    const world = await startWorld({
      editConfig: (spec) => {
        (spec.providers.dh as { apiKeyFile?: string }).apiKeyFile = "/dev/zero";
      },
    });
    const result = await world.run("run", [], { timeoutMs: 10_000 });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "providers.dh.api_key_file: cannot read the secret file /dev/zero: it is a character device, not a regular file; it must be a regular file of at most 64 KiB",
    );
    expectNoProviderCall(world);
  });

  it("a FIFO as api_key_file is refused at once (exit 2), not waited on", async () => {
    const world = await startWorld();
    const fifo = join(world.dir, "key.fifo");
    execFileSync("mkfifo", [fifo]);
    (world.spec.providers.dh as { apiKeyFile?: string }).apiKeyFile = fifo;
    await world.writeConfig();
    const result = await world.run("check", [], { timeoutMs: 10_000 });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read the secret file ${fifo}: it is a FIFO (named pipe)`);
  });

  it("a config file that is a FIFO is refused at once (exit 2)", async () => {
    const world = await startWorld();
    const fifo = join(world.dir, "config.fifo");
    execFileSync("mkfifo", [fifo]);
    const result = await world.raw(["check", "-c", fifo], { timeoutMs: 10_000 });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${fifo}: cannot read the config file: it is a FIFO (named pipe)`);
  });
});

describe("a state file whose containers have the wrong type", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["records is a list", { records: [] }, /"records" is a list, expected an object/],
    ["records is a string", { records: "x" }, /"records" is a string, expected an object/],
    ["history is an object", { history: {} }, /"history" is an object, expected a list/],
  ];
  for (const [label, fields, message] of cases) {
    it(`(${label}) is reported and kept aside as state.json.damaged`, async () => {
      const world = await startWorld({ records: [row(NAME, "A", IP1)] });
      await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
      const content = JSON.stringify({ version: 1, records: {}, providers: {}, history: [], ...fields });
      await writeFile(world.statePath, content, { mode: 0o600 });

      const status = await world.run("status");
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(message);

      const result = await world.run("run");
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain(`kept it as ${world.statePath}.damaged`);
      expect(await readFile(`${world.statePath}.damaged`, "utf8")).toBe(content);
      expect((await world.state()).records[`dh/${NAME}/A`]).toMatchObject({ published: IP1 });
    });
  }
});

describe("a state_dir homing cannot write", () => {
  it("under a regular file: exit 2 naming state_dir and the fix, before any provider call", async () => {
    const world = await startWorld();
    const file = join(world.dir, "a-file");
    await writeFile(file, "");
    world.spec.stateDir = join(file, "state");
    await world.writeConfig();

    const result = await world.run("run");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `state_dir ${join(file, "state")} is not a directory (a part of its path is a file, not a directory): point state_dir at a directory`,
    );
    expect(result.stderr).not.toContain("unexpected failure");
    expectNoProviderCall(world);
  });

  it.runIf(canMount)("on a read-only file system: exit 2 naming state_dir; the daemon too", async () => {
    const world = await startWorld();
    const readOnly = join(world.dir, "ro");
    await mkdir(readOnly);
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", readOnly]);
    try {
      world.spec.stateDir = readOnly;
      await world.writeConfig();
      const expected = `state_dir ${readOnly} is not writable (read-only file system): point state_dir at a writable directory or fix its permissions`;
      for (const command of ["run", "daemon"]) {
        const result = await world.run(command, [], { timeoutMs: 15_000 });
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(expected);
        expect(result.stderr).not.toContain("EROFS");
      }
      expectNoProviderCall(world);
    } finally {
      execFileSync("umount", [readOnly]);
    }
  });

  it.runIf(canMount)(
    "read-only with a stale lock left by a crash: names state_dir, not a busy lock",
    async () => {
      const world = await startWorld();
      const readOnly = join(world.dir, "ro-stale");
      await mkdir(readOnly);
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", readOnly]);
      try {
        // A daemon killed with -9 left its lock; then the file system went read-only.
        await writeFile(join(readOnly, "homing.lock"), JSON.stringify({ pid: 999_999, start: "1" }), {
          mode: 0o600,
        });
        execFileSync("mount", ["-o", "remount,ro", readOnly]);
        world.spec.stateDir = readOnly;
        await world.writeConfig();
        for (const command of ["run", "daemon"]) {
          const result = await world.run(command, [], { timeoutMs: 15_000 });
          expect(result.code, command).toBe(2);
          expect(result.stderr).toContain(`state_dir ${readOnly} is not writable (read-only file system)`);
          expect(result.stderr).not.toContain("try again later");
        }
        expectNoProviderCall(world);
      } finally {
        execFileSync("umount", [readOnly]);
      }
    },
  );

  it.runIf(canMount)("on a full file system: exit 2 naming state_dir and the fix", async () => {
    const world = await startWorld();
    const small = join(world.dir, "small");
    await mkdir(small);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]);
    try {
      world.spec.stateDir = small;
      await world.writeConfig();
      try {
        execFileSync("dd", ["if=/dev/zero", `of=${join(small, "filler")}`, "bs=4k"], { stdio: "ignore" });
      } catch {
        // dd stops with ENOSPC: the file system is now full.
      }
      const result = await world.run("run");
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `state_dir ${small} is full (no space left on device): free some space or point state_dir at another file system`,
      );
      expect(result.stderr).not.toContain("unexpected failure");
      expectNoProviderCall(world);
    } finally {
      execFileSync("umount", [small]);
    }
  });
});

describe("homing status as a health check", () => {
  it("exits 1 with 'no run yet' before the first run, 0 after a good run", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP1)] });

    const before = await world.run("status");
    expect(before.code).toBe(1);
    expect(lines(before.stdout)).toEqual([`${NAME} A (dh): no run yet`]);
    expect(before.stderr).toContain(`no run yet: the state file ${world.statePath} does not exist`);

    expect((await world.run("run")).code).toBe(0);
    expect((await world.run("status")).code).toBe(0);
  });

  it("exits 1 when the state file cannot be read (a directory at its path) or is not JSON", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP1)] });
    expect((await world.run("run")).code).toBe(0);

    await writeFile(world.statePath, "{ torn");
    const damaged = await world.run("status");
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(`cannot read the state file ${world.statePath}: it is not valid JSON`);
    // status only reads: the file is left where it is.
    expect((await stat(world.statePath)).isFile()).toBe(true);

    await writeFile(world.statePath, "");
    execFileSync("rm", [world.statePath]);
    await mkdir(world.statePath);
    const unreadable = await world.run("status");
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain(`cannot read the state file ${world.statePath}: it is a directory`);
  });
});
