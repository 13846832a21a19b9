/**
 * `homing` with a Cloudflare provider, through the real CLI against the Cloudflare API v4 emulator
 * (test/emulators/cloudflare.ts): create with the mark, change in place (PATCH), unchanged (cache and
 * --force), duplicates, pagination, auth failures, rate limits, transient failures, `homing check`,
 * `homing records` and the token canary.
 */
import { randomInt } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CloudflareEmulator,
  type CloudflareEmulatorConfig,
  type CloudflareFault,
  type CloudflareRecord,
  type CloudflareRecordFixture,
  type CloudflareRequestLogEntry,
  type CloudflareRoute,
  startCloudflareEmulator,
} from "../emulators/cloudflare.ts";
import { type EchoServer, startEcho } from "../emulators/ip-echo.ts";
import {
  configToml,
  filesUnder,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP3,
  IP6_1,
  IP6_2,
  lines,
  makeTempDir,
  NAME,
  type RunOptions,
  type RunResult,
  runCli,
  type StateFile,
  ZONE,
} from "../support/harness.ts";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const MARK = "managed by homing";
const IP4 = "81.2.69.171";
const MUTATING: readonly CloudflareRoute[] = ["create_record", "patch_record", "delete_record"];

/** A Cloudflare-shaped API token (40 characters) that is easy to grep for: CANARY + 34 random ones. */
function canaryToken(): string {
  let token = "CANARY";
  while (token.length < 40) token += ALNUM[randomInt(ALNUM.length)];
  return token;
}

interface CfWorldOptions {
  /** The token written to the token file (default: a fresh canary). */
  token?: string;
  /** Tokens the emulator knows (default: `token` with every zone and Zone.DNS:Edit + Zone.Zone:Read). */
  tokens?: CloudflareEmulatorConfig["tokens"];
  zones?: CloudflareEmulatorConfig["zones"];
  records?: CloudflareRecordFixture[];
  faults?: CloudflareFault[];
  rateLimit?: CloudflareEmulatorConfig["rateLimit"];
  maxPerPage?: number;
  /** Extra keys of [providers.cf], written as TOML values (strings quoted, numbers and booleans bare). */
  provider?: Record<string, string | number | boolean>;
  providerTimeout?: string;
  configRecords?: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  /** Do not write api_token_file (the token then comes from the environment). */
  tokenFromEnv?: boolean;
  /** Also detect IPv6, from two echoes on ::1 answering IP6_1. */
  ipv6?: boolean;
}

interface CfWorld {
  dir: string;
  configPath: string;
  tokenPath: string;
  stateDir: string;
  statePath: string;
  token: string;
  cf: CloudflareEmulator;
  run(command: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
  state(): Promise<StateFile>;
  /** Requests of these routes (all when omitted). */
  requests(...routes: CloudflareRoute[]): CloudflareRequestLogEntry[];
  mutations(): CloudflareRequestLogEntry[];
  rows(name?: string, type?: string): CloudflareRecord[];
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function tomlValue(value: string | number | boolean): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

async function startCf(options: CfWorldOptions = {}): Promise<CfWorld> {
  const dir = await makeTempDir("homing-cf-");
  const token = options.token ?? canaryToken();
  const cf = await startCloudflareEmulator({
    tokens: options.tokens ?? { [token]: { zones: "*" } },
    zones: options.zones ?? [{ name: ZONE }],
    records: options.records ?? [{ name: ZONE, type: "NS", content: "ada.ns.cloudflare.com" }],
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.maxPerPage ? { maxPerPage: options.maxPerPage } : {}),
  });
  const echoes: EchoServer[] = await Promise.all([1, 2, 3].map(() => startEcho({ answer: IP1 })));
  const echoes6: EchoServer[] = options.ipv6
    ? await Promise.all([1, 2].map(() => startEcho({ answer: IP6_1 }, { host: "::1" })))
    : [];
  const tokenPath = join(dir, "cf.token");
  await writeFile(tokenPath, `${token}\n`, { mode: 0o600 });
  const stateDir = join(dir, "state");
  const configPath = join(dir, "homing.toml");
  const base = configToml({
    stateDir,
    ipv4Sources: echoes.map((echo, i) => ({ url: echo.url, name: `echo-${i}` })),
    ipv4Quorum: 2,
    ...(echoes6.length
      ? { ipv6Sources: echoes6.map((echo, i) => ({ url: echo.url, name: `echo6-${i}` })), ipv6Quorum: 2 }
      : {}),
    providers: {},
    records: (options.configRecords ?? [{ name: NAME }]).map((record) => ({ ...record, provider: "cf" })),
  });
  const provider = [
    "[providers.cf]",
    'type = "cloudflare"',
    `endpoint = ${JSON.stringify(cf.url)}`,
    `timeout = ${JSON.stringify(options.providerTimeout ?? "5s")}`,
    ...(options.tokenFromEnv ? [] : [`api_token_file = ${JSON.stringify(tokenPath)}`]),
    ...Object.entries(options.provider ?? {}).map(([key, value]) => `${key} = ${tomlValue(value)}`),
  ];
  await writeFile(configPath, `${base}\n${provider.join("\n")}\n`, { mode: 0o600 });
  closers.push(async () => {
    await Promise.all([cf.close(), ...[...echoes, ...echoes6].map((echo) => echo.close())]);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    configPath,
    tokenPath,
    stateDir,
    statePath: join(stateDir, "state.json"),
    token,
    cf,
    run(command, args = [], runOptions = {}) {
      return runCli([command, "-c", configPath, ...args], dir, runOptions);
    },
    async state() {
      const { readFile } = await import("node:fs/promises");
      return JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as StateFile;
    },
    requests(...routes) {
      return routes.length ? cf.requests.filter((r) => routes.includes(r.route)) : [...cf.requests];
    },
    mutations() {
      return cf.requests.filter((r) => MUTATING.includes(r.route));
    },
    rows(name, type) {
      return cf
        .records()
        .filter((r) => (name === undefined || r.name === name) && (type === undefined || r.type === type));
    },
  };
}

const ipv6 = await hasIpv6Loopback();

const routes = (world: CfWorld) => world.requests().map((r) => r.route);

describe("homing run with Cloudflare", () => {
  it("creates an absent record with the mark, after finding the zone by walking up the name", async () => {
    const world = await startCf();

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (cf)`]);
    // One listing of the token's zones finds the longest parent; no lookup per name.
    expect(routes(world)).toEqual(["zones", "list_records", "create_record"]);
    expect(world.requests("zones").map((r) => r.query.name)).toEqual([undefined]);
    expect(world.requests("list_records")[0]?.query).toMatchObject({ name: NAME, page: "1" });
    expect(world.requests("create_record")[0]?.body).toEqual({
      type: "A",
      name: NAME,
      content: IP1,
      ttl: 1,
      proxied: false,
      comment: MARK,
    });
    expect(world.rows(NAME)).toMatchObject([
      { type: "A", content: IP1, comment: MARK, ttl: 1, proxied: false },
    ]);
    expect(world.requests().every((r) => r.authorization === "Bearer ***")).toBe(true);
    expect((await world.state()).records[`cf/${NAME}/A`]).toMatchObject({
      published: IP1,
      lastResult: "updated",
    });
  });

  it("changes an existing record in place with one PATCH of its content, keeping TTL, proxy and comment", async () => {
    const world = await startCf({
      records: [{ name: NAME, type: "A", content: IP2, ttl: 300, comment: "set by hand" }],
      provider: { zone: ZONE },
    });
    const id = world.rows(NAME, "A")[0]?.id;

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (cf)`]);
    expect(routes(world)).toEqual(["zones", "list_records", "patch_record"]);
    const patch = world.requests("patch_record")[0];
    expect(patch?.path).toBe(`zones/${world.cf.zoneId(ZONE)}/dns_records/${id}`);
    expect(patch?.body).toEqual({ content: IP1 });
    expect(world.rows(NAME, "A")).toMatchObject([
      { id, content: IP1, ttl: 300, proxied: false, comment: "set by hand" },
    ]);
    expect((await world.state()).history.at(-1)).toMatchObject({ name: NAME, type: "A", from: IP2, to: IP1 });
  });

  it("keeps a proxied record proxied, and marks an uncommented record it adopts", async () => {
    const world = await startCf({ records: [{ name: NAME, type: "A", content: IP2, proxied: true }] });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(world.mutations().map((r) => [r.route, r.body])).toEqual([
      ["patch_record", { content: IP1, comment: MARK }],
    ]);
    expect(world.rows(NAME, "A")).toMatchObject([{ content: IP1, proxied: true, ttl: 1, comment: MARK }]);
  });

  it("sends the configured ttl and proxied on PATCH and POST", async () => {
    const world = await startCf({
      records: [{ name: NAME, type: "A", content: IP2, ttl: 300, proxied: false, comment: "x" }],
      configRecords: [{ name: NAME }, { name: "new.example.com" }],
      provider: { ttl: 120, proxied: true },
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(world.requests("patch_record")[0]?.body).toEqual({ content: IP1, ttl: 120, proxied: true });
    expect(world.requests("create_record")[0]?.body).toMatchObject({
      name: "new.example.com",
      ttl: 120,
      proxied: true,
    });
    // The zones were listed once for both names.
    expect(world.requests("zones")).toHaveLength(1);
  });

  it("an unchanged record costs zero calls from the cache, and only reads with --force", async () => {
    const world = await startCf();
    expect((await world.run("run")).code).toBe(0);
    const before = world.requests().length;

    const cached = await world.run("run");

    expect(cached.code).toBe(0);
    expect(cached.stdout + cached.stderr).toBe("");
    expect(world.requests().length).toBe(before);

    const forced = await world.run("run", ["--force"]);

    expect(forced.code).toBe(0);
    expect(forced.stdout + forced.stderr).toBe("");
    expect(
      world
        .requests()
        .slice(before)
        .map((r) => [r.method, r.route]),
    ).toEqual([
      ["GET", "zones"],
      ["GET", "list_records"],
    ]);
    expect(world.mutations().map((r) => r.route)).toEqual(["create_record"]);
  });

  it("a PATCH answered success that did nothing: the duplicate is not deleted, exit 1, the reply named", async () => {
    const world = await startCf({
      records: [
        { name: NAME, type: "A", content: IP2, comment: MARK },
        { name: NAME, type: "A", content: IP3, comment: MARK },
      ],
      faults: [{ route: "patch_record", kind: "lie" }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("success, but no record in its result");
    expect(result.stderr).toContain(`the record list does not show ${IP1}; nothing was deleted`);
    expect(world.requests("delete_record")).toEqual([]);
    expect(
      world
        .rows(NAME, "A")
        .map((r) => r.content)
        .sort(),
    ).toEqual([IP2, IP3].sort());

    const again = await world.run("run");
    expect(again.code).toBe(0);
    expect(world.rows(NAME, "A").map((r) => r.content)).toEqual([IP1]);
  });

  it("deletes a marked duplicate and leaves an unmarked one with a warning", async () => {
    const world = await startCf({
      records: [
        { name: NAME, type: "A", content: IP1, comment: MARK },
        { name: NAME, type: "A", content: IP2, comment: MARK },
        { name: NAME, type: "A", content: IP3, comment: "the old server" },
        { name: NAME, type: "TXT", content: "v=spf1 -all" },
      ],
    });
    const duplicate = world.rows(NAME, "A").find((r) => r.content === IP2);

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(world.mutations().map((r) => [r.method, r.path])).toEqual([
      ["DELETE", `zones/${world.cf.zoneId(ZONE)}/dns_records/${duplicate?.id}`],
    ]);
    expect(
      world
        .rows(NAME, "A")
        .map((r) => r.content)
        .sort(),
    ).toEqual([IP1, IP3].sort());
    expect(result.stderr).toMatch(
      new RegExp(`^warning: ${NAME} also has A "${IP3}", a record homing did not create`, "m"),
    );
    expect(result.stderr).toContain(`lacks the comment "${MARK}"`);

    const again = await world.run("run", ["--force"]);

    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
    expect(again.stderr).toMatch(/also has A "81\.2\.69\.170"/);
    expect(world.mutations()).toHaveLength(1);
  });

  it("with only unmarked duplicates: patches (and marks) one, leaves the other with a warning, then converges", async () => {
    const world = await startCf({
      records: [
        { name: NAME, type: "A", content: IP2 },
        { name: NAME, type: "A", content: IP3, comment: "round robin" },
      ],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(world.mutations().map((r) => [r.route, r.body])).toEqual([
      ["patch_record", { content: IP1, comment: MARK }],
    ]);
    expect(result.stderr).toMatch(
      new RegExp(
        `^warning: ${NAME} A "${IP3}" stays at Cloudflare: homing only deletes records that carry`,
        "m",
      ),
    );
    expect(
      world
        .rows(NAME, "A")
        .map((r) => `${r.content} ${r.comment}`)
        .sort(),
    ).toEqual([`${IP1} ${MARK}`, `${IP3} round robin`].sort());

    const again = await world.run("run", ["--force"]);

    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
    expect(again.stderr).toMatch(/also has A "81\.2\.69\.170"/);
    expect(world.mutations()).toHaveLength(1);
  });

  it("follows every page of the record list", async () => {
    const world = await startCf({
      maxPerPage: 2,
      records: [
        { name: NAME, type: "TXT", content: "one" },
        { name: NAME, type: "TXT", content: "two" },
        { name: NAME, type: "TXT", content: "three" },
        { name: NAME, type: "A", content: IP2, comment: MARK },
      ],
      provider: { zone: ZONE },
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (cf)`]);
    expect(world.requests("list_records").map((r) => r.query.page)).toEqual(["1", "2"]);
    expect(world.mutations().map((r) => r.route)).toEqual(["patch_record"]);
    expect(world.rows(NAME, "A").map((r) => r.content)).toEqual([IP1]);
  });

  it.skipIf(!ipv6)("updates the AAAA record next to the A record, each with its own call", async () => {
    const world = await startCf({
      ipv6: true,
      records: [
        { name: NAME, type: "A", content: IP1, comment: MARK },
        { name: NAME, type: "AAAA", content: IP6_2, comment: MARK, ttl: 600 },
      ],
      configRecords: [{ name: NAME, ipv4: true, ipv6: true }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} AAAA ${IP6_2} -> ${IP6_1} (cf)`]);
    expect(world.mutations().map((r) => [r.route, r.body])).toEqual([["patch_record", { content: IP6_1 }]]);
    expect(
      world
        .rows(NAME)
        .map((r) => `${r.type} ${r.content} ${r.ttl}`)
        .sort(),
    ).toEqual([`A ${IP1} 1`, `AAAA ${IP6_1} 600`].sort());
  });

  it("a wrong endpoint (an HTML 404) fails at once with a hint, without retries", async () => {
    const world = await startCf({
      faults: [
        { route: "zones", kind: "http", status: 404, body: "<html>Not Found</html>", times: Infinity },
      ],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /HTTP 404 with a reply that is not JSON .*is providers\.cf\.endpoint the API's base URL/,
    );
    expect(world.requests()).toHaveLength(1);
  });

  it("a CNAME at the name blocks the record and nothing is sent", async () => {
    const world = await startCf({
      records: [{ name: NAME, type: "CNAME", content: "elsewhere.example.net" }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is a CNAME \(alias\) for "elsewhere\.example\.net"/);
    expect(world.mutations()).toEqual([]);
  });
});

describe("authentication failures", () => {
  it("a token Cloudflare does not know: exit 1, which file, which permissions, no change", async () => {
    const world = await startCf({ tokens: { [canaryToken()]: { zones: "*" } } });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`Cloudflare rejected the API token from file ${world.tokenPath}`);
    expect(result.stderr).toMatch(/9109: Invalid access token/);
    expect(result.stderr).toMatch(/Zone\.DNS:Edit and Zone\.Zone:Read/);
    expect(world.mutations()).toEqual([]);
    expect(world.requests()).toHaveLength(1);
  });

  it("a token whose resources do not include the zone: the zone is not found, with what to check", async () => {
    const token = canaryToken();
    const world = await startCf({
      token,
      tokens: { [token]: { zones: ["example.org"] } },
      zones: [{ name: ZONE }, { name: "example.org" }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Cloudflare has no zone for ${NAME} that this API token can see (asked for ${NAME}, ${ZONE}): check the zone name and that the token's Zone Resources include that zone`,
    );
    expect(routes(world)).toEqual(["zones"]);
  });

  it("a name in a zone the token cannot see fails alone: a name in a visible zone is still created", async () => {
    const token = canaryToken();
    const visible = "home.example.org";
    const world = await startCf({
      token,
      tokens: { [token]: { zones: ["example.org"] } },
      zones: [{ name: ZONE }, { name: "example.org" }],
      configRecords: [{ name: NAME }, { name: visible }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([`${visible} A created ${IP1} (cf)`]);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toEqual([
      `error: ${NAME} A (cf): Cloudflare has no zone for ${NAME} that this API token can see (asked for ${NAME}, ${ZONE}): check the zone name and that the token's Zone Resources include that zone`,
    ]);
    expect(world.rows(visible, "A").map((r) => r.content)).toEqual([IP1]);
    const state = await world.state();
    expect(state.records[`cf/${visible}/A`]).toMatchObject({ lastResult: "updated" });
    expect(state.records[`cf/${NAME}/A`]).toMatchObject({ lastResult: "failed" });
  });

  it("a token that may read but not edit DNS: auth error naming the missing permission", async () => {
    const token = canaryToken();
    const world = await startCf({
      token,
      tokens: { [token]: { zones: "*", permissions: ["zone:read", "dns:read"] } },
      records: [{ name: NAME, type: "A", content: IP2 }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Cloudflare did not let the API token from file .* update home\.example\.com A 81\.2\.69\.160 to 81\.2\.69\.142 \(HTTP 403, 10000: Authentication error\)/,
    );
    expect(result.stderr).toMatch(/Zone\.DNS:Edit/);
    expect(world.rows(NAME, "A").map((r) => r.content)).toEqual([IP2]);
    expect(world.requests("patch_record")).toHaveLength(1);
  });

  it("refuses a Global API Key before any request (exit 2)", async () => {
    const world = await startCf({ token: "0123456789abcdef0123456789abcdef01234" });

    const result = await world.run("run");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/looks like a Cloudflare Global API Key \(37 hexadecimal characters\)/);
    expect(result.stderr).toMatch(
      /create an API token at https:\/\/dash\.cloudflare\.com\/profile\/api-tokens/,
    );
    expect(result.stderr).not.toContain("0123456789abcdef");
    expect(world.requests()).toEqual([]);
  });
});

describe("rate limits", () => {
  it("a 429 on the change persists Retry-After as a back-off; the next run makes no mutating call", async () => {
    const world = await startCf({
      records: [{ name: NAME, type: "A", content: IP2 }],
      faults: [{ route: "patch_record", kind: "rate_limit", retryAfter: 120 }],
    });

    const started = Date.now();
    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/Cloudflare is rate-limiting this API token \(HTTP 429, 971: Please wait/);
    expect(first.stderr).toMatch(/homing makes no changes for 2m,/);
    expect(world.requests("patch_record")).toHaveLength(1);
    const backoff = Date.parse((await world.state()).providers.cf?.backoffUntil ?? "");
    expect(backoff - started).toBeGreaterThanOrEqual(119_000);
    expect(backoff - Date.now()).toBeLessThanOrEqual(120_000);

    const second = await world.run("run");

    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/no changes are made until/);
    expect(world.requests("patch_record")).toHaveLength(1);
    expect(world.rows(NAME, "A").map((r) => r.content)).toEqual([IP2]);
  });

  it("past the documented request limit, every call gets 429 and the five-minute block is persisted", async () => {
    const world = await startCf({ rateLimit: { max: 2 } });

    const started = Date.now();
    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(world.requests().map((r) => r.status)).toEqual([200, 200, 429]);
    expect(result.stderr).toMatch(/rate-limiting .*homing makes no changes for 5m/);
    const backoff = Date.parse((await world.state()).providers.cf?.backoffUntil ?? "");
    expect(backoff - started).toBeGreaterThanOrEqual(299_000);
  });
});

describe("transient failures", () => {
  it("a 502 on the PATCH is retried and the run succeeds", async () => {
    const world = await startCf({
      records: [{ name: NAME, type: "A", content: IP2, comment: MARK }],
      faults: [{ route: "patch_record", kind: "http", status: 502, body: "<html>502 Bad Gateway</html>" }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (cf)`]);
    expect(world.requests("patch_record").map((r) => r.fault ?? r.status)).toEqual(["http", 200]);
    expect(world.rows(NAME, "A").map((r) => r.content)).toEqual([IP1]);
  });

  it("a record list that keeps failing with 502 fails the record (exit 1) and changes nothing; the next run recovers", async () => {
    const world = await startCf({
      records: [{ name: NAME, type: "A", content: IP2, comment: MARK }],
      faults: [
        { route: "list_records", kind: "http", status: 502, body: "<html>Bad Gateway</html>", times: 3 },
      ],
    });

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/Cloudflare could not list the records of example\.com: HTTP 502/);
    expect(world.requests("list_records")).toHaveLength(3);
    expect(world.mutations()).toEqual([]);
    expect((await world.state()).records[`cf/${NAME}/A`]).toMatchObject({
      lastResult: "failed",
      failures: 1,
    });

    const second = await world.run("run");

    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (cf)`]);
  });

  it("a hung request times out and is retried", async () => {
    const world = await startCf({ providerTimeout: "1s", faults: [{ route: "list_records", kind: "hang" }] });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(world.requests("list_records").map((r) => r.fault ?? r.status)).toEqual(["hang", 200]);
    expect(world.rows(NAME, "A").map((r) => r.content)).toEqual([IP1]);
  });

  it("a create whose reply was lost is retried, answered 81058 (identical record), and leaves one record", async () => {
    const world = await startCf({ faults: [{ route: "create_record", kind: "lose_reply" }] });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(world.requests("create_record").map((r) => r.errors)).toEqual([[], [81058]]);
    expect(world.rows(NAME, "A")).toHaveLength(1);
  });

  it("a garbage (HTML) answer is retried", async () => {
    const world = await startCf({ faults: [{ route: "zones", kind: "garbage" }] });

    const result = await world.run("run", ["-vv"]);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/not JSON \("<html>/);
    expect(world.rows(NAME, "A")).toHaveLength(1);
  });
});

describe("homing check and homing records", () => {
  it("check verifies the token and, with a zone configured, reads that zone", async () => {
    const world = await startCf({
      records: [
        { name: ZONE, type: "NS", content: "ada.ns.cloudflare.com" },
        { name: NAME, type: "A", content: IP1 },
      ],
      provider: { zone: ZONE },
    });

    const result = await world.run("check");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([
      `config ${world.configPath}: valid (1 record(s))`,
      `provider cf (Cloudflare): ok, the API token is active and can read zone ${ZONE} (2 record(s))`,
      "ok",
    ]);
    expect(routes(world)).toEqual(["verify", "zones", "list_records"]);
    expect(world.requests().every((r) => r.method === "GET")).toBe(true);
  });

  it("check with a disabled or unknown token exits 1 and says what to do", async () => {
    const token = canaryToken();
    const world = await startCf({ token, tokens: { [token]: { zones: "*", status: "disabled" } } });

    const disabled = await world.run("check");

    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toMatch(
      /^error: provider cf \(Cloudflare\): Cloudflare says the API token is disabled, not active: create an API token/m,
    );

    const other = await startCf({ tokens: { [canaryToken()]: { zones: "*" } } });
    const unknown = await other.run("check");

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /Cloudflare rejected the API token from file .*cf\.token \(HTTP 401, 1000: Invalid API Token\)/,
    );
  });

  it("records lists every row at the names, marking rows homing does not manage; --json adds id and ttl", async () => {
    const world = await startCf({
      records: [
        { name: NAME, type: "A", content: IP1, comment: MARK, ttl: 300 },
        { name: NAME, type: "A", content: IP4, comment: "someone else" },
        { name: NAME, type: "TXT", content: "hello" },
      ],
      configRecords: [{ name: NAME }, { name: "www.example.com" }],
    });

    const result = await world.run("records");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout).sort()).toEqual(
      [
        `${NAME} A ${IP1} (cf)`,
        `${NAME} A ${IP4} (cf, not managed by homing)`,
        `${NAME} TXT hello (cf, not managed by homing)`,
        "www.example.com (cf): no records",
      ].sort(),
    );
    const json = JSON.parse((await world.run("records", ["--json"])).stdout) as {
      records: Array<{
        name: string;
        type: string;
        value: string;
        owned: boolean;
        id?: string;
        ttl?: number;
      }>;
      errors: string[];
    };
    expect(json.errors).toEqual([]);
    const ours = world.rows(NAME, "A").find((r) => r.content === IP1);
    expect(json.records).toContainEqual({
      provider: "cf",
      name: NAME,
      type: "A",
      value: IP1,
      owned: true,
      id: ours?.id,
      ttl: 300,
      source: "provider",
    });
    expect(world.mutations()).toEqual([]);
  });
});

/** Any 8-character window of the token found in `text`, so a token cut short in an excerpt counts too. */
function leakedFragment(text: string, token: string): string | undefined {
  for (let i = 0; i + 8 <= token.length; i++) {
    const fragment = token.slice(i, i + 8);
    if (text.includes(fragment)) return fragment;
  }
  return undefined;
}

async function expectNoLeak(
  world: CfWorld,
  token: string,
  results: Array<[string, RunResult]>,
): Promise<void> {
  expect(token).toMatch(/^CANARY[A-Za-z0-9]{34}$/);
  for (const [label, result] of results) {
    expect(leakedFragment(result.stdout, token), `stdout of ${label}`).toBeUndefined();
    expect(leakedFragment(result.stderr, token), `stderr of ${label}`).toBeUndefined();
  }
  const files = await filesUnder(world.stateDir);
  expect(files.map((f) => f.path)).toContain(world.statePath);
  for (const file of files) expect(leakedFragment(file.text, token), file.path).toBeUndefined();
  // The token travels in the Authorization header only: never in a path, a query or a body.
  for (const request of world.requests()) {
    expect(request.authorization).toBe("Bearer ***");
    expect(JSON.stringify([request.path, request.query, request.body])).not.toContain("***");
  }
}

describe("the API token never leaks", () => {
  const everything: Array<[string, string[]]> = [
    ["run", []],
    ["run", []],
    ["run", ["--json", "--force"]],
    ["run", ["-vv", "--log-format", "json", "--force"]],
    ["records", []],
    ["records", ["--json"]],
    ["check", []],
    ["status", ["--json"]],
  ];

  it("from a token file and from the environment, through every command, at debug level", async () => {
    const token = canaryToken();
    const world = await startCf({ token, records: [{ name: NAME, type: "A", content: IP2 }] });
    const results: Array<[string, RunResult]> = [];
    for (const [command, args] of everything)
      results.push([`${command} ${args.join(" ")}`, await world.run(command, args)]);
    const fromEnv = await startCf({ token, tokenFromEnv: true });
    const env = { HOMING_PROVIDERS_CF_API_TOKEN: token };
    for (const [command, args] of everything) {
      results.push([`env ${command} ${args.join(" ")}`, await fromEnv.run(command, args, { env })]);
    }

    expect(results.map(([, r]) => r.code)).toEqual(results.map(() => 0));
    expect(results[3]?.[1].stderr).toMatch(/"level":"(debug|info)"/);
    await expectNoLeak(world, token, results.slice(0, everything.length));
    await expectNoLeak(fromEnv, token, results.slice(everything.length));
  });

  it("when Cloudflare rejects it or echoes it back in error pages, in text and JSON logs", async () => {
    const token = canaryToken();
    const echoed = `<html>upstream said: Bearer ${token}</html>`;
    const world = await startCf({
      token,
      records: [{ name: NAME, type: "A", content: IP2 }],
      faults: [
        { route: "list_records", kind: "http", status: 500, body: echoed, times: 3 },
        {
          route: "list_records",
          kind: "api_error",
          status: 400,
          code: 1004,
          message: `bad ${token}`,
          times: 1,
        },
        { route: "zones", kind: "http", status: 200, body: echoed, contentType: "text/html", times: 3 },
      ],
    });
    const results: Array<[string, RunResult]> = [];
    results.push(["run -vv (zones garbage)", await world.run("run", ["-vv"])]);
    results.push(["run -vv (list 500)", await world.run("run", ["-vv"])]);
    results.push(["run json (1004)", await world.run("run", ["--json", "-vv", "--log-format", "json"])]);
    const rejected = await startCf({ token, tokens: { [canaryToken()]: { zones: "*" } } });
    results.push(["rejected run", await rejected.run("run", ["-vv"])]);
    results.push(["rejected check", await rejected.run("check", ["-vv"])]);

    expect(results.map(([, r]) => r.code)).toEqual([1, 1, 1, 1, 1]);
    expect(results[1]?.[1].stderr).toMatch(/HTTP 500 \("<html>upstream said: Bearer \[redacted\]/);
    await expectNoLeak(world, token, results.slice(0, 3));
    await expectNoLeak(rejected, token, results.slice(3));
  });
});
