/**
 * `homing daemon` as a real process: the first round at launch, scheduled rounds, the cache in
 * steady state, signals (SIGUSR1 round now, SIGHUP reload incl. an invalid config, SIGTERM clean
 * stop), and the shared lock with cron runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanEnv, closeAllWorlds, IP1, IP2, NAME, startWorld, type World } from "../support/harness.ts";

afterEach(closeAllWorlds);

interface DaemonProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the output matches (or rejects after `timeoutMs`). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

function startDaemon(world: World, args: string[] = []): DaemonProcess {
  const child = spawn(process.execPath, [BIN, "daemon", "-c", world.configPath, "-v", ...args], {
    cwd: world.dir,
    env: cleanEnv(world.dir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let text = "";
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 10_000) {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

function countMatches(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

function daemonConfig(world: World, daemonToml: string): Promise<void> {
  delete world.spec.topLevelExtra;
  return world.writeConfig().then(async () => {
    const text = await readFile(world.configPath, "utf8");
    await writeFile(world.configPath, `${text}\n[daemon]\n${daemonToml}\n`);
  });
}

describe("homing daemon", () => {
  it("runs the first round at launch, then on schedule, and stays silent toward the API while nothing changes", async () => {
    const world = await startWorld();
    await daemonConfig(world, 'interval = "1s"\njitter = "0s"');
    const daemon = startDaemon(world);

    await daemon.waitFor(new RegExp(`${NAME} A created ${IP1}`));
    const afterCreate = world.requests().length;
    // Several scheduled rounds: each detects, none calls the provider (cache, recheck 1h).
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(countMatches(daemon.output(), /public IPv4 address is/)).toBeGreaterThanOrEqual(3);
    expect(world.requests().length).toBe(afterCreate);
    // At -v each round says why the provider was not asked (issue 13).
    expect(
      countMatches(
        daemon.output(),
        /home\.example\.com A \(dh\): cached 81\.2\.69\.142 from (just now|\d+s ago) matches the detected address; provider not asked/,
      ),
    ).toBeGreaterThanOrEqual(3);

    // The address changes: the next scheduled round publishes it, adding before removing.
    for (const echo of world.echoes4) echo.set({ answer: IP2 });
    await daemon.waitFor(new RegExp(`${NAME} A ${IP1} -> ${IP2}`));
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect(daemon.output()).toMatch(/stopped/);
    expect(existsSync(join(world.stateDir, "homing.lock"))).toBe(false);
    const state = await world.state();
    expect(state.records[`dh/${NAME}/A`]).toMatchObject({ published: IP2, lastResult: "updated" });
  });

  it("holds the same lock as cron runs: `homing run` exits 75 while the daemon runs", async () => {
    const world = await startWorld();
    await daemonConfig(world, 'interval = "1h"');
    const daemon = startDaemon(world);
    await daemon.waitFor(/created/);

    const cron = await world.run("run");

    expect(cron.code).toBe(75);
    expect(cron.stderr).toMatch(/another homing run \(pid \d+\) holds the lock/);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect((await world.run("run")).code).toBe(0);
  });

  it("SIGUSR1 runs a round now; SIGHUP reloads, and keeps the old config when the new one is invalid", async () => {
    const world = await startWorld();
    await daemonConfig(world, 'interval = "1h"');
    const daemon = startDaemon(world);
    await daemon.waitFor(/created/);

    for (const echo of world.echoes4) echo.set({ answer: IP2 });
    daemon.child.kill("SIGUSR1");
    await daemon.waitFor(new RegExp(`${IP1} -> ${IP2}`));

    const good = await readFile(world.configPath, "utf8");
    await writeFile(world.configPath, `${good}\nbogus_key = 1\n`);
    daemon.child.kill("SIGHUP");
    await daemon.waitFor(
      /config reload failed, still running on the previous config: .*bogus_key: unknown key/,
    );
    expect(daemon.child.exitCode).toBeNull();

    await writeFile(
      world.configPath,
      `${good}\n[[records]]\nname = "nas.example.com"\nprovider = "dh"\n`.replace("[daemon]", "[daemon]\n"),
    );
    daemon.child.kill("SIGHUP");
    await daemon.waitFor(/config reloaded: 2 record\(s\)/);
    daemon.child.kill("SIGUSR1");
    await daemon.waitFor(new RegExp(`nas.example.com A created ${IP2}`));

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });

  it("stops within the shutdown timeout even when a provider call hangs", async () => {
    const world = await startWorld({
      providerTimeout: "60s",
      faults: [{ kind: "hang", cmd: "dns-list_records" }],
    });
    await daemonConfig(world, 'interval = "1h"\nshutdown_timeout = "1s"');
    const daemon = startDaemon(world);
    await new Promise((resolve) => setTimeout(resolve, 800));

    const stopAt = Date.now();
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(6000);
    expect(daemon.output()).toMatch(/stopping/);
    expect(existsSync(join(world.stateDir, "homing.lock"))).toBe(false);
  });

  it("refuses an invalid cron expression at start with exit code 2", async () => {
    const world = await startWorld();
    await daemonConfig(world, 'cron = "every tuesday"');
    const daemon = startDaemon(world);
    expect(await daemon.exited).toBe(2);
    expect(daemon.output()).toMatch(/daemon\.cron: "every tuesday" is not a cron expression/);
  });
});
