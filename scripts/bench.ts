/**
 * `npm run bench`: how long a cron-style `homing run` takes when nothing changed, next to the
 * floor every Node program pays (`node -e 0`) and next to its peers on the same job (Debian's
 * ddclient and inadyn against the same dyndns2 emulator), all in one interleaved table with ratios
 * to medians of the same run. Everything is local: the DreamHost and dyndns2 emulators, IP echo
 * servers and a DNS responder on 127.0.0.1, named by literal address in every tool's config, so
 * nothing is resolved through the system resolver and no packet leaves the machine.
 *
 * The benchmark is a list of named cases (setup / measure / verify / teardown), run interleaved so
 * that machine noise hits every case alike, and a list of comparisons between cases with a target
 * ratio. New cases are one more entry in CASES, and may skip themselves when a tool is not
 * installed. A target missed is a WARN, never a failure: the process exits non-zero only when a case
 * errs (bad exit code, unexpected API calls…).
 *
 * Sections besides startup: scale (1,000 records in 50 zones, 20 ms per API call: calls and time
 * per round, scripts/bench-scale.ts), peers (the same peers again, with CPU time and peak RSS,
 * scripts/bench-peers.ts; `apt-get install ddclient inadyn time` first, a missing tool is skipped),
 * soak (10,000 daemon rounds, RSS by quarter, scripts/bench-soak.ts) and chaos
 * (test/support/chaos.ts: the daemon under random faults, with an observer of the records; any
 * violation makes the bench exit 1).
 *
 * reaction (scripts/bench-reaction.ts: the median time from a kernel address change to the
 * provider's update, next to the 5-minute poll peers rely on; needs root for a network namespace).
 *
 *   tsx scripts/bench.ts [--iterations N] [--only startup,scale,peers,soak,chaos,reaction]
 *     [--reaction-changes N] [--soak-rounds N] [--chaos-rounds N] [--chaos-seed S] [--chaos-providers dreamhost,cloudflare]
 *     (--iterations: default 40, at least 30 for a meaningful median; --chaos-rounds: default
 *     2000; --chaos-seed replays the decisions of an earlier run, whose seed the report prints)
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { type DreamHostEmulator, startDreamHostEmulator } from "../test/emulators/dreamhost.ts";
import { type EchoServer, startEcho } from "../test/emulators/ip-echo.ts";
import { formatChaos, runChaos } from "../test/support/chaos.ts";
import { type PeersWorld, runPeers, startPeersWorld } from "./bench-peers.ts";
import { runReaction } from "./bench-reaction.ts";
import { runScale } from "./bench-scale.ts";
import { runSoak } from "./bench-soak.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = join(ROOT, "dist", "homing.cjs");
const BIN = join(ROOT, "bin", "homing");
/** Stop iterating (keeping what was measured) when the timed loop runs longer than this. */
const TIME_BUDGET_MS = 90_000;
const CHILD_TIMEOUT_MS = 30_000;
const WARMUP_ITERATIONS = 2;

// ---------------------------------------------------------------------------------------------------
// Framework

/** What every case gets: the environment its child processes must use. */
interface BenchContext {
  env: NodeJS.ProcessEnv;
}

interface BenchCase {
  /** Short id used in tables and comparisons. */
  name: string;
  /** One line saying what is measured. */
  description: string;
  /** Prepares the case (servers, files, warm-up). Returns a reason to skip it, e.g. a peer not installed. */
  setup(context: BenchContext): Promise<string | undefined>;
  /** One timed iteration: wall milliseconds. Throws when the iteration did not behave. */
  measure(context: BenchContext): Promise<number>;
  /** Checks after all iterations (e.g. no API call was made). Throws on a violation. */
  verify?(): Promise<void> | void;
  /** A remark for the report after the timed runs (a peer that sent updates, say). */
  note?(): string | undefined;
  /** Always called after setup, even when something failed. */
  teardown(): Promise<void>;
}

interface Comparison {
  /** Case measured. */
  subject: string;
  /** Case it is compared with. */
  baseline: string;
  /** PASS when median(subject) / median(baseline) is at most this. */
  maxRatio: number;
  label: string;
}

interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

class BenchError extends Error {
  override readonly name = "BenchError";
}

/**
 * Spawns and times one process, from spawn() to its exit with stdio closed. Asynchronous on purpose:
 * the emulators live in this process's event loop and must keep answering.
 */
function timeProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function describeFailure(what: string, result: ProcessResult): string {
  const output = `${result.stdout}${result.stderr}`.trim();
  return `${what}: exit ${result.code ?? `signal ${result.signal}`}${output ? `\n${output}` : ""}`;
}

// ---------------------------------------------------------------------------------------------------
// Cases

function bareNodeCase(): BenchCase {
  return {
    name: "node-bare",
    description: "node -e 0: the start-up floor of any Node program",
    async setup() {
      return undefined;
    },
    async measure(context) {
      const result = await timeProcess(process.execPath, ["-e", "0"], context.env);
      if (result.code !== 0) throw new BenchError(describeFailure("node -e 0", result));
      return result.ms;
    },
    async teardown() {},
  };
}

/**
 * `homing run` against the local emulators with the address unchanged: detection runs (the echo
 * servers are asked), the state file says the record is fresh, so no API call is made and nothing
 * is printed. `records` > 1 gives the scale case (names h0001.example.com, …).
 */
function homingUnchangedCase(options: { name: string; records: number }): BenchCase {
  const key = "BENCH0KEY1234567";
  const account = "123456";
  const address = "81.2.69.142";
  let emulator: DreamHostEmulator | undefined;
  const echoes: EchoServer[] = [];
  let dir: string | undefined;
  let configFile = "";
  let apiCallsBefore = 0;
  let echoHitsBefore = 0;
  let iterations = 0;
  const echoHits = () => echoes.reduce((sum, echo) => sum + echo.hits, 0);
  const names =
    options.records === 1
      ? ["home.example.com"]
      : Array.from({ length: options.records }, (_, i) => `h${String(i + 1).padStart(4, "0")}.example.com`);
  const run = async (context: BenchContext, what: string): Promise<ProcessResult> => {
    const result = await timeProcess(process.execPath, [BIN, "run", "-c", configFile], context.env);
    if (result.code !== 0) throw new BenchError(describeFailure(`${options.name}: ${what}`, result));
    return result;
  };

  return {
    name: options.name,
    description: `homing run, ${options.records} record(s), address unchanged (cache hit: detection only, no API call)`,
    async setup(context) {
      // No rate limits: warming up a large config adds many records at once.
      emulator = await startDreamHostEmulator({
        keys: { [key]: { accountIds: [account], cmds: "*" } },
        zones: [{ accountId: account, zone: "example.com" }],
        records: [],
        rateLimits: [],
      });
      for (let i = 0; i < 3; i++) echoes.push(await startEcho({ answer: address }));
      dir = await mkdtemp(join(tmpdir(), "homing-bench-"));
      const keyFile = join(dir, "dreamhost.key");
      await writeFile(keyFile, `${key}\n`, { mode: 0o600 });
      await chmod(keyFile, 0o600);
      await mkdir(join(dir, "state"), { mode: 0o700 });
      configFile = join(dir, "homing.toml");
      const toml = (text: string) => JSON.stringify(text);
      const lines = [
        `state_dir = ${toml(join(dir, "state"))}`,
        `[detect.ipv4]`,
        `sources = [${echoes.map((echo) => toml(echo.url)).join(", ")}]`,
        `quorum = 2`,
        `[providers.dh]`,
        `type = "dreamhost"`,
        `api_key_file = ${toml(keyFile)}`,
        `endpoint = ${toml(emulator.url)}`,
      ];
      for (const name of names) lines.push(`[[records]]`, `name = ${toml(name)}`, `provider = "dh"`);
      await writeFile(configFile, `${lines.join("\n")}\n`, { mode: 0o600 });

      // Warm-up 1 creates the record(s); warm-up 2 is the first cache hit.
      const first = await run(context, "warm-up run 1 (creating the records)");
      const created = emulator.records().filter((row) => row.editable === "1" && row.value === address);
      if (created.length !== names.length) {
        throw new BenchError(
          `${options.name}: warm-up run 1 should create ${names.length} record(s), the emulator holds ${created.length}\n${first.stdout}${first.stderr}`,
        );
      }
      const before = emulator.requests.length;
      await run(context, "warm-up run 2");
      if (emulator.requests.length !== before) {
        throw new BenchError(
          `${options.name}: warm-up run 2 should make no API call (address unchanged), it made ${emulator.requests.length - before}`,
        );
      }
      apiCallsBefore = emulator.requests.length;
      echoHitsBefore = echoHits();
      return undefined;
    },
    async measure(context) {
      const result = await run(context, "timed run");
      if (result.stdout !== "" || result.stderr !== "") {
        throw new BenchError(
          `${options.name}: an unchanged run should print nothing, got:\n${result.stdout}${result.stderr}`,
        );
      }
      iterations++;
      return result.ms;
    },
    verify() {
      const calls = (emulator?.requests.length ?? 0) - apiCallsBefore;
      if (calls !== 0) {
        const cmds = emulator?.requests.slice(apiCallsBefore).map((r) => r.cmd) ?? [];
        throw new BenchError(
          `${options.name}: expected 0 API calls during the timed runs, saw ${calls} (${cmds.join(", ")})`,
        );
      }
      // Proof that each timed run really detected (2 agreeing answers settle it), not a no-op.
      const hits = echoHits() - echoHitsBefore;
      if (hits < 2 * iterations) {
        throw new BenchError(
          `${options.name}: expected at least ${2 * iterations} echo requests over ${iterations} runs, saw ${hits}`,
        );
      }
    },
    async teardown() {
      await emulator?.close();
      await Promise.all(echoes.map((echo) => echo.close()));
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

// The 1,000-record config and the peers (ddclient, inadyn) are the scale and peers sections.
/**
 * A second floor: Node starting and making the two loopback HTTP requests an unchanged homing run
 * makes (quorum 2), with nothing else. The gap between this and homing is homing's own cost.
 */
function nodeHttpFloorCase(): BenchCase {
  let echoes: EchoServer[] = [];
  const script = (urls: string[]) =>
    `const http=require("node:http");let n=${urls.length};for(const u of ${JSON.stringify(urls)})` +
    `http.get(u,{agent:false},(r)=>{r.resume();r.on("end",()=>{if(--n===0)process.exit(0)})});`;
  let source = "";
  return {
    name: "node-http-floor",
    description: "node -e: two loopback HTTP GETs, the network work of an unchanged run, nothing else",
    async setup() {
      echoes = await Promise.all([
        startEcho({ answer: "81.2.69.142" }),
        startEcho({ answer: "81.2.69.142" }),
      ]);
      source = script(echoes.map((e) => e.url));
      return undefined;
    },
    async measure(context) {
      const result = await timeProcess(process.execPath, ["-e", source], context.env);
      if (result.code !== 0) throw new BenchError(describeFailure("node -e (http floor)", result));
      return result.ms;
    },
    async teardown() {
      await Promise.all(echoes.map((e) => e.close()));
    },
  };
}

/**
 * The peers on the same job: homing (dyndns2), ddclient and inadyn, one host name each at one
 * dyndns2 emulator, the address unchanged (scripts/bench-peers.ts starts them and warms them up).
 * The three cases share one world: the first setup starts it, the last teardown closes it.
 */
function peerCases(): BenchCase[] {
  let world: Promise<PeersWorld> | undefined;
  let users = 0;
  const acquire = (context: BenchContext) => {
    users++;
    world ??= startPeersWorld(context.env);
    return world;
  };
  const release = async () => {
    users--;
    if (users === 0 && world) {
      const closing = world;
      world = undefined;
      await (await closing).close();
    }
  };
  const peers = [
    { tool: "homing", name: "homing-dyndns2", what: "homing run, dyndns2 (cache hit: one echo request)" },
    { tool: "ddclient", name: "ddclient", what: "ddclient -daemon=0 (Perl), same dyndns2 job" },
    { tool: "inadyn", name: "inadyn", what: "inadyn --once (C), same dyndns2 job" },
  ];
  return peers.map((peer): BenchCase => {
    let started: PeersWorld | undefined;
    let updatesBefore = 0;
    const tool = () => started?.tools.find((candidate) => candidate.name === peer.tool);
    const updates = () => {
      const found = tool();
      return found && started ? started.updatesFor(found.host) - updatesBefore : 0;
    };
    return {
      name: peer.name,
      description: peer.what,
      async setup(context) {
        started = await acquire(context);
        const found = tool();
        if (!found) {
          return started.skipped.find((reason) => reason.startsWith(peer.tool)) ?? "not installed";
        }
        updatesBefore = started.updatesFor(found.host);
        return undefined;
      },
      async measure(context) {
        const found = tool();
        if (!found) throw new BenchError(`${peer.name}: not set up`);
        const [command, ...args] = found.command as [string, ...string[]];
        const result = await timeProcess(command, args, found.env ?? context.env);
        if (result.code !== 0) throw new BenchError(describeFailure(`${peer.name}: timed run`, result));
        if (peer.tool === "homing" && `${result.stdout}${result.stderr}` !== "") {
          throw new BenchError(
            `${peer.name}: an unchanged run should print nothing, got:\n${result.stdout}${result.stderr}`,
          );
        }
        return result.ms;
      },
      verify() {
        if (peer.tool === "homing" && updates() !== 0) {
          throw new BenchError(
            `${peer.name}: sent ${updates()} update(s) during the timed runs, expected none`,
          );
        }
      },
      note() {
        const sent = updates();
        return sent === 0 ? undefined : `${peer.name} sent ${sent} update request(s) during the timed runs`;
      },
      async teardown() {
        started = undefined;
        await release();
      },
    };
  });
}

const CASES: BenchCase[] = [
  bareNodeCase(),
  nodeHttpFloorCase(),
  homingUnchangedCase({ name: "homing-dreamhost", records: 1 }),
  ...peerCases(),
];

/** The case every other one is also shown against, and the peer homing must beat. */
const FLOOR_CASE = "node-bare";
const PEER_CASE = "ddclient";

const COMPARISONS: Comparison[] = [
  {
    subject: "homing-dreamhost",
    baseline: "node-bare",
    maxRatio: 1.5,
    label: "within 1.5x of bare Node start",
  },
  {
    subject: "homing-dyndns2",
    baseline: "node-bare",
    maxRatio: 1.5,
    label: "within 1.5x of bare Node start",
  },
  {
    subject: "homing-dreamhost",
    baseline: "node-http-floor",
    maxRatio: 1.5,
    label: "within 1.5x of Node making the same two HTTP requests",
  },
  {
    subject: "homing-dyndns2",
    baseline: "ddclient",
    maxRatio: 1,
    label: "faster than ddclient on the same job",
  },
  {
    subject: "homing-dreamhost",
    baseline: "ddclient",
    maxRatio: 1,
    label: "faster than ddclient (DreamHost: three echo sources, quorum 2)",
  },
  {
    subject: "homing-dyndns2",
    baseline: "inadyn",
    maxRatio: Number.POSITIVE_INFINITY,
    label: "for reference: inadyn is a C program",
  },
];

// ---------------------------------------------------------------------------------------------------
// Statistics and output

interface Stats {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] ?? Number.NaN;
  const b = sorted[high] ?? Number.NaN;
  return a + (b - a) * (position - low);
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  // First column left-aligned, the rest (numbers) right-aligned.
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const ms = (value: number) => value.toFixed(1);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Newest source file under src/, to flag a bundle older than the code it claims to be. */
function newestSource(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".test.ts")) continue;
    const path = join(entry.parentPath, entry.name);
    const mtimeMs = statSync(path).mtimeMs;
    if (!newest || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------------
// Main

const SECTIONS = ["startup", "scale", "peers", "soak", "chaos", "reaction"] as const;
type Section = (typeof SECTIONS)[number];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      iterations: { type: "string", default: "40" },
      only: { type: "string" },
      "soak-rounds": { type: "string", default: "10000" },
      "chaos-rounds": { type: "string", default: "2000" },
      "chaos-seed": { type: "string" },
      "chaos-providers": { type: "string" },
      "reaction-changes": { type: "string", default: "10" },
    },
    strict: true,
  });
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new BenchError(`bad --iterations: ${values.iterations}`);
  const only = (values.only ?? SECTIONS.join(",")).split(",").map((s) => s.trim());
  for (const name of only) {
    if (!SECTIONS.includes(name as Section)) {
      throw new BenchError(`unknown section "${name}" in --only; sections: ${SECTIONS.join(", ")}`);
    }
  }

  if (!existsSync(BUNDLE)) {
    process.stdout.write("dist/homing.cjs is missing: building it (node scripts/build.mjs)\n");
    const build = await timeProcess(process.execPath, ["scripts/build.mjs"], process.env);
    if (build.code !== 0) throw new BenchError(describeFailure("node scripts/build.mjs", build));
  }

  // Child environment: NODE_EXTRA_CA_CERTS makes every Node process parse a CA bundle at start-up,
  // which is a property of this machine, not of homing. HOMING_* would change the config.
  const env: NodeJS.ProcessEnv = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(process.env)) {
    if (name === "NODE_EXTRA_CA_CERTS" || name === "NODE_OPTIONS" || name.startsWith("HOMING_")) {
      removed.push(name);
    } else {
      env[name] = value;
    }
  }
  const context: BenchContext = { env };

  process.stdout.write(`homing bench: ${process.version}, ${process.platform}/${process.arch}\n`);
  process.stdout.write(
    `Child environment: NODE_EXTRA_CA_CERTS, NODE_OPTIONS and HOMING_* removed (${removed.length ? `removed here: ${removed.join(", ")}` : "none were set"}); ` +
      "NODE_EXTRA_CA_CERTS makes every Node start parse a CA bundle (tens of ms), a cost of the machine, not of homing.\n",
  );
  if (only.includes("startup")) await startupSection(iterations, context);
  if (only.includes("scale")) {
    process.stdout.write("\n== scale ==\n");
    process.stdout.write(`${await runScale({ bin: BIN, env })}\n`);
  }
  if (only.includes("peers")) {
    process.stdout.write("\n== peers ==\n");
    process.stdout.write(`${await runPeers({ bin: BIN, env })}\n`);
  }
  if (only.includes("soak")) {
    process.stdout.write("\n== soak ==\n");
    const rounds = Number(values["soak-rounds"]);
    process.stdout.write(`${await runSoak({ bin: BIN, env, rounds, changeEvery: 25, failEvery: 100 })}\n`);
  }
  if (only.includes("reaction")) {
    process.stdout.write("\n== reaction ==\n");
    const changes = Number(values["reaction-changes"]);
    if (!Number.isInteger(changes) || changes < 1)
      throw new BenchError(`bad --reaction-changes: ${values["reaction-changes"]}`);
    process.stdout.write(`${await runReaction({ env, changes })}\n`);
  }
  let exitCode = 0;
  if (only.includes("chaos")) {
    process.stdout.write("\n== chaos ==\n");
    const rounds = Number(values["chaos-rounds"]);
    if (!Number.isInteger(rounds) || rounds < 1)
      throw new BenchError(`bad --chaos-rounds: ${values["chaos-rounds"]}`);
    const seed = values["chaos-seed"] === undefined ? undefined : Number(values["chaos-seed"]);
    if (seed !== undefined && !Number.isInteger(seed))
      throw new BenchError(`bad --chaos-seed: ${values["chaos-seed"]}`);
    const providers = (values["chaos-providers"] ?? "dreamhost,cloudflare").split(",").map((p) => p.trim());
    for (const provider of providers) {
      if (provider !== "dreamhost" && provider !== "cloudflare")
        throw new BenchError(
          `unknown provider "${provider}" in --chaos-providers; known: dreamhost, cloudflare`,
        );
      const report = await runChaos({
        provider,
        rounds,
        env,
        bin: BIN,
        ...(seed !== undefined ? { seed } : {}),
        progress: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(`${formatChaos(report)}\n\n`);
      if (report.violationCount > 0) {
        process.stdout.write(
          `FAIL: the chaos soak (${provider}) found violations (see above); the exit code is 1.\n`,
        );
        exitCode = 1;
      }
    }
  }
  process.stdout.write(
    "\nA WARN is a signal to look, not a failure: only errors and chaos violations make the exit code non-zero.\n",
  );
  return exitCode;
}

async function startupSection(iterations: number, context: BenchContext): Promise<void> {
  process.stdout.write("\n== startup ==\n");

  const active: BenchCase[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  const samples = new Map<string, number[]>();
  let failure: unknown;
  try {
    for (const benchCase of CASES) {
      // Registered before setup so a half-done setup is torn down too.
      active.push(benchCase);
      const skip = await benchCase.setup(context);
      if (skip !== undefined) {
        active.pop();
        await benchCase.teardown();
        skipped.push({ name: benchCase.name, reason: skip });
      } else {
        samples.set(benchCase.name, []);
      }
    }
    for (let i = 0; i < WARMUP_ITERATIONS; i++) for (const c of active) await c.measure(context);

    // Interleaved, with the order rotated each round so no case always runs right after another.
    const started = performance.now();
    let done = 0;
    for (; done < iterations; done++) {
      if (performance.now() - started > TIME_BUDGET_MS) {
        process.stdout.write(
          `Time budget of ${TIME_BUDGET_MS / 1000} s reached: stopping after ${done} rounds.\n`,
        );
        break;
      }
      for (let k = 0; k < active.length; k++) {
        const c = active[(done + k) % active.length] as BenchCase;
        samples.get(c.name)?.push(await c.measure(context));
      }
    }
    for (const c of active) await c.verify?.();
  } catch (error) {
    failure = error;
  } finally {
    for (const c of active) await c.teardown().catch(() => {});
  }
  if (failure !== undefined) throw failure;

  // Report ------------------------------------------------------------------------------------------
  const byName = new Map<string, Stats>();
  for (const c of active) byName.set(c.name, stats(samples.get(c.name) ?? []));
  const versus = (name: string, baseline: string) => {
    const subject = byName.get(name);
    const base = byName.get(baseline);
    return subject && base ? `${(subject.median / base.median).toFixed(2)}x` : "-";
  };
  const rows: string[][] = [];
  for (const c of active) {
    const s = byName.get(c.name) as Stats;
    rows.push([
      c.name,
      String(s.n),
      ms(s.min),
      ms(s.median),
      ms(s.p90),
      ms(s.max),
      versus(c.name, FLOOR_CASE),
      versus(c.name, PEER_CASE),
    ]);
  }
  process.stdout.write("\nCases (wall time from spawn to exit, interleaved runs, after ");
  process.stdout.write(
    `${WARMUP_ITERATIONS} untimed warm-up rounds; every child without NODE_EXTRA_CA_CERTS):\n`,
  );
  for (const c of active) process.stdout.write(`  ${c.name}: ${c.description}\n`);
  for (const s of skipped) process.stdout.write(`  ${s.name}: skipped (${s.reason})\n`);
  process.stdout.write(
    `\n${table(["case", "n", "min ms", "median ms", "p90 ms", "max ms", `/ ${FLOOR_CASE}`, `/ ${PEER_CASE}`], rows)}\n`,
  );
  process.stdout.write(`(ratios: median / median of the same run)\n`);
  for (const c of active) {
    const note = c.note?.();
    if (note) process.stdout.write(`Note: ${note}\n`);
  }
  if ([...byName.values()].some((s) => s.n < 30)) {
    process.stdout.write("Note: fewer than 30 samples per case; the medians are rough.\n");
  }

  const comparisonRows: string[][] = [];
  for (const comparison of COMPARISONS) {
    const subject = byName.get(comparison.subject);
    const baseline = byName.get(comparison.baseline);
    if (!subject || !baseline) {
      comparisonRows.push([
        `${comparison.subject}/${comparison.baseline}`,
        "-",
        "-",
        comparison.label,
        "SKIP",
      ]);
      continue;
    }
    const medianRatio = subject.median / baseline.median;
    const minRatio = subject.min / baseline.min;
    const informative = !Number.isFinite(comparison.maxRatio);
    comparisonRows.push([
      `${comparison.subject}/${comparison.baseline}`,
      `${medianRatio.toFixed(2)}x`,
      `${minRatio.toFixed(2)}x`,
      informative ? comparison.label : `${comparison.label} (median <= ${comparison.maxRatio}x)`,
      informative ? "info" : medianRatio <= comparison.maxRatio ? "PASS" : "WARN",
    ]);
  }
  process.stdout.write(`\n${table(["ratio", "median", "min", "target", "verdict"], comparisonRows)}\n`);

  const bundle = readFileSync(BUNDLE);
  process.stdout.write(
    `\nBundle dist/homing.cjs: ${bundle.length} bytes (${kib(bundle.length)}, ${kib(gzipSync(bundle).length)} gzipped)\n`,
  );
  const newest = newestSource(join(ROOT, "src"));
  if (newest && newest.mtimeMs > statSync(BUNDLE).mtimeMs) {
    process.stdout.write(
      `Note: ${newest.path.slice(ROOT.length)} is newer than the bundle; run \`npm run build\` to measure the current code.\n`,
    );
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\nBENCH ERROR: ${message}\n`);
    if (!(error instanceof BenchError) && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
