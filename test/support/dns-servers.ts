/**
 * Real DNS servers as test peers: BIND 9 (`named -g -c`) and Knot DNS (`knotd -c`) from Debian,
 * each started on 127.0.0.1 on a free port, in a fresh temp directory (no stale journal can be
 * replayed), with TSIG keys made by `tsig-keygen` and an update policy per name.
 *
 * Pitfalls handled (docs: /work/shared/reference/reliability.md §2.4): both servers use
 * SO_REUSEPORT, so a stale instance on the same port would silently share queries; every instance
 * therefore gets a unique SOA serial and is only "up" once a query returns THAT serial. The
 * directory is created by this (test) process, so it is owned by the uid the server runs as.
 *
 * Also: a UDP/TCP proxy that logs every request (opcode, names, signed or not), can drop replies and
 * can go down and come back on the same port, to test lost replies and servers that are not up.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { accessSync, closeSync, constants, openSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, Socket as TcpSocket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { exchange } from "../../src/dns/transport.ts";
import {
  CLASS,
  decodeMessage,
  encodeMessage,
  OPCODE,
  opcodeOf,
  rcodeOf,
  requestFlags,
  TYPE,
  typeName,
} from "../../src/dns/wire.ts";
import { type EchoServer, startEcho } from "../emulators/ip-echo.ts";
import { IP1, makeTempDir, type RunResult, runCli } from "./harness.ts";

const SBIN = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/** The absolute path of a program on PATH (or in an sbin directory), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether the suite for `kind` can run. Locally it is skipped with a loud message when the server is
 * not installed; in CI (CI=true) a missing server is an error, since .ci/run installs it.
 */
export function serverAvailable(kind: "bind" | "knot"): boolean {
  const needed = kind === "bind" ? ["named", "tsig-keygen", "dig"] : ["knotd", "tsig-keygen", "dig"];
  const missing = needed.filter((name) => !findBinary(name));
  if (missing.length === 0) return true;
  const hint =
    kind === "bind"
      ? "apt-get install bind9 bind9-utils bind9-dnsutils"
      : "apt-get install knot bind9-utils bind9-dnsutils";
  const message = `${kind === "bind" ? "BIND 9" : "Knot DNS"} tests need ${missing.join(", ")} (${hint})`;
  if (process.env.CI) throw new Error(`${message}; CI must install them`);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

export interface KeySpec {
  name: string;
  /** Default hmac-sha256. */
  algorithm?: string;
}

export interface GrantSpec {
  key: string;
  /** A fully qualified name the key may change (exactly that name). */
  name: string;
  /** Default ["A", "AAAA"]. */
  types?: string[];
}

export interface ZoneSpec {
  name: string;
  /** "CH" for a CHAOS-class zone such as whoami.cloudflare (BIND only; served from a class-CH view). Default "IN". */
  class?: "IN" | "CH";
  /** Zone-file lines after SOA and NS, e.g. "home 300 IN A 81.2.69.160". */
  records?: string[];
  grants?: GrantSpec[];
}

export interface ServerSpec {
  zones: ZoneSpec[];
  keys: KeySpec[];
  /** Listen on [::1] too, on the same port (for queries over IPv6). */
  ipv6?: boolean;
}

export interface ServerKey {
  name: string;
  algorithm: string;
  /** Base64, as tsig-keygen made it. */
  secret: string;
  /** A BIND key file with just this key (tsig-keygen's output), mode 0600. */
  file: string;
}

export interface DnsServer {
  kind: "bind" | "knot";
  host: "127.0.0.1";
  port: number;
  /** "127.0.0.1:<port>", for the homing config. */
  address: string;
  /** "[::1]:<port>" when started with `ipv6: true`. */
  address6?: string;
  dir: string;
  /** The SOA serial every zone of this instance started with (unique per instance). */
  serial: number;
  keys: Map<string, ServerKey>;
  /** The server's stderr so far. */
  log(): Promise<string>;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<DnsServer>();
/** Server processes still alive: killed when this process exits, whatever the tests did. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Stops every server still running (call from afterAll). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

function run(program: string, args: string[]): string {
  const result = spawnSync(program, args, { encoding: "utf8", timeout: 10_000 });
  if (result.status !== 0) {
    throw new Error(
      `${program} ${args.join(" ")} failed (${result.status ?? result.signal}): ${result.stderr}`,
    );
  }
  return result.stdout;
}

/** A key made by tsig-keygen, written to its own key file. */
async function makeKey(dir: string, spec: KeySpec): Promise<ServerKey> {
  const algorithm = spec.algorithm ?? "hmac-sha256";
  const text = run(findBinary("tsig-keygen") as string, ["-a", algorithm, spec.name]);
  const secret = /secret\s+"([^"]+)"/.exec(text)?.[1];
  if (!secret) throw new Error(`tsig-keygen printed no secret: ${text}`);
  const file = join(dir, `${spec.name}.key`);
  await writeFile(file, text, { mode: 0o600 });
  return { name: spec.name, algorithm, secret, file };
}

function zoneFile(zone: ZoneSpec, serial: number): string {
  if (zone.class === "CH") {
    return [
      "$TTL 300",
      `@ CH SOA ns1.${zone.name}. hostmaster.${zone.name}. ( ${serial} 3600 600 86400 60 )`,
      `@ CH NS ns1.${zone.name}.`,
      ...(zone.records ?? []),
      "",
    ].join("\n");
  }
  return [
    "$TTL 300",
    `@ IN SOA ns1.${zone.name}. hostmaster.${zone.name}. ( ${serial} 3600 600 86400 60 )`,
    `@ IN NS ns1.${zone.name}.`,
    "ns1 IN A 127.0.0.1",
    ...(zone.records ?? []),
    "",
  ].join("\n");
}

function withDot(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

/** Binds TCP and UDP to port 0 on loopback and returns a port that was free for both. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    await new Promise<void>((ok, fail) => {
      tcp.once("error", fail);
      tcp.listen(0, "127.0.0.1", ok);
    });
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket("udp4");
    const udpOk = await new Promise<boolean>((ok) => {
      udp.once("error", () => ok(false));
      udp.bind(port, "127.0.0.1", () => ok(true));
    });
    await new Promise<void>((ok) => tcp.close(() => ok()));
    if (udpOk) await new Promise<void>((ok) => udp.close(() => ok()));
    else udp.close();
    if (udpOk) return port;
  }
  throw new Error("no free port on 127.0.0.1 for both UDP and TCP");
}

/** The SOA serial `zone` has at 127.0.0.1:port (plain UDP query, 300 ms), or undefined. */
export async function soaSerial(port: number, zone: string, timeoutMs = 300): Promise<number | undefined> {
  const request = encodeMessage({
    id: randomInt(0x10000),
    flags: requestFlags(OPCODE.QUERY),
    question: [{ name: zone, type: TYPE.SOA, class: CLASS.IN }],
    answer: [],
    authority: [],
    additional: [],
  });
  try {
    const reply = await exchange({ host: "127.0.0.1", port }, request, {
      signal: AbortSignal.timeout(timeoutMs + 200),
      timeoutMs,
      retransmitMs: 100,
    });
    const soa = reply.message.answer.find((r) => r.type === TYPE.SOA);
    return soa?.value ? Number(soa.value.split(" ")[2]) : undefined;
  } catch {
    return undefined;
  }
}

interface Launch {
  program: string;
  args: string[];
  /** Writes the config for this port into dir. */
  configure: (port: number) => Promise<void>;
}

async function launch(
  kind: "bind" | "knot",
  spec: ServerSpec,
  build: (dir: string, keys: Map<string, ServerKey>, serial: number) => Launch,
): Promise<DnsServer> {
  const base = await mkdtemp(join(tmpdir(), `homing-${kind}-`));
  const keys = new Map<string, ServerKey>();
  for (const key of spec.keys) keys.set(key.name, await makeKey(base, key));
  const problems: string[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    // A fresh directory per attempt: no journal of a failed attempt can be replayed.
    const dir = join(base, `run-${attempt}`);
    await mkdir(dir);
    const serial = randomInt(1_000_000, 2_000_000_000);
    for (const zone of spec.zones) await writeFile(join(dir, `${zone.name}.zone`), zoneFile(zone, serial));
    const port = await freePort();
    const { program, args, configure } = build(dir, keys, serial);
    await configure(port);
    const logPath = join(dir, `${kind}.log`);
    const fd = openSync(logPath, "w");
    const child: ChildProcess = spawn(program, args, { stdio: ["ignore", fd, fd], cwd: dir });
    closeSync(fd);
    children.add(child);
    let exited = false;
    const exit = new Promise<void>((ok) =>
      child.once("exit", () => {
        exited = true;
        children.delete(child);
        ok();
      }),
    );
    const stop = async () => {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exit;
        clearTimeout(timer);
      }
    };
    // Readiness is read from the SOA of the first class-IN zone.
    const firstZone = (spec.zones.find((zone) => zone.class !== "CH") as ZoneSpec).name;
    let answered: number | undefined;
    for (let i = 0; i < 50 && !exited; i++) {
      answered = await soaSerial(port, firstZone, 200);
      if (answered !== undefined) break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    if (answered === serial && !exited) {
      const server: DnsServer = {
        kind,
        host: "127.0.0.1",
        port,
        address: `127.0.0.1:${port}`,
        ...(spec.ipv6 ? { address6: `[::1]:${port}` } : {}),
        dir,
        serial,
        keys,
        log: () => readFile(logPath, "utf8"),
        async stop() {
          running.delete(server);
          await stop();
          await rm(base, { recursive: true, force: true });
        },
      };
      running.add(server);
      return server;
    }
    // Not ours (another instance shares the port), not up, or it failed to bind: try another port.
    await stop();
    const log = await readFile(logPath, "utf8").catch(() => "");
    problems.push(
      `port ${port}: ${answered === undefined ? "no answer" : `serial ${answered} is not ours (${serial})`}; log tail: ${log.split("\n").slice(-8).join(" | ")}`,
    );
  }
  await rm(base, { recursive: true, force: true });
  throw new Error(`${kind} did not start:\n${problems.join("\n")}`);
}

/** Starts BIND 9 as a primary for `spec.zones`, with `update-policy` grants per name. */
export function startBind(spec: ServerSpec): Promise<DnsServer> {
  return launch("bind", spec, (dir, keys) => ({
    program: findBinary("named") as string,
    args: ["-g", "-c", join(dir, "named.conf")],
    async configure(port) {
      const zones = spec.zones.map((zone) => {
        const grants = (zone.grants ?? []).map(
          (g) => `        grant ${g.key} name ${withDot(g.name)} ${(g.types ?? ["A", "AAAA"]).join(" ")};`,
        );
        const policy = grants.length ? `    update-policy {\n${grants.join("\n")}\n    };\n` : "";
        const cls = zone.class === "CH" ? " CH" : "";
        return `zone "${zone.name}"${cls} {\n    type primary;\n    file "${zone.name}.zone";\n${policy}};\n`;
      });
      // A class-CH zone must sit in a class-CH view, and once there is one view every zone is in a view.
      const chaos = spec.zones.some((zone) => zone.class === "CH");
      const inView = (cls: "IN" | "CH") =>
        zones.filter((_, i) => ((spec.zones[i] as ZoneSpec).class ?? "IN") === cls).join("");
      const zoneBlocks = chaos
        ? [
            `view "chaos" CH {\n    match-clients { any; };\n${inView("CH")}};`,
            `view "default" IN {\n    match-clients { any; };\n${inView("IN")}};`,
          ]
        : zones;
      const conf = [
        ...[...keys.values()].map((k) => `include "${k.file}";`),
        "options {",
        `    directory "${dir}";`,
        `    pid-file "${join(dir, "named.pid")}";`,
        "    session-keyfile none;",
        `    listen-on port ${port} { 127.0.0.1; };`,
        spec.ipv6 ? `    listen-on-v6 port ${port} { ::1; };` : "    listen-on-v6 { none; };",
        "    recursion no;",
        "    dnssec-validation no;",
        "    notify no;",
        "    allow-query { 127.0.0.1; ::1; };",
        "};",
        "controls { };",
        ...zoneBlocks,
      ].join("\n");
      await writeFile(join(dir, "named.conf"), `${conf}\n`);
    },
  }));
}

/** Starts Knot DNS as a primary for `spec.zones`, with one `acl` (action: update, update-owner) per grant. */
export function startKnot(spec: ServerSpec): Promise<DnsServer> {
  return launch("knot", spec, (dir, keys) => ({
    program: findBinary("knotd") as string,
    args: ["-c", join(dir, "knot.conf")],
    async configure(port) {
      if (spec.zones.some((zone) => zone.class === "CH"))
        throw new Error("Knot DNS serves class-IN zones only");
      const lines = [
        "server:",
        `    rundir: "${dir}"`,
        spec.ipv6 ? `    listen: [ 127.0.0.1@${port}, ::1@${port} ]` : `    listen: 127.0.0.1@${port}`,
        "    background-workers: 1",
        "log:",
        "  - target: stderr",
        "    any: info",
        "database:",
        `    storage: "${dir}"`,
        "key:",
        ...[...keys.values()].flatMap((k) => [
          `  - id: ${k.name}`,
          `    algorithm: ${k.algorithm}`,
          `    secret: ${k.secret}`,
        ]),
      ];
      const acls: string[] = [];
      const zoneAcls = new Map<string, string[]>();
      for (const zone of spec.zones) {
        for (const [index, grant] of (zone.grants ?? []).entries()) {
          const id = `grant-${zone.name}-${index}`;
          acls.push(
            `  - id: ${id}`,
            `    key: ${grant.key}`,
            "    action: update",
            "    update-owner: name",
            "    update-owner-match: equal",
            `    update-owner-name: [${withDot(grant.name)}]`,
            `    update-type: [${(grant.types ?? ["A", "AAAA"]).join(", ")}]`,
          );
          zoneAcls.set(zone.name, [...(zoneAcls.get(zone.name) ?? []), id]);
        }
      }
      if (acls.length) lines.push("acl:", ...acls);
      lines.push(
        "template:",
        "  - id: default",
        `    storage: "${dir}"`,
        '    file: "%s.zone"',
        "    zonefile-sync: -1",
        "    zonefile-load: difference-no-serial",
        "    journal-content: all",
        "zone:",
        ...spec.zones.flatMap((zone) => {
          const ids = zoneAcls.get(zone.name);
          return [`  - domain: ${zone.name}`, ...(ids ? [`    acl: [${ids.join(", ")}]`] : [])];
        }),
      );
      await writeFile(join(dir, "knot.conf"), `${lines.join("\n")}\n`);
    },
  }));
}

/** `dig +short` against the server (an independent client): the values of `type` at `name`, sorted. */
export function dig(server: DnsServer, name: string, type: string): string[] {
  const result = spawnSync(
    findBinary("dig") as string,
    [`@${server.host}`, "-p", String(server.port), "+short", "+time=2", "+tries=1", name, type],
    { encoding: "utf8", timeout: 5000 },
  );
  if (result.status !== 0) throw new Error(`dig failed: ${result.stdout}${result.stderr}`);
  return result.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .sort();
}

/** `dig +noall +answer`: "name ttl class type value" lines of `type` at `name`. */
export function digAnswer(
  server: DnsServer,
  name: string,
  type: string,
): Array<{ ttl: number; value: string }> {
  const result = spawnSync(
    findBinary("dig") as string,
    [`@${server.host}`, "-p", String(server.port), "+noall", "+answer", "+time=2", "+tries=1", name, type],
    { encoding: "utf8", timeout: 5000 },
  );
  if (result.status !== 0) throw new Error(`dig failed: ${result.stdout}${result.stderr}`);
  return result.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length >= 5 && parts[3] === type)
    .map((parts) => ({ ttl: Number(parts[1]), value: parts.slice(4).join(" ") }));
}

// ------------------------------------------------------------------------------------------------
// A logging, lossy DNS proxy

export interface ProxyLogEntry {
  transport: "udp" | "tcp";
  id: number;
  opcode: "QUERY" | "UPDATE" | string;
  /** Question / zone name and type. */
  name: string;
  type: string;
  /** Number of update (authority section) records. */
  updates: number;
  prerequisites: number;
  signed: boolean;
  /** The reply's rcode name, when one came back through the proxy. */
  rcode?: number;
  dropped?: boolean;
}

export interface DnsProxy {
  address: string;
  port: number;
  log: ProxyLogEntry[];
  /** UPDATE requests seen (retransmissions included). */
  updates(): ProxyLogEntry[];
  /** Drop the reply (after the server processed the request) to the next `times` requests matching `filter`. */
  dropReplies(times: number, filter?: (entry: ProxyLogEntry) => boolean): void;
  /** Stops listening (the port then refuses), until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

function describeRequest(wire: Buffer, transport: "udp" | "tcp"): ProxyLogEntry {
  try {
    const message = decodeMessage(wire);
    const question = message.question[0];
    const opcode = opcodeOf(message.flags);
    return {
      transport,
      id: message.id,
      opcode: opcode === OPCODE.UPDATE ? "UPDATE" : opcode === OPCODE.QUERY ? "QUERY" : `OPCODE${opcode}`,
      name: question?.name ?? "",
      type: question ? typeName(question.type) : "",
      updates: message.authority.length,
      prerequisites: message.answer.length,
      signed: message.additional.at(-1)?.type === TYPE.TSIG,
    };
  } catch {
    return {
      transport,
      id: -1,
      opcode: "garbage",
      name: "",
      type: "",
      updates: 0,
      prerequisites: 0,
      signed: false,
    };
  }
}

/** Starts a proxy on a free loopback port that forwards UDP and TCP to `upstream`. */
export async function startDnsProxy(upstream: DnsServer): Promise<DnsProxy> {
  const port = await freePort();
  const log: ProxyLogEntry[] = [];
  const drops: Array<{ left: number; filter: (entry: ProxyLogEntry) => boolean }> = [];
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  const sockets = new Set<TcpSocket>();

  const shouldDrop = (entry: ProxyLogEntry): boolean => {
    const rule = drops.find((d) => d.left > 0 && d.filter(entry));
    if (!rule) return false;
    rule.left--;
    return true;
  };

  const listen = async () => {
    const socket = createSocket("udp4");
    socket.on("message", (wire, from) => {
      const entry = describeRequest(wire, "udp");
      log.push(entry);
      const drop = shouldDrop(entry);
      const out = createSocket("udp4");
      const timer = setTimeout(() => out.close(), 5000);
      out.on("error", () => undefined);
      out.on("message", (reply) => {
        clearTimeout(timer);
        out.close();
        if (reply.length >= 4) entry.rcode = rcodeOf(reply.readUInt16BE(2));
        if (drop) entry.dropped = true;
        else socket.send(reply, from.port, from.address);
      });
      out.send(wire, upstream.port, upstream.host);
    });
    await new Promise<void>((ok) => socket.bind(port, "127.0.0.1", ok));
    udp = socket;
    const server = createServer((client) => {
      sockets.add(client);
      client.on("close", () => sockets.delete(client));
      const server2 = new TcpSocket();
      sockets.add(server2);
      server2.on("close", () => sockets.delete(server2));
      server2.on("error", () => client.destroy());
      client.on("error", () => server2.destroy());
      let pending = Buffer.alloc(0);
      client.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const length = pending.readUInt16BE(0);
          log.push(describeRequest(pending.subarray(2, 2 + length), "tcp"));
          pending = pending.subarray(2 + length);
        }
        server2.write(chunk);
      });
      server2.on("data", (chunk: Buffer) => client.write(chunk));
      server2.on("end", () => client.end());
      server2.connect(upstream.port, upstream.host);
    });
    await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
    tcp = server;
  };

  const stopListening = async () => {
    udp?.close();
    udp = undefined;
    for (const socket of sockets) socket.destroy();
    if (tcp) await new Promise<void>((ok) => (tcp as Server).close(() => ok()));
    tcp = undefined;
  };

  await listen();
  return {
    address: `127.0.0.1:${port}`,
    port,
    log,
    updates: () => log.filter((entry) => entry.opcode === "UPDATE"),
    dropReplies(times, filter = () => true) {
      drops.push({ left: times, filter });
    },
    down: stopListening,
    up: listen,
    close: stopListening,
  };
}

// ------------------------------------------------------------------------------------------------
// A homing setup against one of these servers: IP echo sources, a config with an rfc2136 provider
// "ns" that talks to the server through a logging proxy, and the CLI.

export interface Rfc2136WorldOptions {
  /** How the config names the key: a tsig-keygen key file (default), key_name + key_secret_file, the environment, or none. */
  keyStyle?: "key_file" | "secret_file" | "env" | "none";
  /** Which of the server's keys (default "homing-key"). */
  key?: string;
  /** Replace the key's secret (a wrong secret), or its name (an unknown key). */
  secret?: string;
  keyName?: string;
  /** Default "example.com"; null: no zone in the config (homing discovers it). */
  zone?: string | null;
  transport?: "udp" | "tcp";
  /** Default 120. */
  ttl?: number;
  /** Names with IPv4 (default: none; tests pass theirs). */
  records: string[];
  /** The address the echo sources report (default IP1 of the harness). */
  address?: string;
  /** Per DNS exchange (default "2s"). */
  timeout?: string;
}

export interface Rfc2136World {
  dir: string;
  configPath: string;
  stateDir: string;
  statePath: string;
  /** The secret the config uses (for canary checks). */
  secret: string;
  /** Environment for the CLI (the secret, with keyStyle "env"). */
  env: Record<string, string>;
  proxy: DnsProxy;
  /** The IP echo sources the config uses (their `hits` show when detection is done). */
  echoes: EchoServer[];
  run(command: string, args?: readonly string[]): Promise<RunResult>;
  close(): Promise<void>;
}

/** Starts echo sources and a proxy, writes the config. Close it with `close()` (or onTestFinished). */
export async function startRfc2136World(
  server: DnsServer,
  options: Rfc2136WorldOptions,
): Promise<Rfc2136World> {
  const dir = await makeTempDir("homing-rfc2136-");
  const address = options.address ?? IP1;
  const echoes = await Promise.all([startEcho({ answer: address }), startEcho({ answer: address })]);
  const proxy = await startDnsProxy(server);
  const keyName = options.key ?? "homing-key";
  const serverKey = server.keys.get(keyName);
  if (!serverKey) throw new Error(`the server has no key ${keyName}`);
  const secret = options.secret ?? serverKey.secret;
  const name = options.keyName ?? serverKey.name;
  const q = (text: string) => JSON.stringify(text);
  const stateDir = join(dir, "state");
  const provider: string[] = ["[providers.ns]", 'type = "rfc2136"', `server = ${q(proxy.address)}`];
  if (options.zone !== null) provider.push(`zone = ${q(options.zone ?? "example.com")}`);
  provider.push(`ttl = ${options.ttl ?? 120}`, `transport = ${q(options.transport ?? "udp")}`);
  provider.push(`timeout = ${q(options.timeout ?? "2s")}`);
  const env: Record<string, string> = {};
  const style = options.keyStyle ?? "key_file";
  if (style === "key_file") {
    const path = join(dir, "tsig.key");
    await writeFile(
      path,
      `key "${name}" {\n\talgorithm ${serverKey.algorithm};\n\tsecret "${secret}";\n};\n`,
      {
        mode: 0o600,
      },
    );
    provider.push(`key_file = ${q(path)}`);
  } else if (style === "secret_file") {
    const path = join(dir, "tsig.secret");
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    provider.push(
      `key_name = ${q(name)}`,
      `key_algorithm = ${q(serverKey.algorithm)}`,
      `key_secret_file = ${q(path)}`,
    );
  } else if (style === "env") {
    provider.push(`key_name = ${q(name)}`, `key_algorithm = ${q(serverKey.algorithm)}`);
    env.HOMING_PROVIDERS_NS_KEY_SECRET = secret;
  }
  const config = [
    `state_dir = ${q(stateDir)}`,
    'timeout = "30s"',
    "",
    "[detect]",
    'timeout = "5s"',
    "",
    "[detect.ipv4]",
    `sources = [${echoes.map((e, i) => `{ url = ${q(e.url)}, name = "echo-${i}" }`).join(", ")}]`,
    "quorum = 2",
    "",
    ...provider,
    ...options.records.flatMap((record) => ["", "[[records]]", `name = ${q(record)}`, 'provider = "ns"']),
  ].join("\n");
  const configPath = join(dir, "homing.toml");
  await writeFile(configPath, `${config}\n`, { mode: 0o600 });
  return {
    dir,
    configPath,
    stateDir,
    statePath: join(stateDir, "state.json"),
    secret,
    env,
    proxy,
    echoes,
    run: (command, args = []) => runCli([command, "-c", configPath, ...args], dir, { env }),
    async close() {
      await Promise.all([proxy.close(), ...echoes.map((e) => e.close())]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
