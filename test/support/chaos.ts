/**
 * The chaos soak: the real daemon (`bin/homing daemon`, the built dist) against the provider
 * emulators, with random faults at every step, while an observer watches the emulator's records.
 *
 * Each round is one step. The daemon runs rounds back to back (interval 1ms) and pings a
 * healthchecks-style heartbeat at the start and the end of each; the end ping is answered only once
 * this controller has checked the world and armed the next step's faults, so every round meets its
 * own faults and nothing races the arming. Faults, all drawn from one seeded generator:
 *
 * - address changes (the echo sources' answer changes), IPv4 and IPv6 (sources on ::1);
 * - detection sources failing (HTTP error, reset, hang, trickle, garbage, a rejected address) or
 *   disagreeing (a minority answer, or no quorum at all);
 * - provider faults on every API call (DreamHost list/add/remove, Cloudflare zones/list/patch/
 *   create/delete) through the generic fault proxy (test/emulators/fault-proxy.ts): HTTP errors, API
 *   errors, garbage, hangs, resets, lost replies, slow replies, an error reply that echoes the
 *   request (and so the secret, percent-encoded), 429s (Cloudflare), a list that lags behind changes
 *   (DreamHost), and lies: a success reply with no effect;
 * - state writes failing at the file-system boundary: state_dir is a small tmpfs, filled for ENOSPC
 *   and remounted read-only for EROFS (root only; otherwise the kind is reported as not injected);
 * - `kill -9` of the daemon in the middle of a round (at a random moment, or exactly when an API
 *   call arrives or has been applied), then a restart, sometimes onto a full or read-only state_dir
 *   (the daemon must then refuse clearly, naming state_dir, or run);
 * - SIGUSR1 (a round now) and SIGHUP (reload) in the middle of a round.
 *
 * The observer (every 2 ms, and at every proxied exchange and round boundary) asserts:
 * - a managed name never has zero address records once it has one;
 * - every address homing published is one the sources agreed on (at least `quorum` distinct
 *   sources served it; minority answers are drawn from a separate range and never repeat);
 * - after a final quiet round, exactly one homing-owned row per (name, type), with the current
 *   address, and the unmanaged row untouched;
 * - no crash: no daemon exit but our own kill -9 / SIGTERM, no "unexpected" failure or stack trace;
 * - the canary secret (with `+/=&%"\` where the service's grammar allows) in no output or file of
 *   homing, in any encoding: stdout, stderr, every file in state_dir, the heartbeat bodies, the
 *   status server's pages.
 *
 * A run is reproducible in its decisions by its seed (timing of real processes still varies).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, get as httpGet, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startCloudflareEmulator } from "../emulators/cloudflare.ts";
import { startDreamHostEmulator } from "../emulators/dreamhost.ts";
import {
  type FaultAction,
  type FaultProxy,
  type ProxyFault,
  startFaultProxy,
} from "../emulators/fault-proxy.ts";
import { type EchoBehaviour, type EchoServer, startEcho } from "../emulators/ip-echo.ts";
import { describeLeak, hostileCanary } from "./leak-check.ts";

const run = promisify(execFile);

/** The soak's `[providers.main]` table: the emulator's endpoint (behind the fault proxy) and the key file. */
function providerTable(type: string, secretKey: string, endpoint: string, secretFile: string): string[] {
  return [
    "[providers.main]",
    `type = ${JSON.stringify(type)}`,
    `endpoint = ${JSON.stringify(endpoint)}`,
    `${secretKey} = ${JSON.stringify(secretFile)}`,
    'timeout = "500ms"',
  ];
}
const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
const DEFAULT_BIN = join(REPO_ROOT, "bin", "homing");

export type ChaosProvider = "dreamhost" | "cloudflare";

export interface ChaosOptions {
  /** Completed rounds to run before the quiet convergence round. */
  rounds: number;
  /** The emulator under test (default DreamHost, add-then-remove: the most dangerous). */
  provider?: ChaosProvider;
  /** Seed of every random decision (default: random; printed in the report). */
  seed?: number;
  /** bin/homing (default: the checkout's). */
  bin?: string;
  /** Child environment (default: this process's minus HOMING_*). */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (e.g. every 10%). */
  progress?: (line: string) => void;
  /** Try to put state_dir on a tmpfs to inject ENOSPC/EROFS (default true). */
  stateFaults?: boolean;
  /** Gets each daemon process's whole stdout+stderr when it ends (for digging into a violation). */
  onOutput?: (generation: number, output: string) => void;
  /** Gets every controller event (faults armed and fired, API calls, kills) as it happens. */
  onEvent?: (event: string) => void;
  /** Give up when no round finishes for this long (default 60 s). */
  stallMs?: number;
}

export interface ChaosViolation {
  round: number;
  kind: string;
  detail: string;
}

export interface ChaosReport {
  seed: number;
  provider: string;
  rounds: number;
  roundsOk: number;
  roundsFailed: number;
  kills: number;
  restarts: number;
  faults: Record<string, number>;
  /** Fault kinds that could not be injected here, with the reason. */
  notInjected: string[];
  violations: ChaosViolation[];
  /** All violations, including those beyond the kept details. */
  violationCount: number;
  apiCalls: number;
  /** Temporary state files left in state_dir at the end (a kill -9 between write and rename). */
  leftoverTempFiles: number;
  ms: number;
}

// ---------------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: small, fast, good enough to drive a soak; the same seed gives the same decisions. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = generator(seed);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)] as T;
  }
  weighted<T extends string>(weights: Readonly<Partial<Record<T, number>>>): T {
    const entries = (Object.entries(weights) as Array<[T, number | undefined]>).filter(
      (entry): entry is [T, number] => entry[1] !== undefined,
    );
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.#next() * total;
    for (const [value, weight] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (entries[entries.length - 1] as [T, number])[0];
  }
}

// ---------------------------------------------------------------------------------------------------
// The canary secret: its forms and the leak check come from test/support/leak-check.ts, shared with
// the canary tests and written apart from homing's redactor.

/** Random characters of a Cloudflare token's grammar ([A-Za-z0-9_-]), so no window is homing's own text. */
function tokenCanary(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let token = "CANARY";
  while (token.length < 40) token += alphabet[randomInt(alphabet.length)];
  return token;
}

// ---------------------------------------------------------------------------------------------------
// The provider side: emulator, fault catalogue, observation

interface AddressRow {
  name: string;
  type: string;
  value: string;
  owned: boolean;
}

interface ProviderWorld {
  kind: string;
  /** The canary credential, as the service's grammar allows it. */
  secret: string;
  /** The emulator's own URL (the proxy forwards to it). */
  upstream: string;
  classify(request: { method: string; target: string; body: string }): string;
  /** Operation classes faults can target, weighted: in a round whose address changes, and otherwise. */
  targets: { changing: Readonly<Record<string, number>>; quiet: Readonly<Record<string, number>> };
  /** The calls that create a row and delete one: the next round needs them after an outside edit. */
  createOp: string;
  deleteOp: string;
  /** The TOML lines of the [providers.main] table (the endpoint is the proxy's). */
  providerToml(endpoint: string, secretFile: string): string[];
  /** Provider-specific fault bodies: API errors, lies, an echo of the request. */
  fault(kind: ProviderFaultKind, op: string): FaultAction;
  /** Address rows (A/AAAA) at every name, straight from the emulator's store. */
  rows(): AddressRow[];
  /** Someone else edits the zone: adds a row that looks like homing's, or removes every row of a type. */
  addOwnedRow(name: string, type: string, value: string): Promise<void>;
  removeRows(name: string, type: string): Promise<void>;
  apiCalls(): number;
  /** Fault kinds this service cannot meaningfully have in a soak, with the reason. */
  unsupported?: Partial<Record<ProviderFaultKind, string>>;
  /** Eventual consistency, where the service has it: the list shows the state of `ms` ago. */
  setLag?(ms: number): void;
  close(): Promise<void>;
}

const PROVIDER_FAULTS = {
  http_500: 1,
  api_error: 1,
  garbage: 1,
  truncated: 0.5,
  echo_secret: 1,
  hang: 0.7,
  reset: 1,
  lose_reply: 1.5,
  slow: 0.7,
  lie: 2.5,
  rate_limit: 0.4,
} as const;
type ProviderFaultKind = keyof typeof PROVIDER_FAULTS;

/** The quiet phase lasts at least this long: longer than any Retry-After a fault here sends (1 s). */
const CONVERGE_WINDOW_MS = 3000;
const ZONE = "example.com";
const MANAGED = ["home.example.com", "nas.example.com"];
/** A row at a name homing does not manage: it must never be touched. */
const BYSTANDER = { name: "www.example.com", value: "81.2.69.5" };

function jsonReply(body: string | ((request: { body: string; target: string }) => string)): FaultAction {
  return { kind: "reply", status: 200, contentType: "application/json;charset=UTF-8", body };
}

/** The address each managed family starts with at the first managed name. */
type Initial = ReadonlyArray<{ type: "A" | "AAAA"; value: string }>;

async function dreamHostWorld(initial: Initial): Promise<ProviderWorld> {
  // DreamHost takes any key string: the canary carries every character encodings treat specially.
  const secret = hostileCanary();
  const account = "1";
  const dh = await startDreamHostEmulator({
    keys: { [secret]: { accountIds: [account], cmds: "*" } },
    zones: [{ accountId: account, zone: ZONE }],
    records: [
      ...initial.map(({ type, value }) => ({
        accountId: account,
        zone: ZONE,
        record: MANAGED[0] as string,
        type,
        value,
        editable: "1" as const,
      })),
      {
        accountId: account,
        zone: ZONE,
        record: BYSTANDER.name,
        type: "A",
        value: BYSTANDER.value,
        editable: "1",
      },
    ],
    rateLimits: [],
  });
  const cmdOf = (body: string) => new URLSearchParams(body).get("cmd") ?? "";
  return {
    kind: "dreamhost",
    secret,
    unsupported: {
      rate_limit:
        "DreamHost rate limits (slow_down_bucko carries no reset time, so homing rightly backs off for an hour, longer than the soak)",
    },
    upstream: dh.url,
    targets: {
      changing: { list: 0.1, add: 0.5, remove: 0.4 },
      quiet: { list: 0.7, add: 0.15, remove: 0.15 },
    },
    createOp: "add",
    deleteOp: "remove",
    classify({ body }) {
      const cmd = cmdOf(body);
      if (cmd === "dns-list_records") return "list";
      if (cmd === "dns-add_record") return "add";
      if (cmd === "dns-remove_record") return "remove";
      return cmd || "other";
    },
    providerToml: (endpoint, secretFile) => providerTable("dreamhost", "api_key_file", endpoint, secretFile),
    fault(kind, op) {
      switch (kind) {
        case "http_500":
          return { kind: "status", status: 500, body: "<html><body>500 Internal Server Error</body></html>" };
        case "api_error":
          return jsonReply(JSON.stringify({ result: "error", data: "internal_error_updating_zone" }));
        case "garbage":
          return { kind: "status", status: 200, body: "<html><body><h1>Oops</h1></body></html>" };
        case "truncated":
          return jsonReply('{"result":"succ');
        case "echo_secret":
          // A service that quotes the request it refused: the form body holds key=<percent-encoded>.
          return jsonReply((request) =>
            JSON.stringify({
              result: "error",
              data: "invalid_request",
              reason: `could not parse ${request.body}`,
            }),
          );
        case "hang":
          return { kind: "hang" };
        case "reset":
          return { kind: "reset" };
        case "lose_reply":
          return { kind: "lose_reply" };
        case "slow":
          return { kind: "delay", ms: 120 };
        case "rate_limit":
          // DreamHost's throttle gives no reset time: homing rightly waits an hour, longer than a
          // soak; the world says so instead (ProviderWorld.unsupported), so this is never drawn.
          return { kind: "status", status: 500 };
        case "lie":
          // "success" that did nothing: no row added, no row removed, or a list with nothing in it.
          if (op === "add") return jsonReply('{"result":"success","data":"record_not_added"}');
          if (op === "remove") return jsonReply('{"result":"success","data":"record_removed"}');
          return jsonReply('{"result":"success","data":[]}');
      }
    },
    rows() {
      return dh
        .records()
        .filter((row) => row.type === "A" || row.type === "AAAA")
        .map((row) => ({ name: row.record, type: row.type, value: row.value, owned: row.editable === "1" }));
    },
    async addOwnedRow(name, type, value) {
      dh.setRecords([
        ...dh.records(),
        { account_id: account, zone: ZONE, record: name, type, value, comment: "", editable: "1" },
      ]);
    },
    async removeRows(name, type) {
      dh.setRecords(dh.records().filter((row) => !(row.record === name && row.type === type)));
    },
    apiCalls: () => dh.requests.length,
    setLag: (ms) => dh.setQuirks({ consistencyLagMs: ms }),
    close: () => dh.close(),
  };
}

const CF_COMMENT = "managed by homing";

/** Cloudflare: in-place updates (PATCH), creates and deletes, records marked by their comment. */
async function cloudflareWorld(initial: Initial): Promise<ProviderWorld> {
  // Cloudflare refuses a bearer token outside [A-Za-z0-9_-] (6111), so this canary keeps to that.
  const secret = tokenCanary();
  const cf = await startCloudflareEmulator({
    tokens: { [secret]: { zones: "*" } },
    zones: [{ name: ZONE }],
    records: [
      ...initial.map(({ type, value }) => ({
        name: MANAGED[0] as string,
        type,
        content: value,
        comment: CF_COMMENT,
      })),
      { name: BYSTANDER.name, type: "A", content: BYSTANDER.value, comment: CF_COMMENT },
    ],
    rateLimit: { max: 1_000_000 },
  });
  const envelope = (result: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ success: true, errors: [], messages: [], result, ...extra });
  const failure = (status: number, code: number, message: string): FaultAction => ({
    kind: "reply",
    status,
    body: JSON.stringify({ success: false, errors: [{ code, message }], messages: [], result: null }),
  });
  /** What a lie claims: the record as the request asked for it, though nothing changed. */
  const pretend = (request: { target: string; body: string }) => {
    const id = /dns_records\/([0-9a-f]{32})/.exec(request.target)?.[1];
    const existing = cf.records().find((r) => r.id === id);
    let asked: Record<string, unknown> = {};
    try {
      asked = JSON.parse(request.body) as Record<string, unknown>;
    } catch {}
    return { ...(existing ?? { id: "0123456789abcdef0123456789abcdef", ttl: 1, proxied: false }), ...asked };
  };
  return {
    kind: "cloudflare",
    secret,
    upstream: cf.url,
    targets: {
      changing: { list: 0.1, zones: 0.05, patch: 0.45, create: 0.15, delete: 0.25 },
      quiet: { list: 0.6, zones: 0.1, patch: 0.1, create: 0.1, delete: 0.1 },
    },
    createOp: "create",
    deleteOp: "delete",
    classify({ method, target }) {
      const path = target.split("?")[0] ?? "";
      if (/\/dns_records\/[^/]+$/.test(path)) {
        return method === "PATCH" ? "patch" : method === "DELETE" ? "delete" : method.toLowerCase();
      }
      if (path.endsWith("/dns_records")) return method === "POST" ? "create" : "list";
      if (path.endsWith("/zones")) return "zones";
      return "other";
    },
    providerToml: (endpoint, secretFile) =>
      providerTable("cloudflare", "api_token_file", endpoint, secretFile),
    fault(kind, op) {
      switch (kind) {
        case "http_500":
          return { kind: "status", status: 502, body: "<html><body>502 Bad Gateway</body></html>" };
        case "api_error":
          return failure(500, 10000, "Internal Server Error");
        case "garbage":
          return { kind: "status", status: 200, body: "<html><body>Attention Required!</body></html>" };
        case "truncated":
          return { kind: "reply", status: 200, body: '{"success":tr' };
        case "echo_secret":
          // A gateway that quotes the credential it refused, percent-encoded.
          return {
            kind: "reply",
            status: 400,
            body: (request) =>
              JSON.stringify({
                success: false,
                errors: [
                  {
                    code: 6003,
                    message: `Invalid request headers: authorization=${encodeURIComponent(String(request.headers.authorization ?? ""))}`,
                  },
                ],
                messages: [],
                result: null,
              }),
          };
        case "hang":
          return { kind: "hang" };
        case "reset":
          return { kind: "reset" };
        case "lose_reply":
          return { kind: "lose_reply" };
        case "slow":
          return { kind: "delay", ms: 120 };
        case "rate_limit":
          // A 429 with a short Retry-After: homing must hold back that long, then carry on.
          return {
            kind: "reply",
            status: 429,
            headers: { "retry-after": "1" },
            body: JSON.stringify({
              success: false,
              errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }],
              messages: [],
              result: null,
            }),
          };
        case "lie":
          // A convincing "success": the reply shows what was asked for; nothing changed.
          if (op === "list")
            return {
              kind: "reply",
              body: envelope([], {
                result_info: { page: 1, per_page: 100, count: 0, total_count: 0, total_pages: 1 },
              }),
            };
          if (op === "zones") return { kind: "reply", body: envelope([]) };
          if (op === "delete")
            return { kind: "reply", body: (request) => envelope({ id: pretend(request).id }) };
          return { kind: "reply", body: (request) => envelope(pretend(request)) };
      }
    },
    rows() {
      return cf
        .records()
        .filter((r) => r.type === "A" || r.type === "AAAA")
        .map((r) => ({ name: r.name, type: r.type, value: r.content, owned: r.comment === CF_COMMENT }));
    },
    async addOwnedRow(name, type, value) {
      cf.addRecord({ name, type, content: value, comment: CF_COMMENT });
    },
    async removeRows(name, type) {
      for (const record of cf.records().filter((r) => r.name === name && r.type === type)) {
        const response = await fetch(`${cf.url}zones/${record.zone_id}/dns_records/${record.id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${secret}` },
        });
        if (!response.ok)
          throw new Error(`cloudflare emulator: DELETE ${record.id}: HTTP ${response.status}`);
      }
    },
    apiCalls: () => cf.requests.length,
    close: () => cf.close(),
  };
}

// ---------------------------------------------------------------------------------------------------
// State-dir faults at the file-system boundary

interface StateFs {
  mode: "tmpfs" | "none";
  reason?: string;
  full(): Promise<void>;
  readOnly(): Promise<void>;
  /** Lifts any fault (idempotent). */
  heal(): Promise<void>;
  close(): Promise<void>;
}

async function stateFs(dir: string, wanted: boolean): Promise<StateFs> {
  const filler = join(dir, ".chaos-filler");
  let mounted = false;
  let readOnly = false;
  const none = (reason: string): StateFs => ({
    mode: "none",
    reason,
    full: async () => {},
    readOnly: async () => {},
    heal: async () => {},
    close: async () => {},
  });
  if (!wanted) return none("disabled");
  if (process.platform !== "linux" || process.getuid?.() !== 0)
    return none("needs root on Linux to mount a tmpfs");
  try {
    await run("mount", ["-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", dir]);
    mounted = true;
  } catch (error) {
    return none(`mount -t tmpfs failed: ${(error as Error).message.split("\n")[0]}`);
  }
  const heal = async () => {
    if (readOnly) {
      await run("mount", ["-o", "remount,rw", dir]);
      readOnly = false;
    }
    await rm(filler, { force: true });
  };
  return {
    mode: "tmpfs",
    async full() {
      try {
        // tmpfs counts pages: a file larger than the mount stops at ENOSPC with every page used.
        writeFileSync(filler, Buffer.alloc(1024 * 1024, 1));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
    },
    async readOnly() {
      await run("mount", ["-o", "remount,ro", dir]);
      readOnly = true;
    },
    heal,
    async close() {
      if (!mounted) return;
      await heal().catch(() => {});
      // A daemon killed a moment ago may still hold the directory; retry briefly.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await run("umount", [dir]);
          mounted = false;
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await run("umount", ["-l", dir]).catch(() => {});
      mounted = false;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The soak

type KillPlan =
  | { at: "delay"; ms: number; label: string }
  | { at: "arrival" | "applied"; op: string; label: string };

interface DetectionSource {
  echo: EchoServer;
  behaviour: EchoBehaviour;
}

/** One address family: its sources, its current answer and where its addresses come from. */
interface Family {
  label: "IPv4" | "IPv6";
  key: "ipv4" | "ipv6";
  type: "A" | "AAAA";
  host: "127.0.0.1" | "::1";
  current: string;
  /** A public address for an agreed answer (81.2.69.0/24, 2a00:1450:4001:81b::/64). */
  pick(): string;
  /** A fresh address no other source ever answers (another range, never repeated). */
  minority(): string;
  /** An address homing must refuse (documentation range). */
  rejected: string;
  sources: DetectionSource[];
  /** Every address this family has had as its agreed answer. */
  history: string[];
}

async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen({ host: "::1", port: 0, ipv6Only: true }, () => ok());
    });
    await new Promise<void>((ok) => server.close(() => ok()));
    return true;
  } catch {
    return false;
  }
}

const STACK_OR_CRASH =
  /unexpected failure|failed unexpectedly|^\s+at .+:\d+:\d+\)?$|\b(?:TypeError|ReferenceError|RangeError|SyntaxError)\b|Uncaught|FATAL ERROR/m;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const seed = options.seed ?? randomInt(2 ** 31);
  const rounds = options.rounds;
  const dice = new Dice(seed);
  const started = performance.now();
  let secret = "";
  const faults: Record<string, number> = {};
  const count = (kind: string) => {
    faults[kind] = (faults[kind] ?? 0) + 1;
  };
  const violations: ChaosViolation[] = [];
  let violationCount = 0;
  const notInjected: string[] = [];
  /** Recent events, quoted with each violation. */
  const recent: string[] = [];
  const note = (event: string) => {
    recent.push(`r${completed}: ${event}`);
    options.onEvent?.(`r${completed}: ${event}`);
    if (recent.length > 24) recent.shift();
  };
  let completed = 0;
  let roundsOk = 0;
  let roundsFailed = 0;
  let kills = 0;
  let restarts = 0;

  /** Details are kept for the first violation of each kind and place; all are counted. */
  const described = new Set<string>();
  const violate = (kind: string, detail: string, place = detail) => {
    violationCount++;
    if (described.has(`${kind}\n${place}`)) return;
    described.add(`${kind}\n${place}`);
    if (violations.length < 50) {
      violations.push({ round: completed, kind, detail: `${detail}\n    recent: ${recent.join(" | ")}` });
    }
  };

  // Addresses: agreed answers come from one range, minority answers from another, never repeated.
  let minoritySerial = 0;
  const v4: Family = {
    label: "IPv4",
    key: "ipv4",
    type: "A",
    host: "127.0.0.1",
    current: "",
    pick: () => `81.2.69.${dice.int(10, 250)}`,
    minority: () => {
      minoritySerial++;
      return `81.2.${70 + Math.floor(minoritySerial / 250)}.${(minoritySerial % 250) + 1}`;
    },
    rejected: "192.0.2.1",
    sources: [],
    history: [],
  };
  const v6: Family = {
    label: "IPv6",
    key: "ipv6",
    type: "AAAA",
    host: "::1",
    current: "",
    pick: () => `2a00:1450:4001:81b::${dice.int(0x100, 0xfff).toString(16)}`,
    minority: () => {
      minoritySerial++;
      return `2a00:1450:4001:81c::${minoritySerial.toString(16)}`;
    },
    rejected: "2001:db8::1",
    sources: [],
    history: [],
  };
  v4.current = v4.pick();
  v6.current = v6.pick();
  v4.history.push(v4.current);
  v6.history.push(v6.current);
  /** address -> the sources that served it. */
  const served = new Map<string, Set<DetectionSource>>();
  const agreed = new Set<string>([v4.current, v6.current]);
  const quorum = 2;

  const dir = await mkdtemp(join(tmpdir(), "homing-chaos-"));
  const stateDir = join(dir, "state");
  await mkdir(stateDir, { mode: 0o700 });
  const cleanups: Array<() => Promise<unknown>> = [async () => rm(dir, { recursive: true, force: true })];
  let child: ChildProcess | undefined;
  let observerTimer: NodeJS.Timeout | undefined;
  // Interrupted (Ctrl-C, a killed bench): the daemon, the tmpfs mount and the directory still go.
  const onInterrupt = (signal: NodeJS.Signals) => {
    child?.kill("SIGKILL");
    spawnSync("umount", ["-l", stateDir]);
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);
  try {
    // IPv6 too when this machine has a ::1 loopback to serve its detection from.
    const families: Family[] = [v4];
    if (await hasIpv6Loopback()) families.push(v6);
    else notInjected.push("IPv6 (AAAA) rounds: this machine has no ::1 loopback");
    const initial = families.map((family) => ({ type: family.type, value: family.current }));
    const world =
      (options.provider ?? "dreamhost") === "cloudflare"
        ? await cloudflareWorld(initial)
        : await dreamHostWorld(initial);
    secret = world.secret;
    const providerFaults: Partial<Record<ProviderFaultKind, number>> = { ...PROVIDER_FAULTS };
    for (const [kind, reason] of Object.entries(world.unsupported ?? {})) {
      delete providerFaults[kind as ProviderFaultKind];
      notInjected.push(reason);
    }
    cleanups.unshift(() => world.close());
    /** "name type" of every managed (name, type) that has had an address row. */
    const created = new Set<string>();
    let observerPaused = false;

    // -- detection sources --------------------------------------------------------------------
    for (const family of families) {
      for (let i = 0; i < 3; i++) {
        const source: DetectionSource = {
          behaviour: { answer: family.current },
          echo: await startEcho(
            { answer: family.current },
            {
              host: family.host,
              onRequest: () => {
                const b = source.behaviour;
                const healthy =
                  b?.answer !== undefined &&
                  !b.hang &&
                  !b.reset &&
                  !b.trickle &&
                  b.body === undefined &&
                  !b.status;
                if (!healthy || b?.answer === undefined) return;
                const set = served.get(b.answer) ?? new Set<DetectionSource>();
                set.add(source);
                served.set(b.answer, set);
                if (set.size >= quorum) agreed.add(b.answer);
              },
            },
          ),
        };
        family.sources.push(source);
        cleanups.unshift(() => source.echo.close());
      }
    }
    const setSource = (source: DetectionSource, behaviour: EchoBehaviour) => {
      source.behaviour = behaviour;
      source.echo.set(behaviour);
    };
    const healSources = () => {
      for (const family of families) {
        for (const source of family.sources) setSource(source, { answer: family.current });
      }
    };

    // -- the observer ---------------------------------------------------------------------------
    const open = new Set<string>();
    const episode = (key: string, bad: boolean, kind: string, detail: () => string) => {
      if (!bad) {
        open.delete(key);
        return;
      }
      if (open.has(key)) return;
      open.add(key);
      violate(kind, detail());
    };
    const observe = (where: string) => {
      if (observerPaused) return;
      const rows = world.rows();
      for (const name of MANAGED) {
        for (const { type } of families) {
          const here = rows.filter((r) => r.name === name && r.type === type);
          const id = `${name} ${type}`;
          if (here.length > 0) created.add(id);
          episode(`empty:${id}`, created.has(id) && here.length === 0, "no address record", () => {
            return `${name} has no ${type} record (seen ${where})`;
          });
          for (const row of here.filter((r) => r.owned)) {
            episode(`unagreed:${id}:${row.value}`, !agreed.has(row.value), "unagreed address", () => {
              return `${name} ${type} ${row.value} is published, but the sources never agreed on it (seen ${where})`;
            });
          }
        }
      }
      const bystander = rows.some((r) => r.name === BYSTANDER.name && r.value === BYSTANDER.value);
      episode(
        "bystander",
        !bystander,
        "unmanaged row touched",
        () => `${BYSTANDER.name} A ${BYSTANDER.value} is gone`,
      );
    };
    observerTimer = setInterval(() => observe("by polling"), 2);

    // -- the provider proxy and kill plans --------------------------------------------------------
    let killPlan: KillPlan | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    /** A signal sent to the daemon in the middle of the next round: a round request or a reload. */
    let signalPlan: { signal: "SIGUSR1" | "SIGHUP"; ms: number } | undefined;
    let signalTimer: NodeJS.Timeout | undefined;
    const proxy: FaultProxy = await startFaultProxy({
      upstream: world.upstream,
      classify: (request) => world.classify(request),
      onArrival: ({ request }) => {
        note(`${request.op}`);
        if (killPlan?.at === "arrival" && killPlan.op === request.op) {
          killNow();
          return "drop";
        }
        return undefined;
      },
      onUpstream: ({ request }) => {
        observe(`after ${request.op}`);
        if (killPlan?.at === "applied" && killPlan.op === request.op) killNow();
      },
      onFault: ({ request, fault }) => {
        const label = `provider ${request.op}: ${fault?.label ?? fault?.action.kind}`;
        count(label);
        note(label);
      },
    });
    cleanups.unshift(() => proxy.close());

    // -- state_dir on a tmpfs -------------------------------------------------------------------
    const fs = await stateFs(stateDir, options.stateFaults ?? true);
    cleanups.unshift(() => fs.close());
    if (fs.mode === "none") notInjected.push(`state write failures (ENOSPC, EROFS): ${fs.reason}`);

    // -- files and config -------------------------------------------------------------------------
    const secretFile = join(dir, "provider.key");
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
    await chmod(secretFile, 0o600);
    const configPath = join(dir, "homing.toml");

    // -- the heartbeat: round boundaries ----------------------------------------------------------
    let generation = 0;
    let phase: "soak" | "converge" | "done" = "soak";
    let quietRounds = 0;
    let convergeStartedAt = 0;
    let settle: (() => void) | undefined;
    let fail: ((error: Error) => void) | undefined;
    const finished = new Promise<void>((resolveFinished, rejectFinished) => {
      settle = resolveFinished;
      fail = rejectFinished;
    });
    let lastProgress = performance.now();
    const heartbeatBodies: string[] = [];

    const scanSecrets = (where: string, text: string) => {
      const leak = describeLeak(text, secret);
      if (leak === undefined) return;
      const place = where.replace(/\(generation \d+\)|after round \d+|after kill -9|at the end/g, "");
      violate("secret leaked", `${where} holds the canary, ${leak}`, place);
    };
    const scanStateDir = (where: string) => {
      let names: string[] = [];
      try {
        names = readdirSync(stateDir);
      } catch {
        return;
      }
      for (const name of names) {
        if (name === ".chaos-filler") continue;
        try {
          scanSecrets(`${where}: state_dir/${name}`, readFileSync(join(stateDir, name), "utf8"));
        } catch {
          // Gone between readdir and read (an atomic rename), or a directory: nothing to scan.
        }
      }
    };

    const armStep = async (options: { allowKill: boolean; allowFs: boolean }) => {
      const steps: string[] = [];
      for (const family of families) {
        if (!dice.chance(family.type === "A" ? 0.2 : 0.12)) continue;
        let next = family.current;
        while (next === family.current) next = family.pick();
        family.current = next;
        family.history.push(next);
        count(`address change (${family.label})`);
        steps.push(`address -> ${next}`);
      }
      healSources();
      // Someone else edits the zone: a stray copy of homing's row, or the name's rows deleted.
      if (dice.chance(0.05)) {
        const family = dice.pick(families);
        const name = dice.pick(MANAGED);
        if (dice.chance(0.6)) {
          const older = family.history.filter((address) => address !== family.current);
          if (older.length > 0) {
            const value = dice.pick(older);
            await world.addOwnedRow(name, family.type, value);
            count("external: a stray copy of homing's row");
            steps.push(`stray ${name} ${family.type} ${value}`);
          }
        } else {
          // Not homing's doing: the name counts as never created until homing creates it again
          // (the observer looks away while the rows go).
          observerPaused = true;
          await world.removeRows(name, family.type);
          created.delete(`${name} ${family.type}`);
          observerPaused = false;
          count("external: the name's rows deleted");
          steps.push(`deleted ${name} ${family.type}`);
        }
      }
      if (dice.chance(0.3)) {
        const family = dice.pick(families);
        const current = family.current;
        const mode = dice.weighted({ one_fails: 4, two_fail: 1.5, minority: 2, no_quorum: 1, slow: 1 });
        const order = [0, 1, 2];
        for (let i = order.length - 1; i > 0; i--) {
          const j = dice.int(0, i);
          [order[i], order[j]] = [order[j] as number, order[i] as number];
        }
        const failure = (): [string, EchoBehaviour] => {
          const kind = dice.weighted({
            http_503: 1,
            reset: 1,
            hang: 0.6,
            trickle: 0.4,
            garbage: 1,
            rejected: 1,
          });
          const behaviour: Record<typeof kind, EchoBehaviour> = {
            http_503: { answer: current, status: 503 },
            reset: { reset: true },
            hang: { hang: true },
            trickle: { trickle: true },
            garbage: { body: "<html>captive portal</html>" },
            rejected: { answer: family.rejected },
          };
          return [kind, behaviour[kind]];
        };
        const sourceAt = (i: number) => family.sources[order[i] as number] as DetectionSource;
        if (mode === "one_fails" || mode === "two_fail") {
          for (let i = 0; i < (mode === "one_fails" ? 1 : 2); i++) {
            const [kind, behaviour] = failure();
            setSource(sourceAt(i), behaviour);
            count(`detection: source ${kind}`);
            steps.push(`${family.label} source ${order[i]} ${kind}`);
          }
        } else if (mode === "minority") {
          setSource(sourceAt(0), { answer: family.minority() });
          count("detection: minority answer");
          steps.push(`${family.label} source ${order[0]} minority`);
        } else if (mode === "no_quorum") {
          setSource(sourceAt(0), { answer: family.minority() });
          setSource(sourceAt(1), { answer: family.minority() });
          count("detection: no quorum");
          steps.push(`${family.label} no quorum`);
        } else {
          setSource(sourceAt(0), { answer: current, delayMs: 60 });
          count("detection: slow source");
          steps.push(`${family.label} source ${order[0]} slow`);
        }
      }
      // Mutations happen mostly when the address changes: that is when add/remove faults bite.
      const changing = steps.some((s) => s.startsWith("address"));
      // After an outside edit the next round creates (rows deleted) or deletes (a stray copy).
      const edited = steps.find((s) => s.startsWith("stray") || s.startsWith("deleted"));
      if (dice.chance(changing || edited ? 0.7 : 0.3)) {
        const op =
          edited && dice.chance(0.7)
            ? edited.startsWith("stray")
              ? world.deleteOp
              : world.createOp
            : dice.weighted(changing ? world.targets.changing : world.targets.quiet);
        const kind = dice.weighted(providerFaults);
        const times = dice.chance(0.1) ? 3 : 1;
        const fault: ProxyFault = { op, times, action: world.fault(kind, op), label: kind };
        proxy.addFault(fault);
        steps.push(`${op} ${kind} x${times}`);
      }
      if (world.setLag && dice.chance(0.08)) {
        const ms = dice.int(20, 300);
        world.setLag(ms);
        count("provider: list lags behind changes");
        steps.push(`lag ${ms}ms`);
      }
      if (options.allowFs && fs.mode === "tmpfs" && dice.chance(0.06)) {
        if (dice.chance(0.5)) {
          await fs.full();
          count("state write: ENOSPC (tmpfs full)");
          steps.push("ENOSPC");
        } else {
          await fs.readOnly();
          count("state write: EROFS (read-only remount)");
          steps.push("EROFS");
        }
      }
      if (dice.chance(0.04)) {
        signalPlan = { signal: dice.chance(0.5) ? "SIGUSR1" : "SIGHUP", ms: dice.int(0, 10) };
        steps.push(`${signalPlan.signal} at ${signalPlan.ms}ms`);
      }
      // At least one kill per run, however short: halfway through, if none landed yet.
      const due = kills === 0 && completed >= Math.floor(rounds / 2);
      if (options.allowKill && (dice.chance(0.035) || due)) {
        const where = dice.weighted({ delay: 2, arrival: 1, applied: 1 });
        if (where === "delay") {
          const ms = dice.int(0, 15);
          killPlan = { at: "delay", ms, label: "kill -9: at a random moment" };
        } else {
          const op = dice.pick(Object.keys(world.targets.changing));
          killPlan = {
            at: where,
            op,
            label: `kill -9: ${where === "arrival" ? "as" : "after"} ${op} ${where === "arrival" ? "arrives" : "is applied"}`,
          };
        }
        steps.push(killPlan.label);
      }
      if (steps.length) note(steps.join(", "));
    };

    const clearStep = async () => {
      killPlan = undefined;
      clearTimeout(killTimer);
      signalPlan = undefined;
      clearTimeout(signalTimer);
      proxy.clearFaults();
      world.setLag?.(0);
      healSources();
      await fs.heal();
    };

    // -- the daemon process -----------------------------------------------------------------------
    const outputs: string[] = [];
    let expectingExit = false;
    /** A start expected to be refused (state_dir full or read-only), and by which generation. */
    let refusal: { how: string; generation: number } | undefined;
    const statusPort = await freePort();
    const statusUrl = `http://127.0.0.1:${statusPort}`;
    /** The status server's pages are homing outputs too: scanned every few rounds. */
    const scanStatus = async (where: string) => {
      for (const page of ["/", "/api/status", "/healthz", "/metrics"]) {
        try {
          scanSecrets(`${where}: status ${page}`, await getText(`${statusUrl}${page}`));
        } catch (error) {
          const cause = (error as Error & { cause?: Error }).cause;
          violate(
            "status server",
            `${page} did not answer: ${(error as Error).message}${cause ? ` (${cause.message})` : ""}`,
            page,
          );
        }
      }
    };
    const writeConfig = () => {
      const lines = [
        `state_dir = ${JSON.stringify(stateDir)}`,
        'recheck = "1ms"',
        'timeout = "20s"',
        "",
        "[detect]",
        'timeout = "250ms"',
        ...families.flatMap((family) => [
          `[detect.${family.key}]`,
          `sources = [${family.sources.map((s, i) => `{ url = ${JSON.stringify(s.echo.url)}, name = "${family.key}-echo-${i}" }`).join(", ")}]`,
          `quorum = ${quorum}`,
        ]),
        "",
        "[daemon]",
        'interval = "1ms"',
        'jitter = "0s"',
        'max_backoff = "1ms"',
        'shutdown_timeout = "2s"',
        "",
        "[status]",
        `listen = "127.0.0.1:${statusPort}"`,
        "",
        "[notify]",
        'timeout = "10s"',
        "[heartbeat]",
        `healthchecks = ${JSON.stringify(`${heartbeatUrl}/g${generation}/chaos-heartbeat-check`)}`,
        "",
        ...world.providerToml(proxy.url, secretFile),
        "",
      ];
      for (const name of MANAGED) {
        lines.push("[[records]]", `name = ${JSON.stringify(name)}`, 'provider = "main"');
        lines.push(`ipv6 = ${families.includes(v6)}`, "");
      }
      writeFileSync(configPath, lines.join("\n"), { mode: 0o600 });
    };

    const killNow = () => {
      const plan = killPlan;
      killPlan = undefined;
      clearTimeout(killTimer);
      if (!child || child.exitCode !== null || expectingExit) return;
      expectingExit = true;
      kills++;
      count(plan?.label ?? "kill -9");
      note(plan?.label ?? "kill -9");
      child.kill("SIGKILL");
    };

    const start = () => {
      generation++;
      writeConfig();
      expectingExit = false;
      const env = options.env ?? cleanChildEnv(dir);
      const proc = spawn(process.execPath, [options.bin ?? DEFAULT_BIN, "daemon", "-c", configPath, "-vv"], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = proc;
      const gen = generation;
      let output = "";
      proc.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
      });
      proc.on("close", (code, signal) => {
        outputs.push(output);
        options.onOutput?.(gen, output);
        scanSecrets(`daemon output (generation ${gen})`, output);
        const crash = STACK_OR_CRASH.exec(output);
        if (crash) {
          const at = output.lastIndexOf("\n", crash.index);
          violate("crash", `daemon output shows a crash: ${output.slice(at + 1, at + 600)}`);
        }
        if (phase === "done") return;
        if (refusal !== undefined && refusal.generation === gen) {
          // Started on a state_dir it cannot write: it must say so (naming state_dir) and exit non-zero.
          const how = refusal.how;
          refusal = undefined;
          if (code === 0 || signal !== null || !/state_dir/.test(output)) {
            violate(
              "unclear refusal",
              `a daemon started with state_dir ${how} exited with code ${code}, signal ${signal}, and said: ${output.trim().slice(-600)}`,
              how,
            );
          }
          void restart();
          return;
        }
        const ours = expectingExit && signal === "SIGKILL";
        if (!ours)
          violate(
            "crash",
            `the daemon exited by itself (code ${code}, signal ${signal}): ${output.slice(-800)}`,
          );
        void restart();
      });
    };

    const restart = async () => {
      try {
        await clearStep();
        proxy.dropConnections();
        observe("after kill -9");
        scanStateDir("after kill -9");
        restarts++;
        // Sometimes the restart meets a state_dir it cannot write (no lock can be taken there):
        // the daemon must refuse clearly; then the file system heals and it starts for real.
        if (phase === "soak" && fs.mode === "tmpfs" && dice.chance(0.25)) {
          const how = dice.chance(0.5) ? "read-only" : "full";
          await (how === "read-only" ? fs.readOnly() : fs.full());
          count(`restart with state_dir ${how}`);
          note(`restart with state_dir ${how}`);
          refusal = { how, generation: generation + 1 };
          start();
          return;
        }
        // Otherwise the restart round meets the next step's faults, the file system's excepted.
        if (phase === "soak") await armStep({ allowKill: true, allowFs: false });
        start();
      } catch (error) {
        fail?.(error as Error);
      }
    };

    const onRoundEnd = async (ok: boolean, body: string) => {
      lastProgress = performance.now();
      heartbeatBodies.push(body);
      scanSecrets("heartbeat body", body);
      await clearStep();
      observe("at a round's end");
      scanStateDir(`after round ${completed + 1}`);
      if (completed % 10 === 0) await scanStatus(`after round ${completed + 1}`);
      if (phase === "soak") {
        completed++;
        if (ok) roundsOk++;
        else roundsFailed++;
        if (options.progress && completed % Math.max(1, Math.floor(options.rounds / 10)) === 0) {
          options.progress(
            `chaos: ${completed}/${options.rounds} rounds, ${kills} kills, ${violationCount} violations, ${((performance.now() - started) / 1000).toFixed(0)} s`,
          );
        }
        if (completed >= options.rounds) {
          phase = "converge";
          convergeStartedAt = performance.now();
          note("quiet rounds from here");
          return;
        }
        await armStep({ allowKill: true, allowFs: true });
        return;
      }
      if (phase === "converge") {
        quietRounds++;
        // Rounds run back to back (1 ms apart), so five of them can all fall inside a backoff the
        // last faults earned (a 429's Retry-After). Quiet means the faults stop, not that homing
        // ignores what the service asked: give it the backoff window too, then it must converge.
        const quietMs = performance.now() - convergeStartedAt;
        if (ok || (quietRounds >= 5 && quietMs >= CONVERGE_WINDOW_MS)) {
          if (!ok)
            violate(
              "no convergence",
              `${quietRounds} quiet rounds in ${(quietMs / 1000).toFixed(1)} s, none succeeded: ${body}`,
            );
          phase = "done";
          settle?.();
        }
      }
    };

    const heartbeat: Server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const path = new URL(req.url ?? "/", "http://x").pathname;
        const fromGeneration = Number(/^\/g(\d+)\//.exec(path)?.[1]);
        const body = Buffer.concat(chunks).toString("utf8");
        const answer = () => {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end("OK");
        };
        // A ping from a daemon killed a moment ago says nothing about the current one.
        if (fromGeneration !== generation || phase === "done") return answer();
        if (refusal?.generation === fromGeneration) {
          // It started after all (the lock fitted on the full file system): its rounds are rounds.
          count(`restart ran with state_dir ${refusal.how}`);
          refusal = undefined;
        }
        if (path.endsWith("/start")) {
          if (killPlan?.at === "delay") killTimer = setTimeout(killNow, killPlan.ms);
          const plan = signalPlan;
          if (plan) {
            signalTimer = setTimeout(() => {
              if (child && child.exitCode === null && !expectingExit) {
                child.kill(plan.signal);
                count(`signal: ${plan.signal} mid-round`);
              }
            }, plan.ms);
          }
          return answer();
        }
        onRoundEnd(!path.endsWith("/fail"), body).then(answer, (error: Error) => {
          answer();
          fail?.(error);
        });
      });
    });
    await new Promise<void>((ok) => heartbeat.listen(0, "127.0.0.1", ok));
    const heartbeatUrl = `http://127.0.0.1:${(heartbeat.address() as AddressInfo).port}`;
    cleanups.unshift(
      () =>
        new Promise<void>((ok) => {
          heartbeat.close(() => ok());
          heartbeat.closeAllConnections();
        }),
    );

    const stallMs = options.stallMs ?? 60_000;
    const watchdog = setInterval(() => {
      if (performance.now() - lastProgress > stallMs) {
        lastProgress = performance.now();
        violate("stall", `no round finished for ${stallMs / 1000} s; killing the daemon`);
        if (violationCount > 20) fail?.(new Error("the daemon keeps stalling"));
        else killNow();
      }
    }, 1000);
    cleanups.unshift(async () => clearInterval(watchdog));

    await armStep({ allowKill: false, allowFs: false });
    start();
    await finished;

    // -- convergence ------------------------------------------------------------------------------
    clearInterval(observerTimer);
    observe("after the quiet round");
    const rows = world.rows();
    for (const name of MANAGED) {
      for (const { type, current } of families) {
        const owned = rows.filter((r) => r.name === name && r.type === type && r.owned);
        if (owned.length !== 1 || owned[0]?.value !== current) {
          violate(
            "not converged",
            `${name} ${type} holds ${owned.map((r) => r.value).join(", ") || "nothing"} after a quiet round; expected exactly ${current}`,
          );
        }
      }
    }
    await scanStatus("at the end");
    const exited = new Promise<void>((ok) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) ok();
      else child.once("close", () => ok());
    });
    const stopping = child;
    stopping?.kill("SIGTERM");
    const code = await new Promise<number | null>((ok) => {
      if (!stopping || stopping.exitCode !== null) ok(stopping?.exitCode ?? 0);
      else stopping.once("exit", (c) => ok(c));
    });
    await exited;
    if (code !== 0) violate("crash", `SIGTERM at the end: exit code ${code}`);
    scanStateDir("at the end");
    let leftovers = 0;
    try {
      leftovers = readdirSync(stateDir).filter((name) => name.endsWith(".tmp")).length;
    } catch {}
    return {
      seed,
      provider: world.kind,
      rounds: completed,
      roundsOk,
      roundsFailed,
      kills,
      restarts,
      faults,
      notInjected,
      violations,
      violationCount,
      apiCalls: world.apiCalls(),
      leftoverTempFiles: leftovers,
      ms: performance.now() - started,
    };
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
    clearInterval(observerTimer);
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

/**
 * GET on a fresh connection: a pooled keep-alive socket to a daemon killed since would fail the
 * request without the new daemon ever being asked.
 */
function getText(url: string): Promise<string> {
  return new Promise((resolveText, reject) => {
    const request = httpGet(url, { agent: false, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolveText(Buffer.concat(chunks).toString("utf8")));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 5 s")));
    request.on("error", reject);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** The environment of the daemon: no HOMING_* leaking in, HOME inside the soak's directory. */
function cleanChildEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("HOMING_") || name === "STATE_DIRECTORY" || name === "NODE_OPTIONS") continue;
    env[name] = value;
  }
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, ".config");
  env.XDG_STATE_HOME = join(home, ".local", "state");
  return env;
}

/** The report as the bench and the test print it. */
export function formatChaos(report: ChaosReport): string {
  const lines = [
    `Chaos soak (${report.provider}), seed ${report.seed}: ${report.rounds} rounds (${report.roundsOk} ok, ${report.roundsFailed} failed) in ${(report.ms / 1000).toFixed(1)} s, ${report.kills} kill -9 and restarts, ${report.apiCalls} API calls.`,
    "Faults injected per kind:",
    ...Object.entries(report.faults)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => `  ${String(n).padStart(6)}  ${kind}`),
  ];
  for (const missing of report.notInjected) lines.push(`Not injected: ${missing}`);
  if (report.leftoverTempFiles > 0) {
    lines.push(`Note: ${report.leftoverTempFiles} temporary state file(s) left in state_dir by kill -9.`);
  }
  lines.push(`violations: ${report.violationCount}`);
  for (const v of report.violations) lines.push(`  round ${v.round}: ${v.kind}: ${v.detail}`);
  lines.push(`Reproduce the decisions with seed ${report.seed}.`);
  return lines.join("\n");
}
