/**
 * A real PowerDNS Authoritative server (Debian's pdns-server 4.7 with the gsqlite3 backend) for the
 * integration tests, started on loopback on free ports in a fresh directory: sqlite database from
 * Debian's schema, a base zone made with pdnsutil, pdns_server in the foreground with the HTTP API
 * on. Plus what the tests need around it: direct API calls for fixtures and checks, a DNS query to
 * the instance, a recording proxy in front of the API with fault injection, and a "world" (temp dir,
 * IP echo sources, key file, homing config) per test.
 *
 * See /work/shared/reference/reliability.md Part 2 for the recipe and its pitfalls.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { closeSync, existsSync, openSync } from "node:fs";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { join } from "node:path";
import { addressFromBytes } from "../../src/core/ip.ts";
import { type EchoBehaviour, type EchoServer, startEcho } from "../emulators/ip-echo.ts";
import {
  type ConfigSpec,
  canaryKey,
  configToml,
  IP1,
  makeTempDir,
  type RecordSpec,
  type RunOptions,
  type RunResult,
  runCli,
  type StateFile,
} from "./harness.ts";

/** Where Debian's pdns-backend-sqlite3 puts the schema (the doc copy is the fallback). */
const SCHEMA_PATHS = [
  "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
  "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
];

const TOOL_TIMEOUT_MS = 10_000;

/** The command's path (PATH plus the sbin directories, where Debian puts pdns_server), if installed. */
function which(command: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
  for (const dir of dirs) if (dir !== "" && existsSync(join(dir, command))) return join(dir, command);
  return undefined;
}

function binary(command: string): string {
  return which(command) ?? command;
}

/** Undefined when everything needed is installed, otherwise what is missing and how to install it. */
export function pdnsMissing(): string | undefined {
  const missing = ["pdns_server", "pdnsutil", "sqlite3"].filter((command) => which(command) === undefined);
  if (!SCHEMA_PATHS.some((path) => existsSync(path))) missing.push("the gsqlite3 schema");
  if (missing.length === 0) return undefined;
  return `PowerDNS tests need ${missing.join(", ")}: apt-get install -y --no-install-recommends pdns-server pdns-backend-sqlite3 sqlite3`;
}

function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary(command),
      args,
      { timeout: TOOL_TIMEOUT_MS, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A TCP port on 127.0.0.1 that is free now (and free for UDP too when asked). */
async function freePort(udpToo: boolean): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const tcp = createTcpServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(0, "127.0.0.1", () => resolve((tcp.address() as AddressInfo).port));
    });
    let udpOk = true;
    if (udpToo) {
      const udp = createSocket("udp4");
      udpOk = await new Promise<boolean>((resolve) => {
        udp.once("error", () => resolve(false));
        udp.bind(port, "127.0.0.1", () => resolve(true));
      });
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (udpOk) return port;
  }
  throw new Error("no free port pair on 127.0.0.1");
}

// ------------------------------------------------------------------------------------------------
// DNS: one UDP query, answers decoded (A, AAAA, TXT, CNAME as text)

const QTYPE: Record<string, number> = { A: 1, CNAME: 5, TXT: 16, AAAA: 28 };

function encodeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, "")
    .split(".")
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, "ascii")]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** Offset just after the (possibly compressed) name at `offset`. */
function skipName(message: Buffer, offset: number): number {
  let at = offset;
  for (;;) {
    const length = message[at] ?? 0;
    if ((length & 0xc0) === 0xc0) return at + 2;
    if (length === 0) return at + 1;
    at += length + 1;
  }
}

function readName(message: Buffer, offset: number): string {
  const labels: string[] = [];
  let at = offset;
  for (let hops = 0; hops < 64; hops++) {
    const length = message[at] ?? 0;
    if ((length & 0xc0) === 0xc0) {
      at = ((length & 0x3f) << 8) | (message[at + 1] ?? 0);
      continue;
    }
    if (length === 0) break;
    labels.push(message.toString("ascii", at + 1, at + 1 + length));
    at += length + 1;
  }
  return labels.join(".");
}

export interface DnsAnswer {
  rcode: number;
  /** Authoritative Answer flag. */
  aa: boolean;
  answers: string[];
}

/** Asks 127.0.0.1:`port` for (name, type) over UDP, 2 s deadline; answers of that type, sorted. */
export function dnsQuery(
  port: number,
  name: string,
  type: "A" | "AAAA" | "TXT" | "CNAME",
): Promise<DnsAnswer> {
  const id = randomBytes(2).readUInt16BE(0);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const qtype = QTYPE[type] as number;
  const question = Buffer.concat([encodeName(name), Buffer.from([0, 0, 0, 1])]);
  question.writeUInt16BE(qtype, question.length - 4);
  const query = Buffer.concat([header, question]);
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no DNS answer from 127.0.0.1:${port} for ${name} ${type} within 2 s`));
    }, 2000);
    socket.on("message", (message: Buffer) => {
      if (message.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      socket.close();
      const flags = message.readUInt16BE(2);
      const answerCount = message.readUInt16BE(6);
      let at = skipName(message, 12) + 4;
      const answers: string[] = [];
      for (let i = 0; i < answerCount; i++) {
        at = skipName(message, at);
        const rrType = message.readUInt16BE(at);
        const length = message.readUInt16BE(at + 8);
        const data = message.subarray(at + 10, at + 10 + length);
        if (rrType === qtype) {
          if (rrType === 1 || rrType === 28) answers.push(addressFromBytes(data)?.canonical ?? "?");
          else if (rrType === 5) answers.push(readName(message, at + 10));
          else if (rrType === 16) {
            const strings: string[] = [];
            for (let p = 0; p < data.length; p += (data[p] ?? 0) + 1) {
              strings.push(data.toString("utf8", p + 1, p + 1 + (data[p] ?? 0)));
            }
            answers.push(strings.join(""));
          }
        }
        at += 10 + length;
      }
      resolve({ rcode: flags & 0x0f, aa: (flags & 0x0400) !== 0, answers: answers.sort() });
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.send(query, port, "127.0.0.1");
  });
}

// ------------------------------------------------------------------------------------------------
// The server

export interface RecordFixture {
  content: string;
  disabled?: boolean;
}

export interface RRsetFixture {
  /** Relative to the zone ("home", "@") or absolute with a trailing dot. */
  name: string;
  type: string;
  ttl?: number;
  records: Array<string | RecordFixture>;
}

export interface RRsetView {
  name: string;
  type: string;
  ttl: number;
  records: Array<{ content: string; disabled: boolean }>;
}

export interface ApiResult {
  status: number;
  body: string;
  json: unknown;
}

export interface PdnsServer {
  dir: string;
  /** "http://127.0.0.1:PORT", the webserver that serves the API. */
  apiUrl: string;
  apiKey: string;
  dnsPort: number;
  /** A TXT record at `_run.example.test` holding this, to prove the answering server is this one. */
  runMarker: string;
  /** A direct API call (no proxy), for fixtures and checks. Paths below /api/v1/servers/localhost. */
  api(method: string, path: string, body?: unknown): Promise<ApiResult>;
  /** Creates a zone through the API (which also tells the running server about it). */
  createZone(zone: string, rrsets?: readonly RRsetFixture[]): Promise<void>;
  /** REPLACEs RRsets in a zone through the API. */
  setRRsets(zone: string, rrsets: readonly RRsetFixture[]): Promise<void>;
  /** The zone's RRsets (optionally only at `name`), as the API shows them. */
  rrsets(zone: string, name?: string): Promise<RRsetView[]>;
  /** Enabled values of (name, type), sorted. */
  values(zone: string, name: string, type: string): Promise<string[]>;
  query(name: string, type: "A" | "AAAA" | "TXT" | "CNAME"): Promise<DnsAnswer>;
  running(): boolean;
  /** SIGTERM and wait until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and database (after stop). */
  start(): Promise<void>;
  log(): Promise<string>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

function absolute(name: string, zone: string): string {
  if (name.endsWith(".")) return name;
  if (name === "@" || name === "") return `${zone}.`;
  return `${name}.${zone}.`;
}

function toRecords(
  records: ReadonlyArray<string | RecordFixture>,
): Array<{ content: string; disabled: boolean }> {
  return records.map((record) =>
    typeof record === "string"
      ? { content: record, disabled: false }
      : { content: record.content, disabled: record.disabled ?? false },
  );
}

/** Starts a fresh PowerDNS with base zone example.test (made with pdnsutil before the start). */
export async function startPdns(): Promise<PdnsServer> {
  const dir = await makeTempDir("homing-pdns-");
  const apiKey = canaryKey();
  const runMarker = `homing-run-${randomBytes(6).toString("hex")}`;
  let dnsPort = 0;
  let webPort = 0;
  const pickPorts = async (): Promise<void> => {
    dnsPort = await freePort(true);
    webPort = await freePort(false);
    while (webPort === dnsPort) webPort = await freePort(false);
  };
  await pickPorts();
  const conf = (): string =>
    [
      "launch=gsqlite3",
      `gsqlite3-database=${join(dir, "pdns.sqlite3")}`,
      "local-address=127.0.0.1",
      `local-port=${dnsPort}`,
      `socket-dir=${dir}`,
      "daemon=no",
      "guardian=no",
      "disable-syslog=yes",
      "loglevel=4",
      "security-poll-suffix=",
      "default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600",
      // Zones made by pdnsutil or the API show up at once, and DNS answers are never stale.
      "zone-cache-refresh-interval=0",
      "cache-ttl=0",
      "negquery-cache-ttl=0",
      "query-cache-ttl=0",
      "api=yes",
      `api-key=${apiKey}`,
      "webserver=yes",
      "webserver-address=127.0.0.1",
      `webserver-port=${webPort}`,
      "webserver-allow-from=127.0.0.1",
    ].join("\n");
  await writeFile(join(dir, "pdns.conf"), `${conf()}\n`, { mode: 0o600 });
  const schema = SCHEMA_PATHS.find((path) => existsSync(path)) as string;
  await run("sqlite3", [join(dir, "pdns.sqlite3")], await readFile(schema, "utf8"));
  const util = (...args: string[]) => run("pdnsutil", [`--config-dir=${dir}`, ...args]);
  await util("create-zone", "example.test", "ns1.example.test");
  await util("add-record", "example.test", "ns1", "A", "60", "127.0.0.1");
  await util("add-record", "example.test", "_run", "TXT", "60", `"${runMarker}"`);

  const apiUrl = () => `http://127.0.0.1:${webPort}`;
  const logPath = join(dir, "pdns.log");
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const api = (method: string, path: string, body?: unknown): Promise<ApiResult> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(
        `${apiUrl()}/api/v1/servers/localhost${path}`,
        {
          method,
          headers: {
            "x-api-key": apiKey,
            ...(payload
              ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
              : {}),
          },
          agent: false,
          timeout: 5000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: text, json });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`PowerDNS API ${method} ${path}: no answer within 5 s`)));
      req.on("error", reject);
      req.end(payload);
    });

  const start = async (): Promise<void> => {
    const fd = openSync(logPath, "a");
    const spawned = spawn(binary("pdns_server"), [`--config-dir=${dir}`], {
      stdio: ["ignore", fd, fd],
      detached: false,
    });
    closeSync(fd);
    child = spawned;
    exited = new Promise((resolve) => spawned.once("exit", () => resolve()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (spawned.exitCode !== null || spawned.signalCode !== null) break;
      try {
        const reply = await api("GET", "");
        if (reply.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const log = await readFile(logPath, "utf8").catch(() => "");
    spawned.kill("SIGKILL");
    throw new Error(`pdns_server did not start (dir ${dir}):\n${log.split("\n").slice(-20).join("\n")}`);
  };

  const stop = async (): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill("SIGTERM");
    const killer = setTimeout(() => current.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  };

  // Another test file's server may grab a port between the check and pdns's bind: try new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
      await pickPorts();
      await writeFile(join(dir, "pdns.conf"), `${conf()}\n`, { mode: 0o600 });
    }
  }
  const server: PdnsServer = {
    dir,
    apiUrl: apiUrl(),
    apiKey,
    dnsPort,
    runMarker,
    api,
    async createZone(zone, rrsets = []) {
      const created = await api("POST", "/zones", {
        name: `${zone}.`,
        kind: "Native",
        nameservers: ["ns1.example.test."],
      });
      if (created.status !== 201)
        throw new Error(`creating zone ${zone}: HTTP ${created.status} ${created.body}`);
      if (rrsets.length) await server.setRRsets(zone, rrsets);
    },
    async setRRsets(zone, rrsets) {
      const patched = await api("PATCH", `/zones/${zone}.`, {
        rrsets: rrsets.map((rrset) => ({
          name: absolute(rrset.name, zone),
          type: rrset.type,
          ttl: rrset.ttl ?? 60,
          changetype: "REPLACE",
          records: toRecords(rrset.records),
        })),
      });
      if (patched.status !== 204)
        throw new Error(`setting RRsets in ${zone}: HTTP ${patched.status} ${patched.body}`);
    },
    async rrsets(zone, name) {
      const reply = await api("GET", `/zones/${zone}.`);
      if (reply.status !== 200) throw new Error(`reading zone ${zone}: HTTP ${reply.status} ${reply.body}`);
      const all = (reply.json as { rrsets: RRsetView[] }).rrsets;
      const wanted = name === undefined ? undefined : absolute(name, zone).toLowerCase();
      return all
        .filter((rrset) => wanted === undefined || rrset.name.toLowerCase() === wanted)
        .map((rrset) => ({
          ...rrset,
          records: [...rrset.records].sort((a, b) => a.content.localeCompare(b.content)),
        }))
        .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
    },
    async values(zone, name, type) {
      const rrset = (await server.rrsets(zone, name)).find((r) => r.type === type);
      return (rrset?.records ?? [])
        .filter((record) => !record.disabled)
        .map((record) => record.content)
        .sort();
    },
    query(name, type) {
      return dnsQuery(dnsPort, name, type);
    },
    running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    start,
    log() {
      return readFile(logPath, "utf8");
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

// ------------------------------------------------------------------------------------------------
// A recording proxy in front of the API, with fault injection

export type ApiFault =
  /** Answer with this status and body instead of forwarding (the server never sees the request). */
  | {
      kind: "status";
      status: number;
      body?: string;
      headers?: Record<string, string>;
      method?: string;
      times?: number;
    }
  /** Close the connection without an answer (the server never sees the request). */
  | { kind: "reset"; method?: string; times?: number }
  /** Forward, let the server apply it, then close the connection instead of passing the answer on. */
  | { kind: "drop-reply"; method?: string; times?: number }
  /** Run `action` (e.g. another client's change), then forward. */
  | { kind: "before"; method?: string; times?: number; action: () => Promise<void> };

export interface ProxyLogEntry {
  method: string;
  /** Path and query, exactly as homing sent them. */
  path: string;
  /** "***" when the X-API-Key header was present (its value is never logged). */
  apiKey: "***" | undefined;
  contentType: string | undefined;
  /** The parsed JSON request body (PowerDNS request bodies hold no secret). */
  body: unknown;
  /** The status homing got (0: no answer). */
  status: number;
  /** What the proxy did: forwarded, or which fault. */
  via: "forwarded" | ApiFault["kind"];
}

export interface ApiProxy {
  url: string;
  log: ProxyLogEntry[];
  fault(fault: ApiFault): void;
  close(): Promise<void>;
}

export async function startApiProxy(upstream: string): Promise<ApiProxy> {
  const faults: ApiFault[] = [];
  const log: ProxyLogEntry[] = [];
  const target = new URL(upstream);
  const takeFault = (method: string): ApiFault | undefined => {
    const index = faults.findIndex((f) => f.method === undefined || f.method === method);
    if (index < 0) return undefined;
    const fault = faults[index] as ApiFault;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) faults.splice(index, 1);
    else faults[index] = { ...fault, times: left };
    return fault;
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
      } catch {
        body = raw.toString("utf8");
      }
      const method = req.method ?? "GET";
      const entry: ProxyLogEntry = {
        method,
        path: req.url ?? "",
        apiKey: req.headers["x-api-key"] === undefined ? undefined : "***",
        contentType: req.headers["content-type"],
        body,
        status: 0,
        via: "forwarded",
      };
      log.push(entry);
      const fault = takeFault(method);
      if (fault?.kind === "status") {
        entry.via = "status";
        entry.status = fault.status;
        res.writeHead(fault.status, { "content-type": "text/plain", ...fault.headers });
        res.end(fault.body ?? "");
        return;
      }
      if (fault?.kind === "reset") {
        entry.via = "reset";
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "before") {
        entry.via = "before";
        await fault.action();
      }
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method,
          headers: { ...req.headers, host: target.host },
          agent: false,
        },
        (upstreamRes) => {
          const replyChunks: Buffer[] = [];
          upstreamRes.on("data", (chunk: Buffer) => replyChunks.push(chunk));
          upstreamRes.on("end", () => {
            if (fault?.kind === "drop-reply") {
              entry.via = "drop-reply";
              req.socket.destroy();
              return;
            }
            entry.status = upstreamRes.statusCode ?? 0;
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(Buffer.concat(replyChunks));
          });
        },
      );
      forward.on("error", () => req.socket.destroy());
      forward.end(raw);
    });
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    fault(fault) {
      faults.push(fault);
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A world: one fresh zone on the shared server, a proxy, IP echoes, a key file and a config

export const PROVIDER_ID = "pdns";

let zoneCounter = 0;

export interface PdnsWorldOptions {
  /** RRsets of the fresh zone besides SOA and NS. */
  rrsets?: RRsetFixture[];
  /** The key written to the key file (default: the server's key). */
  key?: string;
  /** Config records (default: home.<zone>, IPv4). */
  configRecords?: RecordSpec[];
  /** Extra provider settings written as TOML strings (zone, server_id). */
  extra?: Record<string, string>;
  /** Raw TOML lines added to the provider table (numbers, e.g. "ttl = 60"). */
  providerRaw?: string;
  /** Point homing straight at PowerDNS instead of at the recording proxy. */
  direct?: boolean;
  /** Take the key from HOMING_PROVIDERS_PDNS_API_KEY instead of a key file (pass it in run's env). */
  keyFromEnv?: boolean;
  /** IPv6 echo behaviours on ::1 (default: none). */
  ipv6?: EchoBehaviour[];
  providerTimeout?: string;
}

export interface PdnsWorld {
  dir: string;
  zone: string;
  /** home.<zone> */
  name: string;
  key: string;
  keyPath: string;
  configPath: string;
  stateDir: string;
  statePath: string;
  spec: ConfigSpec;
  proxy: ApiProxy;
  echoes4: EchoServer[];
  echoes6: EchoServer[];
  run(command: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
  writeConfig(): Promise<void>;
  state(): Promise<StateFile>;
  /** Requests homing sent through the proxy, as "METHOD path". */
  calls(): string[];
  mutations(): ProxyLogEntry[];
  close(): Promise<void>;
}

export async function startPdnsWorld(server: PdnsServer, options: PdnsWorldOptions = {}): Promise<PdnsWorld> {
  zoneCounter += 1;
  const zone = `z${zoneCounter}.example.test`;
  await server.createZone(zone, options.rrsets ?? []);
  const dir = await makeTempDir("homing-pdns-it-");
  const key = options.key ?? server.apiKey;
  const keyPath = join(dir, "pdns.key");
  await writeFile(keyPath, `${key}\n`, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  const proxy = await startApiProxy(server.apiUrl);
  const answer = IP1;
  const echoes4 = await Promise.all([startEcho({ answer }), startEcho({ answer })]);
  const echoes6 = await Promise.all((options.ipv6 ?? []).map((b) => startEcho(b, { host: "::1" })));
  const stateDir = join(dir, "state");
  const configPath = join(dir, "homing.toml");
  const spec: ConfigSpec = {
    stateDir,
    detectTimeout: "5s",
    ipv4Sources: echoes4.map((e, i) => ({ url: e.url, name: `echo-${i}` })),
    ipv4Quorum: 2,
    ...(echoes6.length
      ? {
          ipv6Sources: echoes6.map((e, i) => ({ url: e.url, name: `echo6-${i}` })),
          ipv6Quorum: echoes6.length,
        }
      : {}),
    providers: {
      [PROVIDER_ID]: {
        type: "powerdns",
        endpoint: options.direct ? server.apiUrl : proxy.url,
        ...(options.keyFromEnv ? {} : { apiKeyFile: keyPath }),
        timeout: options.providerTimeout ?? "5s",
        ...(options.extra ? { extra: options.extra } : {}),
      },
    },
    records: options.configRecords ?? [{ name: `home.${zone}`, provider: PROVIDER_ID }],
  };
  const world: PdnsWorld = {
    dir,
    zone,
    name: `home.${zone}`,
    key,
    keyPath,
    configPath,
    stateDir,
    statePath: join(stateDir, "state.json"),
    spec,
    proxy,
    echoes4,
    echoes6,
    run(command, args = [], runOptions = {}) {
      return runCli([command, "-c", configPath, ...args], dir, runOptions);
    },
    async writeConfig() {
      let text = configToml(world.spec);
      if (options.providerRaw) {
        text = text.replace(
          `[providers.${PROVIDER_ID}]\n`,
          `[providers.${PROVIDER_ID}]\n${options.providerRaw}\n`,
        );
      }
      await writeFile(configPath, text, { mode: 0o600 });
    },
    async state() {
      return JSON.parse(await readFile(world.statePath, "utf8")) as StateFile;
    },
    calls() {
      return proxy.log.map((entry) => `${entry.method} ${entry.path}`);
    },
    mutations() {
      return proxy.log.filter((entry) => entry.method !== "GET");
    },
    async close() {
      await Promise.all([proxy.close(), ...echoes4.map((e) => e.close()), ...echoes6.map((e) => e.close())]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await world.writeConfig();
  return world;
}
