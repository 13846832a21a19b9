/**
 * "Light": a cron run with nothing to do loads no more of Node than it needs. node:crypto (config
 * fingerprints, TSIG) and node:dns (lookups, resolver settings) are for runs that are about to
 * send a request or check a halt, never for an unchanged run. A preload (`--require`) writes
 * `process.moduleLoadList`, Node's own list of the built-in modules it loaded, at exit; the test
 * reads it back. No timing here: the time this saves is measured by `npm run bench`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDuckDnsEmulator } from "../emulators/duckdns.ts";
import { startDyndns2Emulator } from "../emulators/dyndns2.ts";
import { IP2, NAME, type RunResult, startWorld, type TestHooks } from "../support/harness.ts";
import { canarySecret, startUpdateUrlWorld } from "../support/update-url-world.ts";

/** The preload, writing to `out` (a path in the file itself: homing refuses unknown HOMING_* variables). */
const preloadSource = (out: string) => `
"use strict";
process.once("exit", () => {
  require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList));
});
`;

/** The built-in modules a run loaded, as `NativeModule <id>` / `Internal Binding <id>` entries. */
async function runRecordingModules(
  run: (env: Record<string, string>) => Promise<RunResult>,
  dir: string,
): Promise<{ result: RunResult; modules: string[] }> {
  const preload = join(dir, "module-list-preload.cjs");
  const listPath = join(dir, "module-list.json");
  await writeFile(preload, preloadSource(listPath));
  const result = await run({ NODE_OPTIONS: `--require ${preload}` });
  const modules = JSON.parse(await readFile(listPath, "utf8")) as string[];
  return { result, modules };
}

/**
 * The crypto and dns modules (public and internal) among `modules`. internal/dns/utils is not one:
 * Node's own bootstrap loads it for every program (`node file.js` with an empty file does).
 */
function heavy(modules: readonly string[]): string[] {
  return modules.filter((entry) =>
    /^NativeModule (crypto|dns|dns\/promises|internal\/crypto\/.*|internal\/dns\/(?!utils$).*)$/.test(entry),
  );
}

/** A No-IP (dyndns2) world with one name and a resolver configured. */
async function startNoip(onTestFinished: TestHooks["onTestFinished"]) {
  const password = canarySecret();
  const emu = await startDyndns2Emulator({
    behaviour: { preset: "noip" },
    accounts: [{ username: "homing-user", password, hosts: [NAME] }],
  });
  onTestFinished(() => emu.close());
  const world = await startUpdateUrlWorld(
    {
      providerId: "noip",
      type: "dyndns2",
      provider: ({ secretPath, resolver }) => ({
        preset: "noip",
        server: emu.url,
        username: "homing-user",
        password_file: secretPath,
        resolver,
        timeout: "5s",
      }),
      secret: password,
      records: [{ name: NAME }],
      lookup: (name, type) => emu.lookup(name, type),
    },
    { onTestFinished },
  );
  return { emu, world };
}

describe("an unchanged cron run loads neither node:crypto nor node:dns", () => {
  it("dyndns2 (a resolver configured): the state answers, so no fingerprint and no DNS", async ({
    onTestFinished,
  }) => {
    const { emu, world } = await startNoip(onTestFinished);
    expect((await world.run("run")).code).toBe(0);
    const requests = emu.requests.length;

    const { result, modules } = await runRecordingModules((env) => world.run("run", [], { env }), world.dir);

    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(emu.requests).toHaveLength(requests);
    // The preload really ran inside homing: the list holds what any run loads.
    expect(modules).toContain("NativeModule fs");
    expect(modules.some((entry) => /^NativeModule (_)?http$/.test(entry))).toBe(true);
    expect(heavy(modules)).toEqual([]);
  });

  it("DuckDNS (a resolver configured): the same", async ({ onTestFinished }) => {
    const token = canarySecret();
    const name = "home.duckdns.org";
    const emu = await startDuckDnsEmulator({ accounts: { [token]: ["home"] } });
    onTestFinished(() => emu.close());
    const world = await startUpdateUrlWorld(
      {
        providerId: "duck",
        type: "duckdns",
        provider: ({ secretPath, resolver }) => ({
          endpoint: emu.url,
          token_file: secretPath,
          resolver,
          timeout: "5s",
        }),
        secret: token,
        records: [{ name }],
        lookup: (host, type) => emu.lookup(host, type),
      },
      { onTestFinished },
    );
    expect((await world.run("run")).code).toBe(0);
    const requests = emu.requests.length;

    const { result, modules } = await runRecordingModules((env) => world.run("run", [], { env }), world.dir);

    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(emu.requests).toHaveLength(requests);
    expect(modules).toContain("NativeModule fs");
    expect(heavy(modules)).toEqual([]);
  });

  it("DreamHost: the state answers, so no fingerprint", async ({ onTestFinished }) => {
    const world = await startWorld({}, { onTestFinished });
    expect((await world.run("run")).code).toBe(0);
    const calls = world.requests().length;

    const { result, modules } = await runRecordingModules((env) => world.run("run", [], { env }), world.dir);

    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(world.requests()).toHaveLength(calls);
    expect(modules).toContain("NativeModule fs");
    expect(heavy(modules)).toEqual([]);
  });

  it("the instrumentation sees them when a run needs them: --force looks the name up, a change sends", async ({
    onTestFinished,
  }) => {
    const { emu, world } = await startNoip(onTestFinished);
    expect((await world.run("run")).code).toBe(0);

    const forced = await runRecordingModules((env) => world.run("run", ["--force"], { env }), world.dir);
    expect(forced.result.code).toBe(0);
    expect(forced.modules).toContain("NativeModule dns/promises");

    world.setIpv4(IP2);
    const changed = await runRecordingModules((env) => world.run("run", [], { env }), world.dir);
    expect(changed.result.stderr).toBe("");
    expect(changed.result.code).toBe(0);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP2 });
  });
});
