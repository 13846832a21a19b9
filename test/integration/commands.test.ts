/**
 * The other commands: `homing records`, `homing check`, `homing status` and `homing init`, plus the
 * usage errors of the command line.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  canaryKey,
  closeAllWorlds,
  DNS_CMDS,
  IP1,
  IP2,
  lines,
  modeOf,
  NAME,
  row,
  startWorld,
} from "../support/harness.ts";

afterEach(closeAllWorlds);

describe("homing records", () => {
  it("shows the provider's rows at each configured name, marking the ones homing does not manage", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", IP1), row(NAME, "A", "69.163.136.138", "0"), row(NAME, "TXT", "hello")],
      configRecords: [{ name: NAME }, { name: "www.example.com" }],
    });

    const result = await world.run("records");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout).sort()).toEqual(
      [
        `${NAME} A ${IP1} (dh)`,
        `${NAME} A 69.163.136.138 (dh, not managed by homing)`,
        `${NAME} TXT hello (dh)`,
        "www.example.com (dh): no records",
      ].sort(),
    );
    expect(world.requests().map((r) => r.cmd)).toEqual(["dns-list_records"]);

    const json = JSON.parse((await world.run("records", ["--json"])).stdout) as {
      records: Array<{ provider: string; name: string; type: string; value: string; owned: boolean }>;
      errors: string[];
    };
    expect(json.errors).toEqual([]);
    expect(json.records).toContainEqual({
      provider: "dh",
      name: NAME,
      type: "A",
      value: "69.163.136.138",
      owned: false,
      source: "provider",
    });
    expect(json.records).toContainEqual({
      provider: "dh",
      name: NAME,
      type: "A",
      value: IP1,
      owned: true,
      source: "provider",
    });
    expect(world.mutations()).toEqual([]);
  });
});

describe("homing check", () => {
  it("reports the config and proves the key can list records", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", IP1), row("example.com", "NS", "ns1.dreamhost.com.", "0")],
    });

    const result = await world.run("check");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([
      `config ${world.configPath}: valid (1 record(s))`,
      "provider dh (DreamHost): ok, the key can list records: 2 record(s) in 1 zone(s)",
      "ok",
    ]);
    expect(world.requests().map((r) => r.cmd)).toEqual(["dns-list_records"]);
  });

  it("with a missing key file prints no ok line, only the error (exit 2)", async () => {
    const world = await startWorld();
    await import("node:fs/promises").then((fs) => fs.rm(world.keyPath));

    const result = await world.run("check");

    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(world.keyPath);
    expect(world.requests()).toEqual([]);
  });

  it("with a bad key exits 1 and explains which key and which permissions", async () => {
    const world = await startWorld({ keys: { [canaryKey()]: { accountIds: ["123456"], cmds: DNS_CMDS } } });

    const result = await world.run("check");

    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([`config ${world.configPath}: valid (1 record(s))`]);
    expect(result.stderr).toMatch(
      /^error: provider dh \(DreamHost\): DreamHost rejected the API key from file /m,
    );
    expect(result.stderr).toContain(world.keyPath);
    expect(result.stderr).toMatch(/dns-list_records.*dns-add_record.*dns-remove_record/);
    expect(world.requests()).toHaveLength(1);
  });
});

describe("homing status", () => {
  it("says 'no run yet' before the first run, then shows the last result per record (+ --json)", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const before = await world.run("status");
    // A health check: no state file yet is not healthy.
    expect(before.code).toBe(1);
    expect(lines(before.stdout)).toEqual([`${NAME} A (dh): no run yet`]);

    expect((await world.run("run")).code).toBe(0);
    const after = await world.run("status");

    expect(after.code).toBe(0);
    expect(after.stderr).toBe("");
    expect(lines(after.stdout)).toEqual([
      expect.stringMatching(
        /^home\.example\.com A \(dh\): updated, address 81\.2\.69\.142, checked \d+s ago, verified \d+s ago, changed \d+s ago$/,
      ),
    ]);
    const json = JSON.parse((await world.run("status", ["--json"])).stdout) as {
      stateFile: string;
      records: Array<Record<string, unknown>>;
      history: Array<Record<string, unknown>>;
    };
    expect(json.stateFile).toBe(world.statePath);
    expect(json.records).toMatchObject([{ name: NAME, type: "A", published: IP1, lastResult: "updated" }]);
    expect(json.history).toMatchObject([{ name: NAME, from: IP2, to: IP1 }]);
    // status reads only the state file.
    expect(world.requests().map((r) => r.cmd)).toEqual([
      "dns-list_records",
      "dns-add_record",
      "dns-remove_record",
    ]);
  });

  it("exits 1 and shows the last error when the last run failed", async () => {
    const world = await startWorld({ zones: [], records: [], configRecords: [{ name: "home.example.net" }] });
    expect((await world.run("run")).code).toBe(1);

    const status = await world.run("status");

    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/home\.example\.net A \(dh\): failed/);
    expect(status.stdout).toMatch(/last error \(1 run\(s\) in a row\): .*no_such_zone/);
  });
});

describe("homing init", () => {
  it("writes a starter config (mode 0600) and refuses to overwrite it (exit 2)", async () => {
    const world = await startWorld();
    const target = join(world.dir, "new", "..", "homing-init.toml");

    const first = await world.raw(["init", "homing-init.toml"]);

    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`wrote ${join(world.dir, "homing-init.toml")}`);
    const text = await readFile(target, "utf8");
    expect(text).toMatch(/\[providers\.dh\]/);
    expect(text).toMatch(/\[\[records\]\]/);
    expect(await modeOf(target)).toBe(0o600);

    const second = await world.raw(["init", "homing-init.toml"]);

    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/already exists; homing init never overwrites/);
    expect(await readFile(target, "utf8")).toBe(text);
  });

  it("without FILE writes ./homing.toml in the working directory", async () => {
    const world = await startWorld();
    const cwd = join(world.dir, "state");
    await import("node:fs/promises").then((fs) => fs.mkdir(cwd, { recursive: true }));

    const result = await world.raw(["init"], { cwd });

    expect(result.code).toBe(0);
    expect(await readFile(join(cwd, "homing.toml"), "utf8")).toMatch(/type = "dreamhost"/);
  });
});

describe("usage errors", () => {
  it("an unknown command or option exits 2 with a hint", async () => {
    const world = await startWorld();

    const unknown = await world.raw(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);

    const option = await world.run("run", ["--bogus"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/--bogus/);

    const misplaced = await world.run("check", ["--dry-run"]);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/homing check does not take --dry-run/);
    expect(world.requests()).toEqual([]);
  });
});
