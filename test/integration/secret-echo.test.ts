/**
 * Secrets against services that echo them back, for every provider type. Each provider is pointed at
 * an echoing fake that answers every request with an error in the provider's own reply format,
 * quoting the whole request (method, raw URL, every header, the raw body, the decoded parameters)
 * verbatim, JSON-escaped (once, twice, PHP and Go style), HTML-escaped, percent-encoded and in
 * base64/base64url, rotating which form and which part of the request comes first so that every form
 * reaches the excerpts the clients quote. The secrets hold `+/=&%"\` and a space (Cloudflare tokens
 * cannot hold a space; RFC 2136 gets a base64 TSIG secret with + / =, which never travels).
 *
 * Sinks, per provider: stdout and stderr of `run`, `run --json`, `run -vv --log-format json`,
 * `run --dry-run --json`, `run --force -v` (decisions), `run --force -vv` (request lines),
 * `explain --force`, `explain --dry-run`, `check`, `check --log-format json`, `records`, `records --json
 * --log-format json`, `status`, `status --json`, with the secret from a file and from the
 * environment; every file under state_dir; and a real `homing daemon`: its output, the status page,
 * /api/status, /healthz, /metrics, and the notifications a generic webhook receives. The leak check
 * (test/support/leak-check.ts) looks for every encoded form and any 8-character window.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmod, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { describe, type ExpectStatic, it } from "vitest";
import { type DnsResponder, startDnsResponder } from "../emulators/dns-responder.ts";
import { type EchoServer, startEcho } from "../emulators/ip-echo.ts";
import {
  BIN,
  cleanEnv,
  filesUnder,
  IP1,
  makeTempDir,
  type RunResult,
  runCli,
  type TestHooks,
} from "../support/harness.ts";
import {
  base64Canary,
  describeLeak,
  findLeak,
  hostileCanary,
  type LeakOptions,
} from "../support/leak-check.ts";

// ------------------------------------------------------------------------------------------------
// The echoing fake

/** Every form a service could quote a request in. */
const ECHO_FORMS: ReadonlyArray<(echo: string) => string> = [
  (echo) => echo,
  (echo) => JSON.stringify(echo),
  (echo) => JSON.stringify(JSON.stringify(echo)),
  (echo) => JSON.stringify(echo).replace(/\//g, "\\/"),
  (echo) => JSON.stringify(echo).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
  (echo) => Buffer.from(echo).toString("base64"),
  (echo) => Buffer.from(echo).toString("base64url"),
  (echo) => encodeURIComponent(echo),
  (echo) => encodeURIComponent(echo).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  (echo) => echo.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
  (echo) => echo.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;"),
];

type ReplyShape = "dreamhost" | "cloudflare" | "powerdns" | "text";

interface EchoFake {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/**
 * The parts of a request that can carry a secret, one line each: the credential headers, the
 * request line with the raw URL, the raw body, the decoded query and form parameters, then every
 * other header.
 */
function requestParts(request: IncomingMessage, body: string): string[] {
  const headers: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    headers.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  }
  const credential = (line: string) => /^(authorization|x-api-key|x-token)/i.test(line);
  // What a server-side framework hands its error page: the parameters decoded ($_REQUEST in PHP).
  const url = new URL(request.url ?? "/", "http://fake");
  const params = [...url.searchParams];
  if (/x-www-form-urlencoded/.test(String(request.headers["content-type"]))) {
    params.push(...new URLSearchParams(body));
  }
  return [
    ...headers.filter(credential),
    `${request.method} ${request.url} HTTP/${request.httpVersion}`,
    ...(body ? [body] : []),
    ...(params.length ? [params.map(([name, value]) => `${name}=${value}`).join(", ")] : []),
    ...headers.filter((line) => !credential(line)),
  ];
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}

/** An HTTP server on loopback that answers every request with an error quoting it. */
async function startEchoFake(
  shape: ReplyShape,
  statuses: readonly number[],
  hooks: TestHooks,
): Promise<EchoFake> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const count = requests.length;
      const parts = rotate(requestParts(request, body), Math.floor(count / ECHO_FORMS.length));
      const echo = parts.join("\n");
      requests.push(echo);
      const forms = rotate(
        ECHO_FORMS.map((encode) => encode(echo)),
        count,
      );
      const joined = forms.join(" | ");
      const pick = <T>(choices: readonly T[]): T => choices[count % choices.length] as T;
      let status: number;
      let reply: string;
      switch (shape) {
        case "dreamhost": {
          // HTTP 200 with an API error, DreamHost's way (a non-200 is retried with back-off): an auth
          // code, an unknown code, and a `data` with no tab, whose whole text becomes the code. Every
          // fourth list (the second of each stream) succeeds empty, so homing adds, and the add's
          // "success" quotes the request.
          status = 200;
          const cmd = new URLSearchParams(body).get("cmd");
          const listOk = cmd === "dns-list_records" && count % 4 === 1;
          reply = JSON.stringify(
            cmd === "dns-add_record"
              ? { result: "success", data: joined }
              : listOk
                ? { result: "success", data: [] }
                : {
                    result: "error",
                    data: pick([`invalid_api_key\t${joined}`, `some_error\t${joined}`, joined]),
                    reason: JSON.stringify(echo),
                    echo_base64: Buffer.from(echo).toString("base64"),
                  },
          );
          break;
        }
        case "cloudflare": {
          // A bad token (1000), a refused value (1004), a missing permission (10000, HTTP 403) and a
          // rate limit (971, HTTP 429), whose message is kept as the back-off reason.
          const code = pick([1000, 1004, 10000, 971]);
          status = code === 10000 ? 403 : code === 971 ? 429 : 400;
          reply = JSON.stringify({
            success: false,
            errors: forms.map((message) => ({ code, message })),
            messages: [{ code: 1, message: JSON.stringify(echo) }],
            result: null,
          });
          break;
        }
        case "powerdns":
          if (/\/servers\/localhost$/.test(request.url ?? "")) {
            // `homing check` asks for the server: a success, whose version string quotes the request.
            status = 200;
            reply = JSON.stringify({
              type: "Server",
              id: "localhost",
              daemon_type: "authoritative",
              version: `4.9.1 (${joined})`,
            });
            break;
          }
          status = pick([422, 401, 404, 400]);
          reply = JSON.stringify({ error: joined, request: JSON.stringify(echo) });
          break;
        default:
          status = pick(statuses);
          reply = forms.join("\n");
      }
      response.writeHead(status, {
        // A rate limit lifts at once, so the next command asks again (and first reads the reason).
        ...(status === 429 ? { "retry-after": "1" } : {}),
        "content-type": shape === "text" ? "text/plain" : "application/json",
        "x-echo": Buffer.from(echo).toString("base64"),
      });
      response.end(reply);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  const fake: EchoFake = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
  hooks.onTestFinished(() => fake.close());
  return fake;
}

/** A DNS server on UDP loopback that answers every message REFUSED, unsigned (rfc2136). */
async function startRefusingDns(hooks: TestHooks): Promise<{ address: string; messages: number }> {
  const socket = createSocket("udp4");
  const state = { address: "", messages: 0 };
  socket.on("message", (message, remote) => {
    if (message.length < 12) return;
    state.messages++;
    // Header and question (no compression in a question); answer, authority and additional dropped.
    let end = 12;
    while (end < message.length && (message[end] as number) !== 0) end += 1 + (message[end] as number);
    const reply = Buffer.from(message.subarray(0, Math.min(message.length, end + 5)));
    const flags = message.readUInt16BE(2);
    reply.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | 5, 2); // QR, opcode, RD, RA, REFUSED
    reply.writeUInt16BE(0, 6);
    reply.writeUInt16BE(0, 8);
    reply.writeUInt16BE(0, 10);
    socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((ok) => socket.bind(0, "127.0.0.1", ok));
  state.address = `127.0.0.1:${socket.address().port}`;
  hooks.onTestFinished(() => new Promise<void>((ok) => socket.close(() => ok())));
  return state;
}

/** A generic webhook receiver that keeps every notification it gets. */
async function startCapture(hooks: TestHooks): Promise<{ port: number; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      bodies.push(`${request.method} ${request.url}\n${Buffer.concat(chunks).toString("utf8")}`);
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  hooks.onTestFinished(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  );
  return { port: (server.address() as { port: number }).port, bodies };
}

// ------------------------------------------------------------------------------------------------
// The providers

interface Infra {
  fake: EchoFake | undefined;
  dns: DnsResponder | undefined;
  tsigServer: string | undefined;
}

interface ProviderCase {
  type: string;
  id: string;
  /** The secret's key (`api_key`): `<key>_file` in the file variant, HOMING_PROVIDERS_<ID>_<KEY> from the environment. */
  secretKey: string;
  secret: () => string;
  reply?: ReplyShape;
  /**
   * The statuses a "text" reply rotates through (never 5xx: those are retried with back-off; a 429
   * comes with Retry-After: 1, and its message is kept as the back-off reason).
   */
  statuses?: readonly number[];
  /** Names under the fake's domain; the dyndns2 family needs a resolver for its guard lookups. */
  name: string;
  needsResolver?: boolean;
  /** `check` and `records` ask the service (the dyndns2 family cannot be asked). */
  canList?: boolean;
  tsig?: boolean;
  leak?: LeakOptions;
  /** The provider table without the secret. */
  table: (infra: Infra) => Record<string, string>;
  /** Raw TOML lines added to the table (inline tables). */
  rawLines?: string[];
}

const DYNDNS2_USER = "homing-user";
const CUSTOM_USER = "custom-user";

const PROVIDERS: readonly ProviderCase[] = [
  {
    type: "dreamhost",
    id: "dh",
    secretKey: "api_key",
    secret: () => hostileCanary(),
    reply: "dreamhost",
    canList: true,
    name: "home.example.com",
    table: ({ fake }) => ({ endpoint: `${fake?.url}/dh/` }),
  },
  {
    type: "cloudflare",
    id: "cf",
    secretKey: "api_token",
    // CloudflareProvider.create refuses a token with a space (tokens are printable ASCII).
    secret: () => hostileCanary({ space: false }),
    reply: "cloudflare",
    canList: true,
    name: "home.example.com",
    table: ({ fake }) => ({ endpoint: `${fake?.url}/client/v4/` }),
  },
  {
    type: "powerdns",
    id: "pdns",
    secretKey: "api_key",
    secret: () => hostileCanary(),
    reply: "powerdns",
    canList: true,
    name: "home.example.com",
    table: ({ fake }) => ({ endpoint: `${fake?.url}`, zone: "example.com" }),
  },
  {
    type: "rfc2136",
    id: "ns",
    secretKey: "key_secret",
    secret: () => base64Canary(),
    name: "home.example.com",
    tsig: true,
    table: ({ tsigServer }) => ({
      server: tsigServer as string,
      zone: "example.com",
      key_name: "homing-key",
      key_algorithm: "hmac-sha256",
    }),
  },
  {
    type: "dyndns2",
    id: "dyn",
    secretKey: "password",
    secret: () => hostileCanary(),
    reply: "text",
    statuses: [400, 401, 429, 403],
    name: "home.dyn.example.net",
    needsResolver: true,
    leak: { users: [DYNDNS2_USER] },
    table: ({ fake, dns }) => ({
      server: `${fake?.url}/nic/update`,
      username: DYNDNS2_USER,
      resolver: dns?.address as string,
    }),
  },
  {
    type: "duckdns",
    id: "duck",
    secretKey: "token",
    secret: () => hostileCanary(),
    reply: "text",
    name: "myhome.duckdns.org",
    needsResolver: true,
    table: ({ fake, dns }) => ({ endpoint: `${fake?.url}/update`, resolver: dns?.address as string }),
  },
  {
    type: "custom",
    id: "mine",
    secretKey: "secret",
    secret: () => hostileCanary(),
    reply: "text",
    name: "home.custom.example.net",
    needsResolver: true,
    leak: { users: [CUSTOM_USER] },
    table: ({ fake, dns }) => ({
      method: "POST",
      url: `${fake?.url}/custom/update?host={name}&ip={ip}&token={secret}`,
      body: `{"hostname": "{name}", "ip": "{ip}", "token": "{secret}"}`,
      username: CUSTOM_USER,
      success_body: "^OK",
      resolver: dns?.address as string,
    }),
    rawLines: [`headers = { "X-Token" = "{secret}" }`],
    // 200 with a reply that does not match success_body is quoted too.
    statuses: [400, 401, 200, 429, 403],
  },
];

// ------------------------------------------------------------------------------------------------
// A world per provider

interface Sink {
  name: string;
  text: string;
}

const q = (text: string) => JSON.stringify(text);

function tomlTable(table: Record<string, string>): string[] {
  return Object.entries(table).map(([key, value]) => `${key} = ${q(value)}`);
}

function configText(options: {
  provider: ProviderCase;
  infra: Infra;
  stateDir: string;
  echoes: EchoServer[];
  secretLine: string | undefined;
  extra?: string[];
}): string {
  const { provider, infra, stateDir, echoes } = options;
  return `${[
    `state_dir = ${q(stateDir)}`,
    `timeout = "20s"`,
    "",
    "[detect]",
    `timeout = "5s"`,
    "",
    "[detect.ipv4]",
    `sources = [${echoes.map((e, i) => `{ url = ${q(e.url)}, name = "echo-${i}" }`).join(", ")}]`,
    "quorum = 2",
    ...(options.extra ?? []),
    "",
    `[providers.${provider.id}]`,
    `type = ${q(provider.type)}`,
    `timeout = "5s"`,
    ...tomlTable(provider.table(infra)),
    ...(provider.rawLines ?? []),
    ...(options.secretLine ? [options.secretLine] : []),
    "",
    "[[records]]",
    `name = ${q(provider.name)}`,
    `provider = ${q(provider.id)}`,
    "ipv4 = true",
    "ipv6 = false",
  ].join("\n")}\n`;
}

const COMMANDS: ReadonlyArray<readonly string[]> = [
  ["run"],
  ["run", "--json"],
  ["run", "-vv", "--log-format", "json"],
  ["run", "--dry-run", "--json"],
  ["run", "--force", "-v"],
  ["run", "--force", "-vv"],
  ["explain", "--force"],
  ["explain", "--dry-run"],
  ["check"],
  ["check", "--log-format", "json"],
  ["records"],
  ["records", "--json", "--log-format", "json"],
  ["status"],
  ["status", "--json"],
];

async function runCommands(
  configPath: string,
  dir: string,
  commands: ReadonlyArray<readonly string[]>,
  env: Record<string, string> = {},
  label = "",
): Promise<Array<{ label: string; result: RunResult }>> {
  const out: Array<{ label: string; result: RunResult }> = [];
  for (const [command, ...args] of commands) {
    const result = await runCli([command as string, "-c", configPath, ...args], dir, { env });
    out.push({ label: `${[command, ...args].join(" ")}${label}`, result });
  }
  return out;
}

interface DaemonRun {
  output: string;
  pages: Sink[];
  notifications: string[];
  code: number | null;
}

/**
 * A real `homing daemon` with the status server and a generic webhook: waits for the first round's
 * failure notification, reads every page, forces a second round (SIGUSR1), reads them again, then
 * stops it with SIGTERM (the stop notification goes out before it exits).
 */
async function runDaemon(configPath: string, dir: string, capture: { bodies: string[] }): Promise<DaemonRun> {
  const child: ChildProcess = spawn(process.execPath, [BIN, "daemon", "-c", configPath, "-vv"], {
    cwd: dir,
    env: cleanEnv(dir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((ok) => child.on("close", (code) => ok(code)));
  const until = async (test: () => boolean, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline) {
        throw new Error(
          `daemon: timed out waiting for ${what}; output:\n${output}\nnotifications:\n${capture.bodies.join("\n")}`,
        );
      }
      await new Promise((ok) => setTimeout(ok, 50));
    }
  };
  try {
    await until(() => /status page on (http:\/\/\S+)/.test(output), "the status page");
    const base = (/status page on (http:\/\/\S+)/.exec(output) as RegExpExecArray)[1] as string;
    await until(() => capture.bodies.some((body) => /failed/i.test(body)), "a failure notification");
    const pages: Sink[] = [];
    const readPages = async (round: string) => {
      for (const path of ["", "api/status", "healthz", "metrics"]) {
        const response = await fetch(new URL(path, base));
        pages.push({ name: `daemon GET /${path} (${round})`, text: await response.text() });
      }
    };
    await readPages("after round 1");
    const failures = () => (output.match(/^error: /gm) ?? []).length;
    const before = failures();
    child.kill("SIGUSR1");
    await until(() => failures() > before, "the second round's failure");
    await readPages("after round 2");
    child.kill("SIGTERM");
    const code = await exited;
    return { output, pages, notifications: [...capture.bodies], code };
  } finally {
    child.kill("SIGKILL");
  }
}

function expectClean(expect: ExpectStatic, provider: ProviderCase, secret: string, sinks: Sink[]): void {
  for (const sink of sinks) {
    const leak = describeLeak(sink.text, secret, provider.leak);
    // Soft: one run reports every leaking sink, not only the first.
    expect.soft(leak, `${provider.type}: the secret leaked into ${sink.name} (${leak})`).toBeUndefined();
  }
}

describe.concurrent("secrets echoed back by every provider type stay out of every sink", () => {
  for (const provider of PROVIDERS) {
    it.concurrent(`${provider.type}`, async ({ expect, onTestFinished }) => {
      const secret = provider.secret();
      const dir = await makeTempDir(`homing-echo-${provider.id}-`);
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      // One fake per stream of requests (commands with the secret from a file, from the environment,
      // the daemon), so each stream sees the same rotation of reply forms on every run.
      const startFake = () =>
        provider.reply
          ? startEchoFake(provider.reply, provider.statuses ?? [400, 401, 429], { onTestFinished })
          : Promise.resolve(undefined);
      const [fake, envFake, daemonFake] = await Promise.all([startFake(), startFake(), startFake()]);
      const dns = provider.needsResolver ? await startDnsResponder({ lookup: () => undefined }) : undefined;
      if (dns) onTestFinished(() => dns.close());
      const tsig = provider.tsig ? await startRefusingDns({ onTestFinished }) : undefined;
      const echoes = await Promise.all([0, 1, 2].map(() => startEcho({ answer: IP1 })));
      onTestFinished(async () => {
        await Promise.all(echoes.map((e) => e.close()));
      });
      const capture = await startCapture({ onTestFinished });
      const infra: Infra = { fake, dns, tsigServer: tsig?.address };
      const envInfra: Infra = { ...infra, fake: envFake };
      const daemonInfra: Infra = { ...infra, fake: daemonFake };

      const secretPath = join(dir, "secret");
      await writeFile(secretPath, `${secret}\n`, { mode: 0o600 });
      await chmod(secretPath, 0o600);
      const stateDir = join(dir, "state");
      const configPath = join(dir, "homing.toml");
      const daemonExtra = [
        "",
        "[daemon]",
        `interval = "1h"`,
        `jitter = "0s"`,
        "",
        "[status]",
        `listen = "127.0.0.1:0"`,
        "",
        "[notify]",
        `urls = [${q(`generic+http://127.0.0.1:${capture.port}/hook`)}]`,
        "failure_threshold = 1",
        "start_stop = true",
        `timeout = "5s"`,
      ];
      const secretLine = `${provider.secretKey}_file = ${q(secretPath)}`;
      await writeFile(configPath, configText({ provider, infra, stateDir, echoes, secretLine }), {
        mode: 0o600,
      });
      // The daemon gets a state dir of its own, so it starts with no failures (the failure notification
      // goes out on its first round) and runs alongside the commands.
      const daemonStateDir = join(dir, "state-daemon");
      const daemonConfigPath = join(dir, "homing-daemon.toml");
      await writeFile(
        daemonConfigPath,
        configText({
          provider,
          infra: daemonInfra,
          stateDir: daemonStateDir,
          echoes,
          secretLine,
          extra: daemonExtra,
        }),
        { mode: 0o600 },
      );
      // The same provider with the secret from the environment, in a state dir of its own.
      const envStateDir = join(dir, "state-env");
      const envConfigPath = join(dir, "homing-env.toml");
      await writeFile(
        envConfigPath,
        configText({ provider, infra: envInfra, stateDir: envStateDir, echoes, secretLine: undefined }),
        { mode: 0o600 },
      );
      const envName = `HOMING_PROVIDERS_${provider.id.toUpperCase()}_${provider.secretKey.toUpperCase()}`;

      const [fromFile, fromEnv, daemon] = await Promise.all([
        runCommands(configPath, dir, COMMANDS),
        runCommands(
          envConfigPath,
          dir,
          [["run", "-vv", "--log-format", "json"], ["run", "--json"], ["check"], ["status", "--json"]],
          { [envName]: secret },
          ` (secret from ${envName})`,
        ),
        runDaemon(daemonConfigPath, dir, capture),
      ]);

      const sinks: Sink[] = [];
      for (const { label, result } of [...fromFile, ...fromEnv]) {
        sinks.push({ name: `stdout of \`homing ${label}\``, text: result.stdout });
        sinks.push({ name: `stderr of \`homing ${label}\``, text: result.stderr });
      }
      const files = [
        ...(await filesUnder(stateDir)),
        ...(await filesUnder(envStateDir)),
        ...(await filesUnder(daemonStateDir)),
      ];
      for (const file of files) sinks.push({ name: `the file ${file.path}`, text: file.text });
      sinks.push({ name: "the output of `homing daemon`", text: daemon.output });
      sinks.push(...daemon.pages);
      daemon.notifications.forEach((body, index) => {
        sinks.push({ name: `notification #${index + 1} to the generic webhook`, text: body });
      });

      // The setup is what it claims: the secret reached the wire (or, for TSIG, a server was asked),
      // the replies quoting it reached homing's messages, and every sink was read.
      const runs = fromFile[0]?.result as RunResult;
      expect(runs.code, `${provider.type}: the first run fails`).toBe(1);
      expect(
        files.map((f) => f.path),
        `${provider.type}: state files`,
      ).toEqual(
        expect.arrayContaining(
          [stateDir, envStateDir, daemonStateDir].map((state) => join(state, "state.json")),
        ),
      );
      expect(daemon.notifications.length, `${provider.type}: notifications`).toBeGreaterThanOrEqual(3);
      expect(daemon.code, `${provider.type}: the daemon stops cleanly`).toBe(0);
      if (fake && envFake && daemonFake) {
        const requests = [...fake.requests, ...envFake.requests, ...daemonFake.requests];
        expect(requests.length, `${provider.type}: requests to the fakes`).toBeGreaterThan(3);
        if (provider.type === "dreamhost") {
          expect(
            requests.some((echo) => echo.includes("cmd=dns-add_record")),
            "dreamhost: an add whose success quotes the request",
          ).toBe(true);
        }
        for (const [stream, echoes] of [
          ["the commands", fake.requests],
          ["the commands with the secret from the environment", envFake.requests],
          ["the daemon", daemonFake.requests],
        ] as const) {
          expect(
            echoes.some((echo) => describeLeak(echo, secret, provider.leak) !== undefined),
            `${provider.type}: the secret travels in the requests of ${stream}`,
          ).toBe(true);
        }
        // The quoted echo reached every kind of sink that tells why a record failed, redacted (the
        // excerpt of one reply may hold no secret, depending on which part of the request it starts with).
        const reached: string[][] = [
          ["stderr of `homing run"],
          ["stdout of `homing run --json"],
          ["stdout of `homing status"],
          ["the file "],
          ["the output of `homing daemon`"],
          ["daemon GET / ("],
          ["daemon GET /api/status"],
          ["daemon GET /healthz"],
          ["notification #"],
          ...(provider.canList
            ? [["stderr of `homing check", "stderr of `homing records", "stdout of `homing records --json"]]
            : []),
        ];
        for (const prefixes of reached) {
          expect(
            sinks.some(
              (sink) =>
                prefixes.some((prefix) => sink.name.startsWith(prefix)) && sink.text.includes("[redacted]"),
            ),
            `${provider.type}: "[redacted]" in some ${prefixes.join("… or ")}…`,
          ).toBe(true);
        }
      } else {
        expect(tsig?.messages, `${provider.type}: DNS messages to the refusing server`).toBeGreaterThan(0);
      }
      expectClean(expect, provider, secret, sinks);
    });
  }
});

describe("the leak checker", () => {
  it("finds the canary in every form an echo can take, and nothing in clean text", ({ expect }) => {
    const secret = hostileCanary();
    const user = "someone";
    const basic = (s: string) => Buffer.from(`${user}:${s}`).toString("base64");
    const forms: Array<[string, string]> = [
      ["verbatim", `x ${secret} y`],
      ["percent upper", `token=${encodeURIComponent(secret)}`],
      ["percent lower", encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
      ["form", new URLSearchParams({ key: secret }).toString()],
      ["JSON", JSON.stringify({ key: secret })],
      ["JSON twice", JSON.stringify(JSON.stringify({ key: secret }))],
      ["HTML", secret.replace(/&/g, "&amp;").replace(/"/g, "&quot;")],
      ["base64", Buffer.from(`{"k":"${secret}"}`).toString("base64")],
      ["base64url", Buffer.from(`ab${secret}`).toString("base64url")],
      ["basic auth", `Authorization: Basic ${basic(secret)}`],
      [
        "base64 of a form body",
        Buffer.from(`a=1&${new URLSearchParams({ key: secret })}`).toString("base64"),
      ],
      ["cut short", `error: ${secret.slice(0, 9)}…`],
    ];
    for (const [what, text] of forms) expect(findLeak(text, secret, { users: [user] }), what).toBeDefined();
    expect(findLeak(`key=[redacted] 81.2.69.142 ${"CANARY".repeat(3)}`, secret, { users: [user] })).toBe(
      undefined,
    );
  });
});
