/**
 * Soak: a real `homing daemon` process runs thousands of rounds back to back against the local
 * DreamHost emulator and echo sources, with address changes and injected API failures, while this
 * script samples the daemon's resident memory and open file descriptors from /proc. Flat numbers
 * at the end mean no leak of memory, sockets, timers' handles or files across rounds.
 *
 * The daemon is started as a user or a service file starts it, `node bin/homing daemon`: the
 * launcher sets the daemon's memory flags itself (docs/design.md, "Memory"). The verdict: at most
 * 40 MiB RSS in the last quarter of the rounds, and flat: the last quarter's mean within 5% of the
 * second's (the first quarter is V8 settling). Next to it, measured in the same run, the RSS of an
 * idle Node process that loaded node:http: the floor no Node daemon goes below.
 *
 *   tsx scripts/bench-soak.ts [--rounds N] [-- NODE_FLAG...]   (extra node flags: for experiments)
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
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
  /** Extra flags for the daemon's node, before bin/homing (experiments only). */
  nodeArgs?: readonly string[];
}

/** The verdict's limits. */
const MAX_RSS_MIB = 40;
const MAX_DRIFT_PERCENT = 5;
/** Samples over the whole run; each quarter holds a quarter of them. */
const SAMPLES = 100;

interface Sample {
  round: number;
  rssKiB: number;
  /** Private memory (V8 heap, malloc, stacks): RSS less the mapped pages of node and its libraries. */
  anonKiB: number;
  fds: number;
}

function sampleProcess(pid: number, round: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return {
    round,
    rssKiB: field("VmRSS"),
    anonKiB: field("RssAnon"),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

/** A Node process that loaded node:http and then sits idle: the floor of any Node daemon. */
async function idleNodeFloor(env: NodeJS.ProcessEnv): Promise<Sample> {
  const script = 'require("node:http"); process.stdout.write("ready\\n"); setTimeout(() => {}, 60000);';
  const child = spawn(process.execPath, ["-e", script], { env, stdio: ["ignore", "pipe", "ignore"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`the idle node exited early (code ${code})`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    return sampleProcess(child.pid as number, 0);
  } finally {
    child.kill("SIGKILL");
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);
const signed = (value: number, digits = 1) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;

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

  const floor = await idleNodeFloor(options.env);
  const nodeArgs = options.nodeArgs ?? [];
  const child = spawn(process.execPath, [...nodeArgs, options.bin, "daemon", "-c", configPath, "-v"], {
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
        if (rounds % Math.max(1, Math.floor(options.rounds / SAMPLES)) === 0) {
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
    const quarters = [0, 1, 2, 3].map((q) =>
      samples.filter((s) => s.round > (q * options.rounds) / 4 && s.round <= ((q + 1) * options.rounds) / 4),
    );
    const mean = (list: Sample[], pick: (s: Sample) => number) =>
      list.reduce((sum, s) => sum + pick(s), 0) / list.length;
    const max = (list: Sample[], pick: (s: Sample) => number) => Math.max(...list.map(pick));
    const header = ["quarter (rounds)", "RSS mean", "RSS max", "anon mean", "fds"];
    const rows = quarters.map((list, q) => [
      `Q${q + 1} (${Math.floor((q * options.rounds) / 4) + 1}-${Math.floor(((q + 1) * options.rounds) / 4)})`,
      mib(mean(list, (s) => s.rssKiB)),
      mib(max(list, (s) => s.rssKiB)),
      mib(mean(list, (s) => s.anonKiB)),
      mean(list, (s) => s.fds).toFixed(1),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: string[]) =>
      `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ")}`;

    const second = quarters[1] as Sample[];
    const last = quarters[3] as Sample[];
    const lastRss = mean(last, (s) => s.rssKiB);
    const drift = ((lastRss - mean(second, (s) => s.rssKiB)) / mean(second, (s) => s.rssKiB)) * 100;
    const fdGrowth = mean(last, (s) => s.fds) - mean(second, (s) => s.fds);
    const lastMax = max(last, (s) => s.rssKiB);
    const small = lastMax <= MAX_RSS_MIB * 1024;
    const flat = Math.abs(drift) <= MAX_DRIFT_PERCENT && fdGrowth <= 0.5;
    const launch = ["node", ...nodeArgs, "bin/homing daemon"].join(" ");
    return [
      `Soak: ${rounds} rounds of \`${launch}\` (interval 1ms) in ${seconds.toFixed(1)} s ` +
        `(${(rounds / seconds).toFixed(0)} rounds/s), ${changes} published changes, ${failures} record failures ` +
        `from injected faults, ${dh.requests.length} API calls; SIGTERM exit code ${exitCode}.`,
      `Resident memory by quarter of the rounds, MiB (${samples.length} samples of /proc/PID/status; ` +
        "anon = RSS less the mapped pages of node's binary and libraries):",
      line(header),
      line(widths.map((w) => "-".repeat(w))),
      ...rows.map(line),
      `  idle node (node:http loaded, same run): RSS ${mib(floor.rssKiB)}, anon ${mib(floor.anonKiB)}; ` +
        `daemon's last quarter / idle node: RSS ${(lastRss / floor.rssKiB).toFixed(2)}x, ` +
        `anon ${(mean(last, (s) => s.anonKiB) / floor.anonKiB).toFixed(2)}x`,
      `Verdict: RSS at most ${mib(lastMax)} MiB in the last quarter (limit ${MAX_RSS_MIB}): ${small ? "PASS" : "WARN"}; ` +
        `last quarter vs second: RSS ${signed(drift)}%, fds ${signed(fdGrowth)} ` +
        `(flat: within ${MAX_DRIFT_PERCENT}%, no fd growth): ${flat ? "PASS" : "WARN"}`,
      ...(floor.rssKiB > MAX_RSS_MIB * 1024
        ? [
            `Note: on this machine an idle node alone is above ${MAX_RSS_MIB} MiB (${mib(floor.rssKiB)}, of which ` +
              `${mib(floor.rssKiB - floor.anonKiB)} are pages of the node binary and its libraries): read the ratios.`,
          ]
        : []),
    ].join("\n");
  } finally {
    child.kill("SIGKILL");
    await dh.close();
    await Promise.all(echoes.map((e) => e.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

// Standalone, to try flags: `tsx scripts/bench-soak.ts --rounds 4000 -- --max-old-space-size=16`.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    options: { rounds: { type: "string", default: "10000" } },
    allowPositionals: true,
  });
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  runSoak({
    bin: fileURLToPath(new URL("../bin/homing", import.meta.url)),
    env,
    rounds: Number(values.rounds),
    changeEvery: 25,
    failEvery: 100,
    nodeArgs: positionals,
  }).then(
    (text) => process.stdout.write(`${text}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
