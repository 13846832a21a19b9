/**
 * Integration-test harness: runs the real built CLI (`node bin/homing …`, i.e. dist/homing.cjs) as a
 * child process against the local emulators (test/emulators) on loopback, one temp directory per
 * test for the config, the key file (mode 0600) and the state directory.
 *
 * The child gets a controlled environment: this process's environment minus every HOMING_* variable
 * (plus HOME/XDG pointing into the temp dir so no real config or state can be picked up), and only
 * what a test passes explicitly.
 */
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type DreamHostEmulator,
  type DreamHostEmulatorConfig,
  type DreamHostFault,
  type DreamHostRecordFixture,
  type DreamHostRequestLogEntry,
  startDreamHostEmulator,
} from "../emulators/dreamhost.ts";
import { type EchoBehaviour, type EchoServer, startEcho } from "../emulators/ip-echo.ts";

export type { DreamHostFault };

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
export const BIN = join(REPO_ROOT, "bin", "homing");

/** Public-looking addresses homing accepts (documentation ranges are rejected as non-public). */
export const IP1 = "81.2.69.142";
export const IP2 = "81.2.69.160";
export const IP3 = "81.2.69.170";
export const IP6_1 = "2a00:1450:4001:81b::200e";
export const IP6_2 = "2a00:1450:4001:81b::2001";

export const ACCOUNT = "123456";
export const ZONE = "example.com";
export const NAME = "home.example.com";

export const MUTATING_CMDS: readonly string[] = ["dns-add_record", "dns-remove_record"];

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A DreamHost-shaped key (16 chars [A-Z0-9]) that is easy to grep for: CANARY + 10 random chars. */
export function canaryKey(): string {
  let key = "CANARY";
  while (key.length < 16) key += ALNUM[randomInt(ALNUM.length)];
  return key;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the whole child process, in ms. */
  ms: number;
}

export interface RunOptions {
  cwd?: string;
  /** Added to the controlled environment (after HOMING_* variables were removed). */
  env?: Record<string, string>;
  /** Kill the child after this long (default 30 s); the result then has `signal` set. */
  timeoutMs?: number;
}

/** process.env minus every HOMING_* variable, with HOME and XDG dirs moved into `home`. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("HOMING_") || name === "STATE_DIRECTORY") continue;
    env[name] = value;
  }
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, ".config");
  env.XDG_STATE_HOME = join(home, ".local", "state");
  return { ...env, ...extra };
}

/** Runs `node bin/homing <args>` and collects its exit code and output. */
export function runCli(args: readonly string[], home: string, options: RunOptions = {}): Promise<RunResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? home,
    env: cleanEnv(home, options.env),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

/** Runs a program, collecting its exit code and output; killed after `timeoutMs` (default 30 s). */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Config

export interface SourceSpec {
  url: string;
  name: string;
  format?: "text" | "json" | "trace";
}

export interface RecordSpec {
  name: string;
  provider?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  ipv6_suffix?: string;
}

export interface ProviderSpec {
  type?: string;
  endpoint: string;
  /** Written as api_key_file; omit both to take the key from the environment. */
  apiKeyFile?: string;
  timeout?: string;
  extra?: Record<string, string>;
}

export interface ConfigSpec {
  stateDir: string;
  timeout?: string;
  detectTimeout?: string;
  ipv4Sources?: SourceSpec[];
  ipv4Quorum?: number;
  ipv6Sources?: SourceSpec[];
  ipv6Quorum?: number;
  providers: Record<string, ProviderSpec>;
  records: RecordSpec[];
  /** Raw TOML appended at the top level (before any table). */
  topLevelExtra?: string;
}

const q = (text: string): string => JSON.stringify(text);

function sourcesToml(sources: readonly SourceSpec[]): string {
  const items = sources.map(
    (s) => `{ url = ${q(s.url)}, name = ${q(s.name)}${s.format ? `, format = ${q(s.format)}` : ""} }`,
  );
  return `[\n  ${items.join(",\n  ")},\n]`;
}

/** Renders a homing TOML config. */
export function configToml(spec: ConfigSpec): string {
  const lines: string[] = [`state_dir = ${q(spec.stateDir)}`, `timeout = ${q(spec.timeout ?? "30s")}`];
  if (spec.topLevelExtra) lines.push(spec.topLevelExtra);
  lines.push("", "[detect]", `timeout = ${q(spec.detectTimeout ?? "5s")}`);
  if (spec.ipv4Sources) {
    lines.push("", "[detect.ipv4]", `sources = ${sourcesToml(spec.ipv4Sources)}`);
    lines.push(`quorum = ${spec.ipv4Quorum ?? 2}`);
  }
  if (spec.ipv6Sources) {
    lines.push("", "[detect.ipv6]", `sources = ${sourcesToml(spec.ipv6Sources)}`);
    lines.push(`quorum = ${spec.ipv6Quorum ?? 2}`);
  }
  for (const [id, provider] of Object.entries(spec.providers)) {
    lines.push("", `[providers.${id}]`, `type = ${q(provider.type ?? "dreamhost")}`);
    lines.push(`endpoint = ${q(provider.endpoint)}`);
    if (provider.apiKeyFile) lines.push(`api_key_file = ${q(provider.apiKeyFile)}`);
    lines.push(`timeout = ${q(provider.timeout ?? "5s")}`);
    for (const [key, value] of Object.entries(provider.extra ?? {})) lines.push(`${key} = ${q(value)}`);
  }
  for (const record of spec.records) {
    lines.push("", "[[records]]", `name = ${q(record.name)}`, `provider = ${q(record.provider ?? "dh")}`);
    lines.push(`ipv4 = ${record.ipv4 ?? true}`, `ipv6 = ${record.ipv6 ?? false}`);
    if (record.ipv6_suffix !== undefined) lines.push(`ipv6_suffix = ${q(record.ipv6_suffix)}`);
  }
  return `${lines.join("\n")}\n`;
}

// ------------------------------------------------------------------------------------------------
// A lossy proxy: forwards to the emulator, but can drop the reply to chosen requests after the
// emulator processed them (the "the add happened, the answer was lost" case).

export interface LossyProxy {
  url: string;
  /** Drop the reply to the next `times` requests of this cmd (the upstream still processes them). */
  dropReply(cmd: string, times?: number): void;
  close(): Promise<void>;
}

async function startLossyProxy(upstream: string): Promise<LossyProxy> {
  const drops = new Map<string, number>();
  const target = new URL(upstream);
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const cmd = new URLSearchParams(body.toString("utf8")).get("cmd") ?? "";
      const left = drops.get(cmd) ?? 0;
      if (left > 0) drops.set(cmd, left - 1);
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        (upstreamRes) => {
          const replyChunks: Buffer[] = [];
          upstreamRes.on("data", (chunk: Buffer) => replyChunks.push(chunk));
          upstreamRes.on("end", () => {
            if (left > 0) {
              req.socket.destroy();
              return;
            }
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(Buffer.concat(replyChunks));
          });
        },
      );
      forward.on("error", () => req.socket.destroy());
      forward.end(body);
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address() as import("node:net").AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    dropReply(cmd, times = 1) {
      drops.set(cmd, (drops.get(cmd) ?? 0) + times);
    },
    close() {
      return new Promise((ok) => {
        server.close(() => ok());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A world: emulators + temp dir + config, torn down by close().

export interface WorldOptions {
  /** The key written to the key file (default: a fresh canary). */
  key?: string;
  /** Keys the emulator knows (default: `key` with all dns-* commands). */
  keys?: DreamHostEmulatorConfig["keys"];
  /** Rows at start (fixture shape); helpers `row()` build them. */
  records?: DreamHostRecordFixture[];
  /** Zones that exist (default: example.com in ACCOUNT). */
  zones?: Array<string | { accountId: string; zone: string }>;
  faults?: DreamHostFault[];
  latencyMs?: number;
  quirks?: DreamHostEmulatorConfig["quirks"];
  rateLimits?: DreamHostEmulatorConfig["rateLimits"];
  /** Behaviour of each IPv4 echo source (default: three agreeing on IP1). */
  ipv4?: EchoBehaviour[];
  /** Behaviour of each IPv6 echo source, served on ::1 (default: none). */
  ipv6?: EchoBehaviour[];
  ipv4Quorum?: number;
  ipv6Quorum?: number;
  /** Config records (default: NAME with IPv4). */
  configRecords?: RecordSpec[];
  detectTimeout?: string;
  providerTimeout?: string;
  /** Put a lossy proxy between homing and the emulator. */
  proxy?: boolean;
  /** Do not write api_key_file into the config (the key then comes from the environment). */
  keyFromEnv?: boolean;
  /** Tweak the config before it is written. */
  editConfig?: (spec: ConfigSpec) => void;
}

export interface World {
  dir: string;
  configPath: string;
  keyPath: string;
  stateDir: string;
  statePath: string;
  key: string;
  dh: DreamHostEmulator;
  proxy: LossyProxy | undefined;
  echoes4: EchoServer[];
  echoes6: EchoServer[];
  spec: ConfigSpec;
  /** Runs `homing <command> -c <config> <args>`. */
  run(command: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Runs the CLI with exactly these arguments (no -c added). */
  raw(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Rewrites the config file from `spec` (after changing it). */
  writeConfig(): Promise<void>;
  /** The parsed state file. */
  state(): Promise<StateFile>;
  /** Emulator requests of these commands (all when omitted). */
  requests(...cmds: string[]): DreamHostRequestLogEntry[];
  mutations(): DreamHostRequestLogEntry[];
  /** Current emulator rows at `name` of `type`. */
  rows(
    name?: string,
    type?: string,
  ): Array<{ record: string; type: string; value: string; editable: string }>;
  close(): Promise<void>;
}

/** The state file as the tests read it (a loose view of src/core/state.ts). */
export interface StateFile {
  version: number;
  records: Record<
    string,
    {
      published: string | null;
      lastResult: string;
      lastError: string | null;
      failures: number;
      verifiedAt: string | null;
    }
  >;
  providers: Record<string, { backoffUntil: string | null; backoffReason: string | null }>;
  detection: Record<string, { status: string; address?: string }>;
  history: Array<{ name: string; type: string; from: string | null; to: string }>;
}

/** A row fixture in ZONE/ACCOUNT. */
export function row(
  record: string,
  type: string,
  value: string,
  editable: "0" | "1" = "1",
): DreamHostRecordFixture {
  const zone = record === ZONE || record.endsWith(`.${ZONE}`) ? ZONE : record.split(".").slice(-2).join(".");
  return { accountId: ACCOUNT, zone, record, type, value, editable };
}

export const DNS_CMDS = ["dns-list_records", "dns-add_record", "dns-remove_record"];

const worlds = new Set<World>();

export async function makeTempDir(prefix = "homing-it-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** The part of a vitest test context startWorld uses (concurrent tests must pass theirs). */
export interface TestHooks {
  onTestFinished(fn: () => Promise<void>): void;
}

/**
 * Starts the emulators and writes the config. Close it with `closeAllWorlds` in afterEach, or pass
 * the test context (required in concurrent tests: afterEach would close the other tests' worlds).
 */
export async function startWorld(options: WorldOptions = {}, context?: TestHooks): Promise<World> {
  const dir = await makeTempDir();
  const key = options.key ?? canaryKey();
  const dh = await startDreamHostEmulator({
    keys: options.keys ?? { [key]: { accountIds: [ACCOUNT], cmds: DNS_CMDS } },
    zones: (options.zones ?? [ZONE]).map((zone) =>
      typeof zone === "string" ? { accountId: ACCOUNT, zone } : zone,
    ),
    records: options.records ?? [row(ZONE, "NS", "ns1.dreamhost.com.", "0")],
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    ...(options.quirks ? { quirks: options.quirks } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  });
  const proxy = options.proxy ? await startLossyProxy(dh.url) : undefined;
  const echoes4 = await Promise.all(
    (options.ipv4 ?? [{ answer: IP1 }, { answer: IP1 }, { answer: IP1 }]).map((b) => startEcho(b)),
  );
  const echoes6 = await Promise.all((options.ipv6 ?? []).map((b) => startEcho(b, { host: "::1" })));
  const names = ["echo-a", "echo-b", "echo-c", "echo-d", "echo-e"];
  const keyPath = join(dir, "dh.key");
  await writeFile(keyPath, `${key}\n`, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  const stateDir = join(dir, "state");
  const configPath = join(dir, "homing.toml");
  const spec: ConfigSpec = {
    stateDir,
    detectTimeout: options.detectTimeout ?? "5s",
    ipv4Sources: echoes4.map((e, i) => ({ url: e.url, name: names[i] ?? `echo-${i}` })),
    ipv4Quorum: options.ipv4Quorum ?? Math.min(2, echoes4.length),
    ...(echoes6.length
      ? {
          ipv6Sources: echoes6.map((e, i) => ({ url: e.url, name: `${names[i] ?? `echo-${i}`}6` })),
          ipv6Quorum: options.ipv6Quorum ?? Math.min(2, echoes6.length),
        }
      : {}),
    providers: {
      dh: {
        endpoint: proxy?.url ?? dh.url,
        ...(options.keyFromEnv ? {} : { apiKeyFile: keyPath }),
        timeout: options.providerTimeout ?? "5s",
      },
    },
    records: options.configRecords ?? [{ name: NAME }],
  };
  options.editConfig?.(spec);

  const world: World = {
    dir,
    configPath,
    keyPath,
    stateDir,
    statePath: join(stateDir, "state.json"),
    key,
    dh,
    proxy,
    echoes4,
    echoes6,
    spec,
    run(command, args = [], runOptions = {}) {
      return runCli([command, "-c", configPath, ...args], dir, runOptions);
    },
    raw(args, runOptions = {}) {
      return runCli(args, dir, runOptions);
    },
    async writeConfig() {
      await writeFile(configPath, configToml(world.spec), { mode: 0o600 });
    },
    async state() {
      return JSON.parse(await readFile(world.statePath, "utf8")) as StateFile;
    },
    requests(...cmds) {
      return cmds.length ? dh.requests.filter((r) => cmds.includes(r.cmd)) : [...dh.requests];
    },
    mutations() {
      return dh.requests.filter((r) => MUTATING_CMDS.includes(r.cmd));
    },
    rows(name, type) {
      return dh
        .records()
        .filter((r) => (name === undefined || r.record === name) && (type === undefined || r.type === type));
    },
    async close() {
      worlds.delete(world);
      await Promise.all([
        dh.close(),
        proxy?.close(),
        ...echoes4.map((e) => e.close()),
        ...echoes6.map((e) => e.close()),
      ]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await world.writeConfig();
  if (context) context.onTestFinished(() => world.close());
  else worlds.add(world);
  return world;
}

/** Closes every world still open (call from afterEach). */
export async function closeAllWorlds(): Promise<void> {
  await Promise.all([...worlds].map((world) => world.close()));
}

/** Whether this host can listen on the IPv6 loopback. */
export async function hasIpv6Loopback(): Promise<boolean> {
  try {
    const echo = await startEcho({}, { host: "::1" });
    await echo.close();
    return true;
  } catch {
    return false;
  }
}

/** Every regular file under `dir`, recursively, with its content (missing dir: none). */
export async function filesUnder(dir: string): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push({ path, text: await readFile(path, "latin1") });
  }
  return out;
}

/** The permission bits of a file. */
export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}
