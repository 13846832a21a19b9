/**
 * Soak: a real `homing daemon` process runs thousands of rounds back to back against the local
 * DreamHost emulator and echo sources, with address changes and injected API failures, while this
 * script samples the daemon's resident memory and open file descriptors from /proc. Flat numbers
 * at the end mean no leak of memory, sockets, timers' handles or files across rounds.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDreamHostEmulator } from "../test/emulators/dreamhost.ts";
import { startEcho } from "../test/emulators/ip-echo.ts";

export interface SoakOptions {
  bin: string;
  env: NodeJS.ProcessEnv;
  rounds: number;
  /** Change the published address every this many rounds. */
  changeEvery: number;
  /** Inject one API failure every this many rounds. */
  failEvery: number;
}

interface Sample {
  round: number;
  rssKiB: number;
  fds: number;
}

function sampleProcess(pid: number, round: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return { round, rssKiB: rss, fds: readdirSync(`/proc/${pid}/fd`).length };
}

export async function runSoak(options: SoakOptions): Promise<string> {
  const key = "SOAKKEY000000001";
  const dh = await startDreamHostEmulator({
    keys: { [key]: { accountIds: ["1"], cmds: "*" } },
    zones: [{ accountId: "1", zone: "example.com" }],
    records: [],
    rateLimits: [],
  });
  const answers = ["81.2.69.142", "81.2.69.160"];
  const echoes = await Promise.all([0, 1, 2].map(() => startEcho({ answer: answers[0] as string })));
  // State is rewritten (with fsync) after every round; on tmpfs that measures homing, not the disk.
  const dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "homing-soak-"));
  const keyPath = join(dir, "dh.key");
  await writeFile(keyPath, key);
  await chmod(keyPath, 0o600);
  const configPath = join(dir, "homing.toml");
  await writeFile(
    configPath,
    [
      `state_dir = ${JSON.stringify(join(dir, "state"))}`,
      'recheck = "1h"',
      "[daemon]",
      'interval = "1ms"',
      'jitter = "0s"',
      // Failures are injected on purpose: retry at once instead of backing off for 30 s.
      'max_backoff = "1ms"',
      "[detect.ipv4]",
      `sources = [${echoes.map((e) => JSON.stringify(e.url)).join(", ")}]`,
      "quorum = 2",
      "[providers.dh]",
      'type = "dreamhost"',
      `endpoint = ${JSON.stringify(dh.url)}`,
      `api_key_file = ${JSON.stringify(keyPath)}`,
      'timeout = "2s"',
      "[[records]]",
      'name = "home.example.com"',
      'provider = "dh"',
      "[[records]]",
      'name = "nas.example.com"',
      'provider = "dh"',
      "",
    ].join("\n"),
  );

  const child = spawn(process.execPath, [options.bin, "daemon", "-c", configPath, "-v"], {
    env: options.env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const samples: Sample[] = [];
  let rounds = 0;
  let changes = 0;
  let failures = 0;
  let tail = "";
  const started = performance.now();
  const finished = new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      const text = tail + chunk;
      const lines = text.split("\n");
      tail = lines.pop() ?? "";
      for (const line of lines) {
        if (line.includes(" -> ")) changes++;
        if (line.startsWith("error: home.") || line.startsWith("error: nas.")) failures++;
        if (!line.startsWith("public IPv4 address is")) continue;
        rounds++;
        if (rounds % Math.max(1, Math.floor(options.rounds / 10)) === 0) {
          samples.push(sampleProcess(child.pid as number, rounds));
        }
        if (rounds % options.changeEvery === 0) {
          const next = answers[(rounds / options.changeEvery) % 2] as string;
          for (const echo of echoes) echo.set({ answer: next });
        }
        if (rounds % options.failEvery === 0) {
          const kinds = ["api_error", "reset", "garbage"] as const;
          const kind = kinds[(rounds / options.failEvery) % kinds.length] as (typeof kinds)[number];
          dh.addFault(
            kind === "api_error"
              ? { kind, code: "internal_error_could_not_add_record", times: 3 }
              : { kind, times: 3 },
          );
        }
        if (rounds >= options.rounds) {
          child.kill("SIGTERM");
          resolve();
        }
      }
    });
    child.on("exit", (code) => {
      if (rounds < options.rounds)
        reject(new Error(`the daemon exited early (code ${code}) after ${rounds} rounds`));
    });
  });
  try {
    await finished;
    const exitCode = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.on("exit", (code) => resolve(code));
    });
    const seconds = (performance.now() - started) / 1000;
    // V8 grows its heap lazily for a while, then settles; a leak keeps growing. So the verdict
    // compares the second half of the run (the third quarter against the last quarter), after the
    // heap had half the run to reach its working size.
    const half = samples.slice(Math.floor(samples.length / 2));
    const split = Math.floor(half.length / 2);
    const mean = (list: Sample[], pick: (s: Sample) => number) =>
      list.reduce((a, s) => a + pick(s), 0) / list.length;
    const early = half.slice(0, split);
    const late = half.slice(split);
    const first = samples[0] as Sample;
    const last = samples[samples.length - 1] as Sample;
    const rows = samples.map(
      (s) =>
        `  ${String(s.round).padStart(6)}  ${String(s.rssKiB).padStart(8)}  ${String(s.fds).padStart(4)}`,
    );
    const rssGrowth =
      ((mean(late, (s) => s.rssKiB) - mean(early, (s) => s.rssKiB)) / mean(early, (s) => s.rssKiB)) * 100;
    const fdGrowth = mean(late, (s) => s.fds) - mean(early, (s) => s.fds);
    const verdict = fdGrowth <= 0.5 && rssGrowth < 15 ? "PASS" : "WARN";
    return [
      `Soak: ${rounds} daemon rounds in ${seconds.toFixed(1)} s (${(rounds / seconds).toFixed(0)} rounds/s), ` +
        `${changes} published changes, ${failures} record failures from injected faults, ` +
        `${dh.requests.length} API calls; SIGTERM exit code ${exitCode}.`,
      "   round  RSS KiB   fds",
      ...rows,
      `start ${first.rssKiB} KiB / ${first.fds} fds, end ${last.rssKiB} KiB / ${last.fds} fds; ` +
        `mean RSS of the last quarter vs the third quarter: ${rssGrowth >= 0 ? "+" : ""}${rssGrowth.toFixed(1)}%, ` +
        `fds ${fdGrowth >= 0 ? "+" : ""}${fdGrowth.toFixed(1)}: ${verdict} (flat = no fd growth, RSS within 15%)`,
    ].join("\n");
  } finally {
    child.kill("SIGKILL");
    await dh.close();
    await Promise.all(echoes.map((e) => e.close()));
    await rm(dir, { recursive: true, force: true });
  }
}
