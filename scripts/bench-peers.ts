/**
 * Peers: homing next to ddclient and inadyn (Debian's packages), each doing what cron makes it do
 * most of the time: one one-shot cycle with the public address unchanged, so the tool asks the echo
 * source, finds its cache says the address is already published, and sends no update.
 *
 * All three talk to the same local dyndns2 emulator (test/emulators/dyndns2.ts, one account, one
 * host name per tool so its log tells the tools apart) and the same echo source answering a fixed
 * public address. Warm-up runs first publish each tool's address (its cache or state then holds it);
 * the timed runs are interleaved, and any update request during them is reported per tool.
 *
 * Measured per run: wall time and CPU time (user + sys) from wait4() in a small fork/exec wrapper
 * (python3; microsecond resolution, the wrapper's own start is not counted), and peak RSS from
 * `/usr/bin/time -f %M` in a separate run of the same cycle (a wrapper forked from Python would add
 * Python's own resident pages to the child's high-water mark; GNU time is a small C program).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DnsResponder, startDnsResponder } from "../test/emulators/dns-responder.ts";
import { type Dyndns2Emulator, startDyndns2Emulator } from "../test/emulators/dyndns2.ts";
import { type EchoServer, startEcho } from "../test/emulators/ip-echo.ts";

export interface PeersOptions {
  bin: string;
  env: NodeJS.ProcessEnv;
}

const ADDRESS = "81.2.69.142";
const USERNAME = "bench";
const PASSWORD = "bench-password-1";
const ITERATIONS = 20;
const WARMUP_RUNS = 2;
const CHILD_KILL_MS = 30_000;
/** Stop iterating (keeping what was measured) past this. */
const TIME_BUDGET_MS = 90_000;

/** fork/exec/wait4: prints the child's wall, user and sys time to the file named first. */
const RUSAGE_WRAPPER = `
import json, os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter_ns()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = (time.perf_counter_ns() - start) / 1e6
with open(out, "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wallMs": wall,
               "userMs": usage.ru_utime * 1000, "sysMs": usage.ru_stime * 1000}, f)
`;

export interface Tool {
  name: string;
  version: string;
  /** The host name this tool keeps updated. */
  host: string;
  command: string[];
  env: NodeJS.ProcessEnv;
  /** Run once more after the warm-ups: throws when the tool is not in its unchanged steady state. */
  checkOutput?: (result: ProcessResult) => string | undefined;
}

interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
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
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function debianVersion(pkg: string): string {
  try {
    // dpkg-query's own field syntax, not a template placeholder.
    const format = "$" + "{Version}";
    return execFileSync("dpkg-query", ["-W", "-f", format, pkg], { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}

/** homing's package version, from the package.json next to bin/. */
async function homingVersion(bin: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(dirname(bin), "..", "package.json"), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "?";
  } catch {
    return "?";
  }
}

/**
 * Answers with Content-Length what the emulator answers. The emulator replies to HTTP/1.1 requests
 * with chunked transfer encoding, and ddclient 3.10 (Debian 12's) sends HTTP/1.1 from its own
 * IO::Socket client, its default, which does not decode chunked bodies: it reads the chunk size as
 * the status ("unexpected status (11)"), exits 1 and waits min-error-interval (5 min) before trying
 * again (ddclient/ddclient#548, #483; 3.11 always uses curl). Some real services answer chunked too;
 * the bench needs ddclient's warm-up to succeed, so every tool goes through this relay and all three
 * still see the same server. The timed runs send no update, so the relay is not on their path.
 */
async function startRelay(target: URL): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          const headers: Record<string, string | number> = {
            "content-type": answer.headers["content-type"] ?? "text/plain",
            "content-length": body.length,
          };
          const challenge = answer.headers["www-authenticate"];
          if (challenge) headers["www-authenticate"] = challenge;
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    upstream.on("error", () => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("relay: the emulator did not answer");
    });
    req.pipe(upstream);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

interface ToolStats {
  tool: Tool;
  samples: Sample[];
  rssKiB: number[];
  updates: number;
  echoHits: number;
  /** Timed runs that printed anything. */
  noisy: number;
  runs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The peers' shared world after the warm-up: each tool has published the address once and is quiet. */
export interface PeersWorld {
  tools: Tool[];
  /** Tools not installed, with the reason. */
  skipped: string[];
  warmupNotes: string[];
  emulator: Dyndns2Emulator;
  echo: EchoServer;
  dns: DnsResponder;
  dir: string;
  /** Update requests the emulator received for `host` so far. */
  updatesFor(host: string): number;
  close(): Promise<void>;
}

/**
 * Starts the dyndns2 emulator (behind the Content-Length relay), the echo source and the DNS
 * responder, all on 127.0.0.1, writes each installed tool's config with literal loopback addresses
 * (no name goes through the system resolver, so no packet leaves the machine) and warms each tool up.
 */
export async function startPeersWorld(env: NodeJS.ProcessEnv): Promise<PeersWorld> {
  const dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "homing-peers-"));
  const bin = fileURLToPath(new URL("../bin/homing", import.meta.url));
  let emulator: Dyndns2Emulator | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let echo: EchoServer | undefined;
  let dns: DnsResponder | undefined;
  const close = async () => {
    await relay?.close();
    await emulator?.close();
    await echo?.close();
    await dns?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const hosts = {
      homing: "homing.example.com",
      ddclient: "ddclient.example.com",
      inadyn: "inadyn.example.com",
    };
    // Strato's behaviour: no block after repeated no-change updates, so a tool that always sends one
    // is measured and reported rather than locked out.
    emulator = await startDyndns2Emulator({
      behaviour: { preset: "strato" },
      accounts: [{ username: USERNAME, password: PASSWORD, hosts: Object.values(hosts) }],
    });
    const emulatorRef = emulator;
    relay = await startRelay(new URL(emulator.url));
    const server = new URL(relay.url);
    echo = await startEcho({ answer: ADDRESS });
    const echoUrl = new URL(echo.url);
    // homing guards dyndns2 updates with a DNS lookup when its state cannot decide (first run only).
    dns = await startDnsResponder({ lookup: (name, type) => emulatorRef.lookup(name, type) });

    const tools: Tool[] = [];
    const skipped: string[] = [];

    // homing -------------------------------------------------------------------------------------
    await mkdir(join(dir, "homing-state"), { mode: 0o700 });
    const passwordFile = join(dir, "dyndns2.password");
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    await chmod(passwordFile, 0o600);
    const homingConfig = join(dir, "homing.toml");
    await writeFile(
      homingConfig,
      [
        `state_dir = ${JSON.stringify(join(dir, "homing-state"))}`,
        "[detect.ipv4]",
        `sources = [${JSON.stringify(echo.url)}]`,
        "quorum = 1",
        "[providers.x]",
        'type = "dyndns2"',
        `server = ${JSON.stringify(relay.url)}`,
        `username = ${JSON.stringify(USERNAME)}`,
        `password_file = ${JSON.stringify(passwordFile)}`,
        `resolver = ${JSON.stringify(dns.address)}`,
        "[[records]]",
        `name = ${JSON.stringify(hosts.homing)}`,
        'provider = "x"',
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    tools.push({
      name: "homing",
      version: await homingVersion(bin),
      host: hosts.homing,
      command: [process.execPath, bin, "run", "-c", homingConfig],
      env,
      checkOutput: (result) =>
        result.stdout === "" && result.stderr === ""
          ? undefined
          : `an unchanged run should print nothing, got: ${result.stdout}${result.stderr}`,
    });

    // ddclient -----------------------------------------------------------------------------------
    const ddclient = which("ddclient", env);
    if (ddclient) {
      const conf = join(dir, "ddclient.conf");
      await writeFile(
        conf,
        [
          "daemon=0",
          "ssl=no",
          `use=web, web=${echo.url}`,
          "protocol=dyndns2",
          `server=${server.host}`,
          `script=${server.pathname}`,
          `login=${USERNAME}`,
          `password=${PASSWORD}`,
          hosts.ddclient,
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      await chmod(conf, 0o600);
      tools.push({
        name: "ddclient",
        version: debianVersion("ddclient"),
        host: hosts.ddclient,
        command: [ddclient, "-daemon=0", "-foreground", "-file", conf, "-cache", join(dir, "ddclient.cache")],
        env,
      });
    } else {
      skipped.push("ddclient: not installed (apt-get install ddclient inadyn time)");
    }

    // inadyn -------------------------------------------------------------------------------------
    const inadyn = which("inadyn", env);
    if (inadyn) {
      const conf = join(dir, "inadyn.conf");
      const cacheDir = join(dir, "inadyn-cache");
      await mkdir(cacheDir, { mode: 0o700 });
      await writeFile(
        conf,
        [
          "custom bench {",
          "    ssl = false",
          `    username = ${USERNAME}`,
          `    password = ${PASSWORD}`,
          `    ddns-server = ${server.host}`,
          `    ddns-path = "${server.pathname}?hostname=%h&myip=%i"`,
          `    checkip-server = ${echoUrl.host}`,
          "    checkip-path = /",
          "    checkip-ssl = false",
          `    hostname = ${hosts.inadyn}`,
          "}",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      await chmod(conf, 0o600);
      tools.push({
        name: "inadyn",
        version: debianVersion("inadyn"),
        host: hosts.inadyn,
        // --no-pidfile: as root it would otherwise write /var/run/inadyn.pid.
        command: [inadyn, "--once", "--foreground", "--no-pidfile", "-f", conf, "--cache-dir", cacheDir],
        env,
      });
    } else {
      skipped.push("inadyn: not installed (apt-get install ddclient inadyn time)");
    }

    const updatesFor = (host: string) =>
      emulatorRef.requests.filter((r) => r.hostnames.includes(host)).length;
    const describe = (what: string, result: ProcessResult) =>
      `${what}: exit ${result.code ?? `signal ${result.signal}`}${`${result.stdout}${result.stderr}`.trim() ? `\n${`${result.stdout}${result.stderr}`.trim().split("\n").slice(-15).join("\n")}` : ""}`;

    // Warm-up: the first run publishes the address, the next ones must be quiet.
    const warmupNotes: string[] = [];
    for (const tool of tools) {
      for (let i = 0; i < 1 + WARMUP_RUNS; i++) {
        const before = updatesFor(tool.host);
        const result = await run(tool.command, tool.env);
        if (result.code !== 0) throw new Error(describe(`${tool.name} warm-up run ${i + 1}`, result));
        const sent = updatesFor(tool.host) - before;
        if (i === 0) {
          const reply = emulatorRef.requests
            .filter((r) => r.hostnames.includes(tool.host))
            .at(-1)
            ?.reply.trim();
          warmupNotes.push(
            `${tool.name}: first run sent ${sent} update(s)${reply ? ` (answer "${reply}")` : ""}`,
          );
        } else if (i === WARMUP_RUNS && tool.checkOutput) {
          const problem = tool.checkOutput(result);
          if (problem) throw new Error(`${tool.name}: ${problem}`);
        }
      }
      const record = emulatorRef.records()[tool.host];
      if (record?.ipv4 !== ADDRESS) {
        throw new Error(
          `${tool.name}: after the warm-up the emulator holds ${JSON.stringify(record)} for ${tool.host}`,
        );
      }
    }
    return {
      tools,
      skipped,
      warmupNotes,
      emulator: emulatorRef,
      echo,
      dns,
      dir,
      updatesFor,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs each tool's cycle once under `strace -f` and lists the network destinations it dialled or
 * sent to: the proof that no tool resolved a name through the system resolver or sent a packet
 * beyond loopback (a tool may still read /etc/resolv.conf, as inadyn's libc does, without asking).
 */
async function networkDestinations(
  tools: readonly Tool[],
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const strace = which("strace", env);
  if (!strace) return ["  not checked: strace is not installed"];
  const lines: string[] = [];
  for (const tool of tools) {
    const log = join(dir, `strace-${tool.name}.txt`);
    const traced = await run(
      [strace, "-f", "-e", "trace=connect,sendto,sendmsg", "-o", log, ...tool.command],
      tool.env,
    );
    const text = await readFile(log, "utf8").catch(() => "");
    const destinations = new Set<string>();
    for (const match of text.matchAll(
      /sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr|inet_pton\(AF_INET6, )\("([^"]+)"/g,
    )) {
      destinations.add(`${match[2]}:${match[1] === "53" ? "53 (DNS)" : "port"}`);
    }
    const outside = [...destinations].filter((d) => !/^(127\.0\.0\.1|::1):/.test(d));
    const where = [...new Set([...destinations].map((d) => d.split(":port")[0]))].join(", ") || "nowhere";
    lines.push(
      `  ${tool.name}: exit ${traced.code}, dialled ${where}${destinations.has("127.0.0.1:53 (DNS)") ? " (DNS on loopback)" : ""}: ` +
        (outside.length === 0 ? "loopback only (PASS)" : `WARN beyond loopback: ${outside.join(", ")}`),
    );
  }
  return lines;
}

export async function runPeers(options: PeersOptions): Promise<string> {
  const out: string[] = [];
  const env = options.env;
  const python = which("python3", env);
  const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  if (!python) return "peers: skipped: python3 (the getrusage wrapper) is not installed";

  const world = await startPeersWorld(env);
  const { tools, skipped, warmupNotes, echo, dns, dir, updatesFor } = world;
  const emulatorRef = world.emulator;
  try {
    const describe = (what: string, result: ProcessResult) =>
      `${what}: exit ${result.code ?? `signal ${result.signal}`}${`${result.stdout}${result.stderr}`.trim() ? `\n${`${result.stdout}${result.stderr}`.trim().split("\n").slice(-15).join("\n")}` : ""}`;
    // Timed, interleaved, the order rotated each round.
    const stats = new Map<string, ToolStats>(
      tools.map((tool) => [
        tool.name,
        { tool, samples: [], rssKiB: [], updates: 0, echoHits: 0, noisy: 0, runs: 0 },
      ]),
    );
    const dnsBefore = dns.queries.length;
    const resultFile = join(dir, "rusage.json");
    const timeFile = join(dir, "time.txt");
    const started = performance.now();
    let rounds = 0;
    for (; rounds < ITERATIONS; rounds++) {
      if (performance.now() - started > TIME_BUDGET_MS) break;
      for (let k = 0; k < tools.length; k++) {
        const tool = tools[(rounds + k) % tools.length] as Tool;
        const entry = stats.get(tool.name) as ToolStats;
        const updatesBefore = updatesFor(tool.host);
        const hitsBefore = echo.hits;
        const timed = await run([python, "-c", RUSAGE_WRAPPER, resultFile, ...tool.command], tool.env);
        const usage = JSON.parse(await readFile(resultFile, "utf8")) as {
          code: number;
          wallMs: number;
          userMs: number;
          sysMs: number;
        };
        if (usage.code !== 0)
          throw new Error(describe(`${tool.name} timed run`, { ...timed, code: usage.code }));
        entry.samples.push({ wallMs: usage.wallMs, cpuMs: usage.userMs + usage.sysMs });
        if (`${timed.stdout}${timed.stderr}`.trim() !== "") entry.noisy++;
        entry.runs++;
        if (gnuTime) {
          const measured = await run([gnuTime, "-f", "%M", "-o", timeFile, ...tool.command], tool.env);
          if (measured.code !== 0)
            throw new Error(describe(`${tool.name} run under /usr/bin/time`, measured));
          entry.rssKiB.push(Number((await readFile(timeFile, "utf8")).trim().split("\n").at(-1)));
          entry.runs++;
        }
        entry.updates += updatesFor(tool.host) - updatesBefore;
        entry.echoHits += echo.hits - hitsBefore;
      }
    }
    const dnsQueries = dns.queries.length - dnsBefore;

    // Report ---------------------------------------------------------------------------------------
    const homing = stats.get("homing") as ToolStats;
    const base = {
      wall: median(homing.samples.map((s) => s.wallMs)),
      cpu: median(homing.samples.map((s) => s.cpuMs)),
      rss: median(homing.rssKiB),
    };
    const ratio = (value: number, of: number) =>
      Number.isFinite(value) && of > 0 ? `${(value / of).toFixed(2)}x` : "-";
    const rows = [...stats.values()].map((s) => {
      const wall = median(s.samples.map((x) => x.wallMs));
      const cpu = median(s.samples.map((x) => x.cpuMs));
      const rss = median(s.rssKiB);
      return [
        s.tool.name,
        s.tool.version,
        String(s.samples.length),
        wall.toFixed(1),
        cpu.toFixed(1),
        Number.isFinite(rss) ? (rss / 1024).toFixed(1) : "-",
        ratio(wall, base.wall),
        ratio(cpu, base.cpu),
        ratio(rss, base.rss),
        String(s.updates),
      ];
    });
    out.push(
      `Peers: one-shot cycle with the address unchanged (${ADDRESS}), same dyndns2 emulator and echo source for every tool;`,
      `${rounds} interleaved rounds after ${WARMUP_RUNS} quiet warm-up runs each; medians. Wall and CPU (user+sys) from wait4(),`,
      "peak RSS from /usr/bin/time -f %M in a separate run; ratios are tool / homing (below 1 = lighter than homing).",
      "homing runs as `node bin/homing run -c CFG` with NODE_EXTRA_CA_CERTS, NODE_OPTIONS and HOMING_* removed from its env.",
      "",
      table(
        [
          "tool",
          "version",
          "n",
          "wall ms",
          "CPU ms",
          "peak RSS MiB",
          "wall/homing",
          "CPU/homing",
          "RSS/homing",
          "updates sent",
        ],
        rows,
      ),
    );
    if (!gnuTime) out.push("Peak RSS not measured: /usr/bin/time is missing (apt-get install time).");
    for (const note of skipped) out.push(`Skipped ${note}`);
    out.push("", "Warm-up:", ...warmupNotes.map((note) => `  ${note}`), "During the timed runs:");
    for (const s of stats.values()) {
      const verdict = s.updates === 0 ? "no update request (PASS)" : `${s.updates} update request(s) (WARN)`;
      const printed =
        s.noisy === 0
          ? "printed nothing"
          : `printed something in ${s.noisy} of ${s.samples.length} timed runs`;
      out.push(`  ${s.tool.name}: ${s.runs} runs, ${verdict}, ${s.echoHits} echo request(s), ${printed}`);
    }
    out.push(`  homing's DNS guard was asked ${dnsQueries} time(s) (its state answered for itself).`);
    out.push(
      "Network destinations of one more cycle per tool (strace -f, connect/sendto/sendmsg):",
      ...(await networkDestinations(tools, dir, env)),
    );
    if (!emulatorRef.requests.every((r) => r.reply.startsWith("good") || r.reply.startsWith("nochg"))) {
      out.push(
        `  WARN the emulator answered something else than good/nochg: ${emulatorRef.requests.map((r) => r.reply.trim()).join(" | ")}`,
      );
    }
    return out.join("\n");
  } finally {
    await world.close();
  }
}
