/**
 * Scale: how many API calls, and how much time, one `homing run` costs with many records, with
 * 20 ms of latency injected at the emulator per API call (a real API is 20 to 200 ms away).
 *
 * Every round is the real CLI (`node bin/homing run -c CFG`, a new process each time, as cron runs
 * it); API calls are counted from the emulator's request log. The rounds, per provider and shape:
 *   first round     no state, nothing at the provider: every record is created;
 *   unchanged       the state file says every record is fresh: no API call at all;
 *   --force         the same, but `--force` makes homing verify at the provider (a plain run only
 *                   does that once `recheck`, default 1 h, has passed): this is the round whose calls
 *                   must not grow with the record count;
 *   all changed     the echo source answers a new address: every record is replaced.
 * Shapes that only serve to show the scaling rule start from records already at the provider
 * (seeded, as if an earlier homing had created them) and an empty state, to save the time of
 * creating them through the API: their first round is a cold "unchanged" round.
 *
 * The config keeps homing's default deadline of one run (`timeout = "2m"`) on purpose: the table says
 * how much of it each round used.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CloudflareEmulator, startCloudflareEmulator } from "../test/emulators/cloudflare.ts";
import { type DreamHostEmulator, startDreamHostEmulator } from "../test/emulators/dreamhost.ts";
import { type EchoServer, startEcho } from "../test/emulators/ip-echo.ts";
import { type ServiceModule, startEmulator } from "../test/emulators/kit/emulator.ts";
import { ZoneStore } from "../test/emulators/kit/store.ts";
import { digitaloceanPaging } from "../test/emulators/services/digitalocean.ts";
import { KIT_FAMILIES } from "../test/emulators/services/index.ts";

export interface ScaleOptions {
  bin: string;
  env: NodeJS.ProcessEnv;
}

const LATENCY_MS = 20;
const ADDRESS_A = "81.2.69.142";
const ADDRESS_B = "81.2.69.160";
/** homing's default deadline of one whole run (`timeout` in the config). */
const RUN_DEADLINE_MS = 120_000;
/** The bench's own guard: a child still running after this is killed. */
const CHILD_KILL_MS = 300_000;

interface Shape {
  zones: number;
  perZone: number;
}

const recordsOf = (shape: Shape) => shape.zones * shape.perZone;
const describeShape = (shape: Shape) =>
  `${recordsOf(shape).toLocaleString("en-US")} records in ${shape.zones} zones (${shape.perZone} per zone)`;

function zoneNames(shape: Shape): string[] {
  return Array.from({ length: shape.zones }, (_, z) => `zone${String(z).padStart(2, "0")}.example`);
}

function recordNames(shape: Shape): string[] {
  const width = String(shape.perZone - 1).length;
  return zoneNames(shape).flatMap((zone) =>
    Array.from({ length: shape.perZone }, (_, r) => `r${String(r).padStart(width, "0")}.${zone}`),
  );
}

/** One provider's emulator, seen through what the bench needs. */
interface Harness {
  /** `[providers.p]` lines of the homing config. */
  providerLines: string[];
  /** Requests logged so far. */
  calls(): number;
  /** Requests since `from`, counted by command / route. */
  commands(from: number): Map<string, number>;
  /** How many A rows hold `address`, and how many A rows hold anything else. */
  published(address: string): { matching: number; other: number };
  close(): Promise<void>;
}

async function dreamHostHarness(dir: string, shape: Shape, seed: string | undefined): Promise<Harness> {
  const key = "BENCH0SCALE00001";
  const account = "123456";
  const emulator: DreamHostEmulator = await startDreamHostEmulator({
    keys: { [key]: { accountIds: [account], cmds: "*" } },
    zones: zoneNames(shape).map((zone) => ({ accountId: account, zone })),
    records:
      seed === undefined
        ? []
        : recordNames(shape).map((record) => ({
            accountId: account,
            zone: record.slice(record.indexOf(".") + 1),
            record,
            type: "A",
            value: seed,
            comment: "homing",
            editable: "1" as const,
          })),
    rateLimits: [],
    latencyMs: LATENCY_MS,
  });
  const keyFile = join(dir, "dreamhost.key");
  await writeFile(keyFile, `${key}\n`, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  return {
    providerLines: [
      "[providers.p]",
      'type = "dreamhost"',
      `api_key_file = ${JSON.stringify(keyFile)}`,
      `endpoint = ${JSON.stringify(emulator.url)}`,
    ],
    calls: () => emulator.requests.length,
    commands: (from) => countBy(emulator.requests.slice(from).map((r) => r.cmd || "(none)")),
    published(address) {
      const rows = emulator.records().filter((row) => row.type === "A");
      const matching = rows.filter((row) => row.value === address).length;
      return { matching, other: rows.length - matching };
    },
    close: () => emulator.close(),
  };
}

async function cloudflareHarness(dir: string, shape: Shape, seed: string | undefined): Promise<Harness> {
  const token = "bench-scale-token-0123456789abcdefghijklmn";
  const emulator: CloudflareEmulator = await startCloudflareEmulator({
    tokens: { [token]: { zones: "*" } },
    zones: zoneNames(shape).map((name) => ({ name })),
    records:
      seed === undefined
        ? []
        : recordNames(shape).map((name) => ({
            name,
            type: "A",
            content: seed,
            comment: "managed by homing",
          })),
    // The real limit (1,200 calls per 5 minutes) would stop a 1,000-record round: that is a finding
    // of its own, reported from the call counts, not something to trip over here.
    rateLimit: { max: 100_000_000 },
    latencyMs: LATENCY_MS,
  });
  const tokenFile = join(dir, "cloudflare.token");
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  return {
    providerLines: [
      "[providers.p]",
      'type = "cloudflare"',
      `api_token_file = ${JSON.stringify(tokenFile)}`,
      `endpoint = ${JSON.stringify(emulator.url)}`,
    ],
    calls: () => emulator.requests.length,
    commands: (from) => countBy(emulator.requests.slice(from).map((r) => `${r.route}`)),
    published(address) {
      const rows = emulator.records().filter((row) => row.type === "A");
      const matching = rows.filter((row) => row.content === address).length;
      return { matching, other: rows.length - matching };
    },
    close: () => emulator.close(),
  };
}

/** Any kit provider, through its emulator module (test/emulators/services/). */
function kitHarness(module: ServiceModule) {
  return async (dir: string, shape: Shape, seed: string | undefined): Promise<Harness> => {
    const store = new ZoneStore();
    for (const zone of zoneNames(shape)) store.addZone(zone);
    if (seed !== undefined)
      for (const name of recordNames(shape)) {
        const zone = store.zoneOf(name);
        if (zone) store.add(zone, { name, type: "A", value: seed, ttl: 300 });
      }
    const emulator = await startEmulator(module, { store, latencyMs: LATENCY_MS });
    const lines = ["[providers.p]", `type = ${JSON.stringify(module.type)}`];
    for (const [key, value] of Object.entries(module.config(emulator.endpoint)))
      lines.push(`${key} = ${JSON.stringify(value)}`);
    for (const [key, value] of Object.entries(emulator.secrets)) {
      const file = join(dir, `${key}.secret`);
      await writeFile(file, `${value}\n`, { mode: 0o600 });
      lines.push(`${key}_file = ${JSON.stringify(file)}`);
    }
    return {
      providerLines: lines,
      calls: () => emulator.log.length,
      commands: (from) =>
        countBy(
          emulator.log
            .slice(from)
            .map((entry) => `${entry.method} ${entry.path.replace(/\/[^/]*\d[^/]*/g, "/…")}`),
        ),
      published(address) {
        const rows = [...store.zones.values()].flatMap((zone) => zone.rows.filter((row) => row.type === "A"));
        const matching = rows.filter((row) => row.value === address).length;
        return { matching, other: rows.length - matching };
      },
      close: () => emulator.close(),
    };
  };
}

function countBy(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Asynchronous on purpose: the emulators live in this process's event loop and must keep answering. */
function runCli(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_KILL_MS);
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

type RoundKind = "first" | "cold" | "unchanged" | "force" | "changed";

const ROUND_LABEL: Record<RoundKind, string> = {
  first: "first round: create all",
  cold: "cold unchanged (no state)",
  unchanged: "unchanged, state fresh",
  force: "unchanged, --force",
  changed: "all changed",
};

interface RoundRow {
  label: string;
  calls: number;
  expected: number | undefined;
  ms: number;
  commands: Map<string, number>;
}

interface ProviderSpec {
  label: string;
  harness: (dir: string, shape: Shape, seed: string | undefined) => Promise<Harness>;
  /** The calls a round should cost, by the provider's design (documented at each spec). */
  expected: (kind: RoundKind, shape: Shape) => number | undefined;
}

interface Scenario {
  shape: Shape;
  /** Records already at the provider, at ADDRESS_A (false: none, so the first round creates them). */
  seeded: boolean;
  rounds: RoundKind[];
}

interface ScenarioResult {
  scenario: Scenario;
  rows: RoundRow[];
  warnings: string[];
}

async function runScenario(
  spec: ProviderSpec,
  scenario: Scenario,
  options: ScaleOptions,
): Promise<ScenarioResult> {
  const { shape } = scenario;
  // State is rewritten (with fsync) after every round; on tmpfs that measures homing, not the disk.
  const dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "homing-scale-"));
  let harness: Harness | undefined;
  let echo: EchoServer | undefined;
  try {
    harness = await spec.harness(dir, shape, scenario.seeded ? ADDRESS_A : undefined);
    echo = await startEcho({ answer: ADDRESS_A });
    await mkdir(join(dir, "state"), { mode: 0o700 });
    const config = join(dir, "homing.toml");
    const lines = [
      `state_dir = ${JSON.stringify(join(dir, "state"))}`,
      "[detect.ipv4]",
      `sources = [${JSON.stringify(echo.url)}]`,
      "quorum = 1",
      ...harness.providerLines,
    ];
    for (const name of recordNames(shape))
      lines.push("[[records]]", `name = ${JSON.stringify(name)}`, 'provider = "p"');
    await writeFile(config, `${lines.join("\n")}\n`, { mode: 0o600 });

    const rows: RoundRow[] = [];
    const warnings: string[] = [];
    let address = ADDRESS_A;
    for (const kind of scenario.rounds) {
      if (kind === "changed") {
        address = address === ADDRESS_A ? ADDRESS_B : ADDRESS_A;
        echo.set({ answer: address });
      }
      const before = harness.calls();
      const args = ["run", "-c", config, ...(kind === "force" ? ["--force"] : [])];
      const result = await runCli(options.bin, args, options.env);
      const calls = harness.calls() - before;
      const label = `${spec.label}, ${describeShape(shape)}, ${ROUND_LABEL[kind]}`;
      if (result.code !== 0) {
        const output = `${result.stdout}${result.stderr}`.trim().split("\n");
        throw new Error(
          `${label}: homing exited ${result.code ?? `on signal ${result.signal}`} after ${(result.ms / 1000).toFixed(1)} s and ${calls} API calls\n${output.slice(-15).join("\n")}`,
        );
      }
      const state = harness.published(address);
      if (state.matching !== recordsOf(shape) || state.other !== 0) {
        throw new Error(
          `${label}: afterwards the provider holds ${state.matching} A record(s) at ${address} and ${state.other} at another address; expected ${recordsOf(shape)} and 0`,
        );
      }
      const expected = spec.expected(kind, shape);
      if (expected !== undefined && calls !== expected) {
        warnings.push(`${label}: ${calls} API calls, expected ${expected}`);
      }
      if (result.ms > RUN_DEADLINE_MS * 0.5) {
        warnings.push(
          `${label}: took ${(result.ms / 1000).toFixed(1)} s, ${Math.round((result.ms / RUN_DEADLINE_MS) * 100)}% of the default 2 min deadline of a run`,
        );
      }
      rows.push({
        label: ROUND_LABEL[kind],
        calls,
        expected,
        ms: result.ms,
        commands: harness.commands(before),
      });
    }
    return { scenario, rows, warnings };
  } finally {
    await harness?.close();
    await echo?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const lastLeft = header.length - 1;
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === lastLeft ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function render(result: ScenarioResult): string {
  const { scenario } = result;
  const head = `${describeShape(scenario.shape)}${scenario.seeded ? ", records seeded at the provider, empty state" : ""}:`;
  const rows = result.rows.map((row) => {
    // Above the floor of calls x latency, the rest is homing's own work (process start, HTTP, plan).
    const floor = row.calls * LATENCY_MS;
    return [
      row.label,
      String(row.calls),
      row.expected === undefined ? "-" : String(row.expected),
      (row.ms / 1000).toFixed(2),
      row.calls >= 100 ? (row.ms / row.calls).toFixed(1) : "-",
      (floor / 1000).toFixed(2),
      `${Math.round((row.ms / RUN_DEADLINE_MS) * 100)}%`,
      [...row.commands].map(([cmd, n]) => `${cmd} ${n}`).join(", ") || "-",
    ];
  });
  return `${head}\n${table(
    ["round", "calls", "expected", "wall s", "ms/call", "calls x 20 ms", "of 2m", "calls by command"],
    rows,
  )}`;
}

const DREAMHOST: ProviderSpec = {
  label: "DreamHost",
  harness: dreamHostHarness,
  // dns-list_records lists the whole account in one call, whatever the zones; DreamHost has no
  // update call, so a change is one add and one remove.
  expected: (kind, shape) => {
    const records = recordsOf(shape);
    if (kind === "unchanged") return 0;
    if (kind === "first") return 1 + records;
    if (kind === "changed") return 1 + 2 * records;
    return 1;
  },
};

const CLOUDFLARE: ProviderSpec = {
  label: "Cloudflare",
  harness: cloudflareHarness,
  // The provider's design (src/providers/cloudflare/provider.ts): one paginated GET /zones for the
  // round (50 zones a page), one record listing per zone, then one call per change (POST to create,
  // PATCH in place). The issue's rule allows up to a zone lookup and a listing per zone.
  expected: (kind, shape) => {
    const records = recordsOf(shape);
    const reads = Math.ceil(shape.zones / 50) + shape.zones;
    if (kind === "unchanged") return 0;
    if (kind === "first" || kind === "changed") return reads + records;
    return reads;
  },
};

/** Calls of one round of one shape, for the scaling-rule verdicts. */
function callsOf(results: readonly ScenarioResult[], shape: Shape, kind: RoundKind): number | undefined {
  const result = results.find(
    (r) => r.scenario.shape.zones === shape.zones && r.scenario.shape.perZone === shape.perZone,
  );
  return result?.rows.find((row) => row.label === ROUND_LABEL[kind])?.calls;
}

/**
 * The rule of the issue, from the measured --force rounds: two shapes with the same zones and
 * different record counts must cost the same; `zonesMatter` says whether the provider's count may
 * grow with zones (Cloudflare) or not even that (DreamHost lists the whole account at once).
 */
function ruleVerdicts(
  label: string,
  results: readonly ScenarioResult[],
  pairs: ReadonlyArray<{ a: Shape; b: Shape; same: boolean; why: string }>,
): { lines: string[]; warnings: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  for (const { a, b, same, why } of pairs) {
    const ca = callsOf(results, a, "force");
    const cb = callsOf(results, b, "force");
    if (ca === undefined || cb === undefined) continue;
    const ok = same ? ca === cb : cb > ca;
    const text = `${label} --force: ${describeShape(a)} ${ca} call(s), ${describeShape(b)} ${cb} call(s): ${why}`;
    lines.push(`${ok ? "PASS" : "WARN"} ${text}`);
    if (!ok) warnings.push(text);
  }
  return { lines, warnings };
}

export async function runScale(options: ScaleOptions): Promise<string> {
  const started = performance.now();
  const out: string[] = [
    `Scale: every round is a new \`homing run\` process; ${LATENCY_MS} ms injected per API call at the emulator, no rate limits; one echo source (quorum 1).`,
    "Columns: calls = API requests in the emulator's log; expected = what the provider's design should cost (see WARN lines);",
    `ms/call = wall / calls (rounds of 100+ calls); calls x ${LATENCY_MS} ms = the latency floor if every call waited in turn;`,
    "of 2m = share of homing's default deadline of one run (the configs keep the default `timeout`).",
    "--force: a plain run answers an unchanged address from the state file for `recheck` (1 h) without asking the",
    "provider; --force makes it verify at the provider now: that is the round a cron job or daemon pays every hour.",
  ];
  const warnings: string[] = [];
  const big: Shape = { zones: 50, perZone: 20 };
  const fewPerZone: Shape = { zones: 50, perZone: 2 };
  const fewZones: Shape = { zones: 5, perZone: 200 };
  const small: Shape = { zones: 5, perZone: 20 };

  out.push(
    "",
    "DreamHost (dns-list_records returns the whole account in one call, so zones do not change its count):",
  );
  const dreamhost: ScenarioResult[] = [];
  for (const scenario of [
    { shape: big, seeded: false, rounds: ["first", "unchanged", "force", "changed"] },
    { shape: fewPerZone, seeded: true, rounds: ["cold", "force", "unchanged"] },
    { shape: fewZones, seeded: true, rounds: ["cold", "force", "unchanged"] },
  ] satisfies Scenario[]) {
    const result = await runScenario(DREAMHOST, scenario, options);
    dreamhost.push(result);
    out.push(render(result));
    warnings.push(...result.warnings);
  }
  const dhRule = ruleVerdicts("DreamHost", dreamhost, [
    { a: fewPerZone, b: big, same: true, why: "10x the records, same calls" },
    { a: fewZones, b: big, same: true, why: "10x the zones, same calls (one list per account)" },
  ]);
  out.push(...dhRule.lines);
  warnings.push(...dhRule.warnings);

  out.push(
    "",
    "Cloudflare (one paginated zone list per round, one record listing per zone, one call per change):",
  );
  const cloudflare: ScenarioResult[] = [];
  for (const scenario of [
    { shape: big, seeded: false, rounds: ["first", "unchanged", "force", "changed"] },
    { shape: fewPerZone, seeded: true, rounds: ["force"] },
    { shape: small, seeded: true, rounds: ["force"] },
  ] satisfies Scenario[]) {
    const result = await runScenario(CLOUDFLARE, scenario, options);
    cloudflare.push(result);
    out.push(render(result));
    warnings.push(...result.warnings);
  }
  const cfRule = ruleVerdicts("Cloudflare", cloudflare, [
    { a: fewPerZone, b: big, same: true, why: "10x the records, same calls" },
    { a: small, b: fewPerZone, same: false, why: "10x the zones, more calls (a listing per zone)" },
  ]);
  out.push(...cfRule.lines);
  warnings.push(...cfRule.warnings);

  // One row per kit family: the same rounds through the emulator framework. `expected` is the rule
  // the kit promises: zero calls when unchanged; otherwise calls grow with zones and changes only.
  const kit: ScenarioResult[] = [];
  // The emulator pages at 2 rows to exercise paging in tests; DigitalOcean pages at up to 200.
  digitaloceanPaging.size = 200;
  for (const { family, module } of KIT_FAMILIES) {
    out.push("", `${module.label} (kit, ${family}):`);
    const spec: ProviderSpec = {
      label: module.label,
      harness: kitHarness(module),
      expected: (kind) => (kind === "unchanged" ? 0 : undefined),
    };
    const results: ScenarioResult[] = [];
    for (const scenario of [
      { shape: big, seeded: false, rounds: ["first", "unchanged", "force", "changed"] },
      { shape: fewPerZone, seeded: true, rounds: ["force"] },
      { shape: small, seeded: true, rounds: ["force"] },
    ] satisfies Scenario[]) {
      const result = await runScenario(spec, scenario, options);
      results.push(result);
      out.push(render(result));
      warnings.push(...result.warnings);
    }
    const rule = ruleVerdicts(module.label, results, [
      { a: fewPerZone, b: big, same: true, why: "10x the records, same calls" },
      { a: small, b: fewPerZone, same: false, why: "10x the zones, more calls (a listing per zone)" },
    ]);
    out.push(...rule.lines);
    warnings.push(...rule.warnings);
    kit.push(...results);
  }

  // A round whose wall time is at least calls x latency made its calls one after another.
  const sequential = [...dreamhost, ...cloudflare, ...kit].flatMap((result) =>
    result.rows
      .filter((row) => row.calls >= 100 && row.ms >= row.calls * LATENCY_MS)
      .map(
        (row) =>
          `${describeShape(result.scenario.shape)}, ${row.label}: ${row.calls} calls in ${(row.ms / 1000).toFixed(1)} s`,
      ),
  );
  out.push("");
  if (sequential.length > 0) {
    out.push(
      `NOTE homing makes a provider's calls one at a time (wall >= calls x ${LATENCY_MS} ms) in: ${sequential.join("; ")}.`,
    );
  }
  if (warnings.length === 0) {
    out.push("Every round made exactly the calls expected.");
  } else {
    for (const warning of warnings) out.push(`WARN ${warning}`);
  }
  out.push(`Scale section: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  return out.join("\n");
}
