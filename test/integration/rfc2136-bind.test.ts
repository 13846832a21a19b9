/**
 * The rfc2136 provider against a real BIND 9 (`named`), started on loopback on a free port in a
 * fresh directory: through the real CLI (create, change, unchanged, check, records, auth failures,
 * a lost reply, a server that is down, the secret canary) and at the provider level for what the CLI
 * cannot inject (the signer's clock, algorithms, truncation, AAAA).
 *
 * Every test uses its own names, so they share one server; the homing side talks to it through a
 * logging proxy (test/support/dns-servers.ts) and results are checked with `dig`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/core/secret.ts";
import { emptyState } from "../../src/core/state.ts";
import { memoryLogger } from "../../src/platform/log.ts";
import { Rfc2136Provider } from "../../src/providers/rfc2136/provider.ts";
import type { Rfc2136Config } from "../../src/providers/rfc2136/schema.ts";
import {
  type DnsServer,
  dig,
  digAnswer,
  type Rfc2136World,
  type Rfc2136WorldOptions,
  serverAvailable,
  soaSerial,
  startBind,
  startDnsProxy,
  startRfc2136World,
  stopAllServers,
} from "../support/dns-servers.ts";
import { filesUnder, IP1, IP2, lines } from "../support/harness.ts";

const available = serverAvailable("bind");

const GRANTED = [
  "home",
  "new",
  "same",
  "flaky",
  "late",
  "down",
  "disc",
  "envkey",
  "canary",
  "www",
  "skew",
  "ok-skew",
  "hand",
  "handj",
];
/** An address someone added by hand next to the one homing published (IP2). */
const HAND = "192.0.2.7";
const BIG = Array.from({ length: 40 }, (_, i) => `big IN A 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);

let server: DnsServer;
const worlds: Rfc2136World[] = [];

beforeAll(async () => {
  if (!available) return;
  server = await startBind({
    keys: [
      { name: "homing-key" },
      { name: "md5-key", algorithm: "hmac-md5" },
      { name: "sha1-key", algorithm: "hmac-sha1" },
      { name: "sha512-key", algorithm: "hmac-sha512" },
    ],
    zones: [
      {
        name: "example.com",
        records: [
          `home 300 IN A ${IP2}`,
          `same 300 IN A ${IP1}`,
          "www IN CNAME home",
          ...BIG,
          ...["hand", "handj"].flatMap((name) => [`${name} 300 IN A ${IP2}`, `${name} 300 IN A ${HAND}`]),
        ],
        grants: [
          ...GRANTED.map((name) => ({ key: "homing-key", name: `${name}.example.com` })),
          { key: "homing-key", name: "v6.example.com" },
          { key: "md5-key", name: "md5.example.com" },
          { key: "sha1-key", name: "sha1.example.com" },
          { key: "sha512-key", name: "sha512.example.com" },
        ],
      },
      {
        name: "other.test",
        records: ["home IN A 81.2.69.1"],
        grants: [{ key: "homing-key", name: "home.other.test" }],
      },
    ],
  });
});

afterAll(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
  await stopAllServers();
});

async function world(options: Rfc2136WorldOptions): Promise<Rfc2136World> {
  const created = await startRfc2136World(server, options);
  worlds.push(created);
  return created;
}

describe.skipIf(!available)("BIND 9 through the CLI", () => {
  it("creates an absent record with ONE signed UPDATE and the configured TTL", async () => {
    const w = await world({ records: ["new.example.com"], ttl: 120 });

    const result = await w.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`new.example.com A created ${IP1} (ns)`]);
    expect(digAnswer(server, "new.example.com", "A")).toEqual([{ ttl: 120, value: IP1 }]);
    const updates = w.proxy.updates();
    expect(updates).toHaveLength(1);
    // Zone example.com; prerequisite "no A RRset"; delete RRset + add, in one message.
    expect(updates[0]).toMatchObject({
      name: "example.com",
      type: "SOA",
      prerequisites: 1,
      updates: 2,
      signed: true,
    });
    expect(w.proxy.log.every((entry) => entry.signed)).toBe(true);
  });

  it("changes a record: delete of the old RRset and add of the new in one UPDATE", async () => {
    const w = await world({ records: ["home.example.com"] });
    const serialBefore = await soaSerial(server.port, "example.com");

    const result = await w.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([`home.example.com A ${IP2} -> ${IP1} (ns)`]);
    expect(dig(server, "home.example.com", "A")).toEqual([IP1]);
    expect(w.proxy.updates()).toMatchObject([{ updates: 2, prerequisites: 1, signed: true, rcode: 0 }]);
    expect(await soaSerial(server.port, "example.com")).toBe((serialBefore as number) + 1);
    const state = JSON.parse(await readFile(w.statePath, "utf8"));
    expect(state.records["ns/home.example.com/A"]).toMatchObject({ published: IP1, lastResult: "updated" });
  });

  describe("an address added by hand to the A set homing replaces", () => {
    /** A world for `name`, whose state says homing published IP2 there (verified long ago). */
    async function handWorld(name: string): Promise<Rfc2136World> {
      const w = await world({ records: [name] });
      const state = emptyState();
      state.records[`ns/${name}/A`] = {
        provider: "ns",
        name,
        type: "A",
        published: IP2,
        verifiedAt: "2026-01-01T00:00:00.000Z",
        changedAt: "2026-01-01T00:00:00.000Z",
        lastRunAt: "2026-01-01T00:00:00.000Z",
        lastResult: "updated",
        lastError: null,
        failures: 0,
      };
      await mkdir(w.stateDir, { recursive: true });
      await writeFile(w.statePath, JSON.stringify(state));
      return w;
    }

    it("is named by the dry run and the change line, and a warning says why it went", async () => {
      const w = await handWorld("hand.example.com");

      const planned = await w.run("run", ["--dry-run"]);
      expect(planned.code).toBe(0);
      expect(lines(planned.stdout)).toEqual([
        `would change hand.example.com A ${IP2} -> ${IP1} (ns); would also remove ${HAND}`,
      ]);

      const result = await w.run("run");
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([
        `hand.example.com A ${IP2} -> ${IP1} (ns); also removed ${HAND}`,
      ]);
      expect(lines(result.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^warning: hand\\.example\\.com A \\(ns\\): also removed ${HAND.replaceAll(".", "\\.")}, which homing had not published \\(homing owns the whole A and AAAA set at each managed name with rfc2136`,
          ),
        ),
      ]);
      expect(dig(server, "hand.example.com", "A")).toEqual([IP1]);
    });

    it("--json lists every removed value", async () => {
      const w = await handWorld("handj.example.com");

      const result = await w.run("run", ["--json"]);

      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { records: Array<Record<string, unknown>> };
      expect(report.records).toEqual([
        expect.objectContaining({
          name: "handj.example.com",
          status: "updated",
          previous: IP2,
          address: IP1,
          removed: expect.arrayContaining([IP2, HAND]),
          warnings: [expect.stringContaining(`also removed ${HAND}`)],
        }),
      ]);
      expect(report.records[0]?.removed).toHaveLength(2);
      expect(dig(server, "handj.example.com", "A")).toEqual([IP1]);
    });
  });

  it("unchanged: reads with signed queries and sends no UPDATE, also with --force", async () => {
    const w = await world({ records: ["same.example.com"] });
    const serialBefore = await soaSerial(server.port, "example.com");

    const first = await w.run("run");
    const forced = await w.run("run", ["--force"]);

    expect([first.code, forced.code]).toEqual([0, 0]);
    expect(first.stdout + first.stderr + forced.stdout + forced.stderr).toBe("");
    expect(w.proxy.updates()).toEqual([]);
    // Two runs that listed: A, AAAA and CNAME queries, each signed; nothing else.
    expect(w.proxy.log.map((e) => `${e.opcode} ${e.type}`)).toEqual([
      "QUERY A",
      "QUERY AAAA",
      "QUERY CNAME",
      "QUERY A",
      "QUERY AAAA",
      "QUERY CNAME",
    ]);
    expect(await soaSerial(server.port, "example.com")).toBe(serialBefore);
  });

  it("homing check proves the key with a signed SOA query; homing records lists A and CNAME rows", async () => {
    const w = await world({ records: ["same.example.com", "www.example.com", "nothing.example.com"] });

    const check = await w.run("check");
    const records = await w.run("records");

    expect(check.code).toBe(0);
    expect(check.stderr).toBe("");
    expect(lines(check.stdout)[1]).toMatch(
      /^provider ns \(RFC 2136\): ok, zone example\.com answers with SOA serial \d+; the reply's TSIG signature verified with the key "homing-key" \(hmac-sha256\)/,
    );
    expect(records.code).toBe(0);
    expect(lines(records.stdout)).toEqual([
      `same.example.com A ${IP1} (ns)`,
      "www.example.com CNAME home.example.com. (ns, not managed by homing)",
      "nothing.example.com (ns): no records",
    ]);
    expect(w.proxy.updates()).toEqual([]);
  });

  it("a CNAME at the name blocks the record: nothing is sent", async () => {
    const w = await world({ records: ["www.example.com"] });

    const result = await w.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/www\.example\.com is a CNAME \(alias\) for "home\.example\.com\."/);
    expect(w.proxy.updates()).toEqual([]);
    expect(dig(server, "www.example.com", "CNAME")).toEqual(["home.example.com."]);
  });

  it("finds the zone with SOA queries when none is configured, with TCP only and the secret in the environment", async () => {
    const w = await world({ records: ["disc.example.com"], zone: null, transport: "tcp", keyStyle: "env" });

    const result = await w.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`disc.example.com A created ${IP1} (ns)`]);
    expect(dig(server, "disc.example.com", "A")).toEqual([IP1]);
    expect(w.proxy.log.every((e) => e.transport === "tcp" && e.signed)).toBe(true);
    expect(w.proxy.log.filter((e) => e.type === "SOA" && e.opcode === "QUERY").map((e) => e.name)).toEqual([
      "disc.example.com",
    ]);
    expect(w.proxy.updates()).toMatchObject([{ name: "example.com" }]);
  });

  describe("failures", () => {
    it("a wrong secret: exit 1, the key message, nothing changed", async () => {
      const w = await world({
        records: ["home.example.com"],
        secret: Buffer.alloc(32, 7).toString("base64"),
      });

      const result = await w.run("run");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `rejected the TSIG key "homing-key" (NOTAUTH/BADSIG): check the key name, algorithm (hmac-sha256) and secret (from file ${w.dir}/tsig.key) against the server's key`,
      );
      expect(result.stdout).toBe("");
      expect(w.proxy.updates()).toEqual([]);
      const check = await w.run("check");
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(
        /error: provider ns \(RFC 2136\): DNS server .* rejected the TSIG key "homing-key" \(NOTAUTH\/BADSIG\)/,
      );
    });

    it("an unknown key name: BADKEY", async () => {
      const w = await world({
        records: ["home.example.com"],
        keyName: "no-such-key",
        keyStyle: "secret_file",
      });

      const result = await w.run("run");

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /rejected the TSIG key "no-such-key" \(NOTAUTH\/BADKEY\): check the key name/,
      );
      expect(w.proxy.updates()).toEqual([]);
    });

    it("a name the update-policy does not grant: REFUSED, with the policy message", async () => {
      const w = await world({ records: ["denied.example.com"] });

      const result = await w.run("run");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `refused the update of denied.example.com A to ${IP1} (REFUSED): the server's update policy does not allow the key "homing-key" to change this name`,
      );
      expect(dig(server, "denied.example.com", "A")).toEqual([]);
    });

    it("a name outside the configured zone: NOTZONE", async () => {
      const w = await world({ records: ["home.other.test"], zone: "example.com" });

      const result = await w.run("run");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "says home.other.test is not inside zone example.com (NOTZONE): set providers.ns.zone to the zone that holds the name, or remove providers.ns.zone to let homing find it",
      );
      expect(dig(server, "home.other.test", "A")).toEqual(["81.2.69.1"]);
    });
  });

  describe("transient failures and recovery", () => {
    it("a lost UDP reply to the UPDATE: the retransmission meets its own result (YXRRSET), homing confirms it", async () => {
      const w = await world({ records: ["flaky.example.com"] });
      w.proxy.dropReplies(1, (entry) => entry.opcode === "UPDATE");

      const result = await w.run("run", ["-v"]);

      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([`flaky.example.com A created ${IP1} (ns)`]);
      const updates = w.proxy.updates();
      expect(updates).toHaveLength(2);
      expect(updates[0]?.dropped).toBe(true);
      expect(updates[1]?.id).toBe(updates[0]?.id);
      expect(updates[1]?.rcode).toBe(7); // YXRRSET: the prerequisite "no A RRset" no longer holds
      expect(dig(server, "flaky.example.com", "A")).toEqual([IP1]);
    });

    it("a server that is not up yet: the first attempt is refused, a retry in the same run succeeds", async () => {
      const w = await world({ records: ["late.example.com"] });
      await w.proxy.down();
      // Detection done (both echo sources asked) = the first query is being refused right now; the
      // server comes up 150 ms later, well before the retry (0.5-1 s after the first attempt).
      const upAfterDetection = (async () => {
        while (w.echoes.reduce((sum, e) => sum + e.hits, 0) < 2) await new Promise((ok) => setTimeout(ok, 5));
        await new Promise((ok) => setTimeout(ok, 150));
        await w.proxy.up();
      })();

      const result = await w.run("run", ["-vv"]);
      await upAfterDetection;

      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /debug: the A query for late\.example\.com failed: .*connection refused.*\(attempt 1 of 3\)/,
      );
      // Each DNS exchange at -vv: what was asked, over which transport, the answer and the time.
      expect(result.stderr).toMatch(
        /^debug: DNS server \S+: the update of .* over (UDP|TCP) answered NOERROR in \d+ ms$/m,
      );
      expect(lines(result.stdout)).toEqual([`late.example.com A created ${IP1} (ns)`]);
    });

    it("a server down for the whole run: exit 1, state says failed; the next run recovers", async () => {
      const w = await world({ records: ["down.example.com"] });
      await w.proxy.down();

      const failed = await w.run("run");

      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        /error: .*down\.example\.com.*the A query for down\.example\.com failed: DNS server 127\.0\.0\.1:\d+: connection refused \(is the server running\?\); homing retries on the next run/,
      );
      const state = JSON.parse(await readFile(w.statePath, "utf8"));
      expect(state.records["ns/down.example.com/A"]).toMatchObject({ lastResult: "failed", failures: 1 });

      await w.proxy.up();
      const recovered = await w.run("run");

      expect(recovered.code).toBe(0);
      expect(lines(recovered.stdout)).toEqual([`down.example.com A created ${IP1} (ns)`]);
      expect(dig(server, "down.example.com", "A")).toEqual([IP1]);
    });
  });

  it("the secret canary: the TSIG secret appears in no output, log level, JSON report or state file", async () => {
    const w = await world({ records: ["canary.example.com"], keyStyle: "secret_file" });
    const bad = await world({
      records: ["canary.example.com"],
      keyStyle: "env",
      secret: Buffer.from("CANARY-wrong-secret-0123456789ab").toString("base64"),
    });
    const transcripts = [
      await w.run("run", ["-vv", "--log-format", "json"]),
      await w.run("run", ["--json", "--force"]),
      await w.run("check", ["-vv"]),
      await w.run("records", ["--json"]),
      await w.run("status", ["--json"]),
      await bad.run("run", ["-vv"]),
      await bad.run("check", ["-vv"]),
      await bad.run("records", ["-vv", "--json"]),
    ];
    expect(transcripts[0]?.code).toBe(0);
    expect(transcripts[5]?.code).toBe(1);
    expect(transcripts[5]?.stderr).toMatch(/BADSIG/);
    expect((await filesUnder(w.stateDir)).map((f) => f.path)).toContain(w.statePath);
    expect((await filesUnder(bad.stateDir)).map((f) => f.path)).toContain(bad.statePath);
    for (const secret of [w.secret, bad.secret]) {
      const fragments = Array.from({ length: secret.length - 11 }, (_, i) => secret.slice(i, i + 12));
      const texts = [
        ...transcripts.flatMap((t) => [t.stdout, t.stderr]),
        ...(await filesUnder(w.stateDir)).map((f) => f.text),
        ...(await filesUnder(bad.stateDir)).map((f) => f.text),
      ];
      for (const text of texts) for (const fragment of fragments) expect(text).not.toContain(fragment);
    }
  });
});

describe.skipIf(!available)("BIND 9 at the provider level", () => {
  function provider(
    options: { key?: string; now?: () => number; zone?: string; server?: string } = {},
  ): Promise<Rfc2136Provider> {
    const keyName = options.key ?? "homing-key";
    const key = server.keys.get(keyName);
    if (!key) throw new Error(keyName);
    const config: Rfc2136Config = {
      type: "rfc2136",
      server: options.server ?? server.address,
      zone: options.zone ?? "example.com",
      key_file: key.file,
      ttl: 60,
      transport: "udp",
      timeout: "2s",
    };
    const context = {
      logger: memoryLogger(),
      sleep: async () => undefined,
      random: () => 0,
      secret: async () => new Secret("", "unused"),
    };
    return Rfc2136Provider.create("ns", config, context, options.now ? { now: options.now } : {});
  }
  const signal = () => AbortSignal.timeout(15_000);
  const now = () => Date.now() / 1000;

  it.each([
    ["400 s ahead", 400, /this machine's clock is (399|400|401) s ahead of the server's \(allowed: 300 s\)/],
    ["400 s behind", -400, /this machine's clock is (399|400|401) s behind the server's \(allowed: 300 s\)/],
  ])(
    "a signer clock %s gets BADTIME, and the offset is measured from the server's signed reply",
    async (_, skew, message) => {
      const skewed = await provider({ now: () => now() + skew });
      const change = { name: "skew.example.com", type: "A" as const, add: IP1, remove: [] };

      const error = await skewed.replace(change, { signal: signal() }).catch((e: unknown) => e);

      expect(error).toMatchObject({
        kind: "auth",
        code: "NOTAUTH/BADTIME",
        message: expect.stringMatching(message),
      });
      expect(dig(server, "skew.example.com", "A")).toEqual([]);
    },
  );

  it("a signer clock 240 s off is within the fudge and works", async () => {
    const skewed = await provider({ now: () => now() - 240 });
    await skewed.list(["ok-skew.example.com"], { signal: signal() });
    await skewed.replace(
      { name: "ok-skew.example.com", type: "A", add: IP1, remove: [] },
      { signal: signal() },
    );
    expect(dig(server, "ok-skew.example.com", "A")).toEqual([IP1]);
  });

  it.each([
    ["md5-key", "md5.example.com"],
    ["sha1-key", "sha1.example.com"],
    ["sha512-key", "sha512.example.com"],
  ])("updates with the old or long algorithms too (%s)", async (key, name) => {
    const p = await provider({ key });
    expect(await p.verifyAccess({ signal: signal() })).toMatch(/TSIG signature verified/);
    await p.list([name], { signal: signal() });
    await p.replace({ name, type: "A", add: IP1, remove: [] }, { signal: signal() });
    expect(digAnswer(server, name, "A")).toEqual([{ ttl: 60, value: IP1 }]);
  });

  it("changes an AAAA record and lists it back in canonical form", async () => {
    const p = await provider();
    await p.list(["v6.example.com"], { signal: signal() });
    await p.replace(
      { name: "v6.example.com", type: "AAAA", add: "2a00:1450:4001:81b::200e", remove: [] },
      { signal: signal() },
    );
    const rows = await p.list(["v6.example.com"], { signal: signal() });
    expect(rows).toEqual([
      { name: "v6.example.com", type: "AAAA", value: "2a00:1450:4001:81b::200e", owned: true, ttl: 60 },
    ]);
    expect(dig(server, "v6.example.com", "AAAA")).toEqual(["2a00:1450:4001:81b::200e"]);
  });

  it("reads a large RRset: the UDP reply is truncated and the query is repeated over TCP", async () => {
    const proxy = await startDnsProxy(server);
    try {
      const p = await provider({ server: proxy.address });
      const rows = await p.list(["big.example.com"], { signal: signal() });
      expect(rows.filter((r) => r.type === "A")).toHaveLength(40);
      expect(proxy.log.filter((e) => e.type === "A").map((e) => e.transport)).toEqual(["udp", "tcp"]);
    } finally {
      await proxy.close();
    }
  });

  it("the wrong secret is rejected on the UPDATE itself too (no query before it)", async () => {
    const key = server.keys.get("homing-key");
    const p = await Rfc2136Provider.create(
      "ns",
      {
        type: "rfc2136",
        server: server.address,
        zone: "example.com",
        key_name: "homing-key",
        key_secret: Buffer.alloc(32, 5).toString("base64"),
        ttl: 60,
        transport: "udp",
        timeout: "2s",
      },
      {
        logger: memoryLogger(),
        sleep: async () => undefined,
        random: () => 0,
        secret: async () => new Secret(Buffer.alloc(32, 5).toString("base64"), "test"),
      },
    );
    expect(key).toBeDefined();
    await expect(
      p.replace({ name: "home.example.com", type: "A", add: IP2, remove: [] }, { signal: signal() }),
    ).rejects.toMatchObject({ kind: "auth", code: "NOTAUTH/BADSIG" });
  });
});
