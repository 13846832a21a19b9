/**
 * The CLI's conventions, through the built CLI: per-command help (`homing run --help`,
 * `homing help run`), `-V`/`--version`/`homing version`, a bare `homing` (help on stderr, exit 2),
 * `homing status NAME`, the hidden `homing records --names`, and `homing completion bash|zsh|fish`
 * exercised in a real bash.
 */
import { spawnSync } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { COMMAND_HELP } from "../../src/cli/help.ts";
import { BIN, cleanEnv, closeAllWorlds, lines, NAME, runCli, startWorld } from "../support/harness.ts";

afterEach(closeAllWorlds);

const VERSION = /^homing \d+\.\d+\.\d+\S*\n$/;

describe("help and version", () => {
  it("every command has its own help, the same by `homing C --help`, `homing C -h` and `homing help C`", async () => {
    const world = await startWorld();
    for (const command of COMMAND_HELP) {
      const flag = await world.raw([command.name, "--help"]);
      const short = await world.raw([command.name, "-h"]);
      const help = await world.raw(["help", command.name]);
      expect(flag.code, command.name).toBe(0);
      expect(flag.stderr).toBe("");
      expect(flag.stdout).toMatch(new RegExp(`^Usage: homing ${command.name}\\b`));
      expect(flag.stdout).toContain(`Example:\n  ${command.example}`);
      for (const long of command.flags)
        expect(flag.stdout, `${command.name} --${long}`).toContain(`--${long}`);
      expect(short.stdout).toBe(flag.stdout);
      expect(help.stdout).toBe(flag.stdout);
    }
    const run = await world.raw(["run", "--help"]);
    expect(run.stdout).toContain("--dry-run");
    expect(run.stdout).not.toContain("--provider");
    const init = await world.raw(["help", "init"]);
    expect(init.stdout).toContain("--provider TYPE");
    expect(init.stdout).not.toContain("--dry-run");
  });

  it("`homing --help` lists every command; `homing help nope` is a usage error", async () => {
    const world = await startWorld();
    const help = await world.raw(["--help"]);
    expect(help.code).toBe(0);
    for (const command of COMMAND_HELP) expect(help.stdout).toMatch(new RegExp(`^  ${command.name} `, "m"));
    const nope = await world.raw(["help", "nope"]);
    expect(nope.code).toBe(2);
    expect(nope.stderr).toMatch(/homing help: no command "nope"/);
  });

  it("-V, --version and `homing version` print the version", async () => {
    const world = await startWorld();
    for (const args of [["-V"], ["--version"], ["version"]]) {
      const result = await world.raw(args);
      expect(result.code, args.join(" ")).toBe(0);
      expect(result.stdout).toMatch(VERSION);
      expect(result.stderr).toBe("");
    }
  });

  it("a bare `homing` prints the help on stderr and exits 2", async () => {
    const world = await startWorld();
    const bare = await world.raw([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toContain("Usage: homing COMMAND [OPTIONS]");
  });
});

describe("homing status NAME and homing records --names", () => {
  it("records --names lists the configured names without a request; status takes names", async () => {
    const world = await startWorld({ configRecords: [{ name: NAME }, { name: "www.example.com" }] });
    const names = await world.run("records", ["--names"]);
    expect(names.code).toBe(0);
    expect(names.stderr).toBe("");
    expect(lines(names.stdout)).toEqual([NAME, "www.example.com"]);
    expect(world.requests()).toEqual([]);

    const one = await world.run("status", [NAME]);
    expect(one.stdout).toContain(NAME);
    expect(one.stdout).not.toContain("www.example.com");
    const unknown = await world.run("status", ["nope.example.com"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no record "nope\.example\.com"/);
    const misplaced = await world.run("check", ["--names"]);
    expect(misplaced.code).toBe(2);
  });
});

function which(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).status === 0;
}

describe("homing completion", () => {
  it("completes commands, flags, provider types and record names in a real bash", async (context) => {
    context.skip(!which("bash"), "bash is not installed");
    const world = await startWorld({ configRecords: [{ name: NAME }, { name: "www.example.com" }] });
    const script = await world.raw(["completion", "bash"]);
    expect(script.code).toBe(0);
    expect(script.stderr).toBe("");
    // `homing` on PATH, as after an install: the script calls it for the record names.
    const binDir = join(world.dir, "bin");
    await import("node:fs/promises").then((fs) => fs.mkdir(binDir, { recursive: true }));
    await writeFile(join(binDir, "homing"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    await chmod(join(binDir, "homing"), 0o755);
    const scriptFile = join(world.dir, "homing.bash");
    await writeFile(scriptFile, script.stdout);

    const complete = (line: string) => {
      const words = line.split(" ");
      const program = [
        `source ${JSON.stringify(scriptFile)}`,
        `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")})`,
        `COMP_CWORD=${words.length - 1}`,
        `COMP_LINE=${JSON.stringify(line)}`,
        "_homing",
        `printf "%s\\n" "\${COMPREPLY[@]}"`,
      ].join("\n");
      const result = spawnSync("bash", ["--norc", "--noprofile", "-c", program], {
        encoding: "utf8",
        cwd: world.dir,
        env: cleanEnv(world.dir, { PATH: `${binDir}:${process.env.PATH}` }),
      });
      expect(result.stderr, line).toBe("");
      return lines(result.stdout).filter((w) => w !== "");
    };

    expect(complete("homing ru")).toEqual(["run"]);
    expect(complete("homing c")).toEqual(["check", "completion"]);
    expect(complete("homing init --provider por")).toEqual(["porkbun"]);
    expect(complete("homing init --provider cloudfl")).toEqual(["cloudflare"]);
    expect(complete("homing run --d")).toEqual(["--dry-run"]);
    expect(complete("homing check --d")).toEqual([]);
    expect(complete("homing --log-format j")).toEqual(["json"]);
    expect(complete("homing completion z")).toEqual(["zsh"]);
    expect(complete("homing help ini")).toEqual(["init"]);
    expect(complete(`homing status -c ${world.configPath} w`)).toEqual(["www.example.com"]);
    expect(complete(`homing status -c ${world.configPath} `).sort()).toEqual(
      [NAME, "www.example.com"].sort(),
    );
    // Completing names never reaches the provider.
    expect(world.requests()).toEqual([]);
  });

  for (const [shell, check] of [
    ["zsh", ["zsh", "-n"]],
    ["fish", ["fish", "--no-execute"]],
  ] as const) {
    it(`the ${shell} script is generated and parses`, async (context) => {
      const world = await startWorld();
      const script = await world.raw(["completion", shell]);
      expect(script.code).toBe(0);
      expect(script.stdout).toContain("porkbun");
      expect(script.stdout).toContain("records --names");
      for (const command of COMMAND_HELP) expect(script.stdout).toContain(command.name);
      context.skip(!which(shell), `${shell} is not installed: the script was generated but not parsed`);
      const file = join(world.dir, `homing.${shell}`);
      await writeFile(file, script.stdout);
      const parsed = spawnSync(check[0], [...check.slice(1), file], { encoding: "utf8" });
      expect(parsed.stderr).toBe("");
      expect(parsed.status).toBe(0);
    });
  }

  it("an unknown shell is a usage error", async () => {
    const home = (await startWorld()).dir;
    const result = await runCli(["completion", "tcsh"], home);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bash, zsh, fish/);
  });
});
