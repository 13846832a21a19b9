/**
 * The rfc2136 provider against a real Knot DNS (`knotd`), a second, independent RFC 2136 + TSIG
 * implementation, started on loopback on a free port in a fresh directory. The update policy is an
 * `acl` per name (action: update, update-owner: name). Knot answers an update its acl denies with
 * NOTAUTH/BADKEY (not REFUSED), which homing must report as a policy problem once the key has
 * proven itself on a signed query.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/core/secret.ts";
import { memoryLogger } from "../../src/platform/log.ts";
import { Rfc2136Provider } from "../../src/providers/rfc2136/provider.ts";
import {
  type DnsServer,
  dig,
  digAnswer,
  type Rfc2136World,
  type Rfc2136WorldOptions,
  serverAvailable,
  soaSerial,
  startKnot,
  startRfc2136World,
  stopAllServers,
} from "../support/dns-servers.ts";
import { IP1, IP2, lines } from "../support/harness.ts";

const available = serverAvailable("knot");

const GRANTED = ["home", "new", "same", "flaky", "disc", "skew", "md5"];

let server: DnsServer;
const worlds: Rfc2136World[] = [];

beforeAll(async () => {
  if (!available) return;
  server = await startKnot({
    keys: [{ name: "homing-key" }, { name: "md5-key", algorithm: "hmac-md5" }],
    zones: [
      {
        name: "example.com",
        records: [`home 300 IN A ${IP2}`, `same 300 IN A ${IP1}`, "www IN CNAME home"],
        grants: [
          ...GRANTED.map((name) => ({ key: "homing-key", name: `${name}.example.com` })),
          { key: "md5-key", name: "md5.example.com" },
        ],
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

describe.skipIf(!available)("Knot DNS through the CLI", () => {
  it("creates an absent record with ONE signed UPDATE and the configured TTL", async () => {
    const w = await world({ records: ["new.example.com"], ttl: 90 });

    const result = await w.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`new.example.com A created ${IP1} (ns)`]);
    expect(digAnswer(server, "new.example.com", "A")).toEqual([{ ttl: 90, value: IP1 }]);
    expect(w.proxy.updates()).toMatchObject([
      { name: "example.com", prerequisites: 1, updates: 2, signed: true, rcode: 0 },
    ]);
  });

  it("changes a record in one UPDATE (delete RRset + add) and bumps the serial once", async () => {
    const w = await world({ records: ["home.example.com"] });
    const serialBefore = await soaSerial(server.port, "example.com");

    const result = await w.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`home.example.com A ${IP2} -> ${IP1} (ns)`]);
    expect(dig(server, "home.example.com", "A")).toEqual([IP1]);
    expect(w.proxy.updates()).toHaveLength(1);
    expect(await soaSerial(server.port, "example.com")).toBe((serialBefore as number) + 1);
  });

  it("unchanged: no UPDATE, also with --force", async () => {
    const w = await world({ records: ["same.example.com"] });

    const first = await w.run("run");
    const forced = await w.run("run", ["--force"]);

    expect([first.code, forced.code]).toEqual([0, 0]);
    expect(first.stdout + first.stderr + forced.stdout + forced.stderr).toBe("");
    expect(w.proxy.updates()).toEqual([]);
    expect(w.proxy.log.length).toBe(6);
  });

  it("homing check and homing records", async () => {
    const w = await world({ records: ["same.example.com", "www.example.com"] });

    const check = await w.run("check");
    const records = await w.run("records");

    expect(check.code).toBe(0);
    expect(lines(check.stdout)[1]).toMatch(
      /^provider ns \(RFC 2136\): ok, zone example\.com answers with SOA serial \d+; the reply's TSIG signature verified with the key "homing-key" \(hmac-sha256\)/,
    );
    expect(lines(records.stdout)).toEqual([
      `same.example.com A ${IP1} (ns)`,
      "www.example.com CNAME home.example.com. (ns, not managed by homing)",
    ]);
  });

  it("finds the zone itself, over TCP only, with the secret from key_secret_file", async () => {
    const w = await world({
      records: ["disc.example.com"],
      zone: null,
      transport: "tcp",
      keyStyle: "secret_file",
    });

    const result = await w.run("run");

    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([`disc.example.com A created ${IP1} (ns)`]);
    expect(w.proxy.log.every((e) => e.transport === "tcp")).toBe(true);
    expect(dig(server, "disc.example.com", "A")).toEqual([IP1]);
  });

  it("a wrong secret: the key message, exit 1, nothing sent but the rejected query", async () => {
    const w = await world({ records: ["home.example.com"], secret: Buffer.alloc(32, 3).toString("base64") });

    const result = await w.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /rejected the TSIG key "homing-key" \(NOTAUTH\/BADSIG\): check the key name, algorithm \(hmac-sha256\) and secret/,
    );
    expect(w.proxy.updates()).toEqual([]);
  });

  it("a name its acl does not grant: Knot's NOTAUTH/BADKEY is reported as the update policy", async () => {
    const w = await world({ records: ["denied.example.com"] });

    const result = await w.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `rejected the update of denied.example.com A to ${IP1} (NOTAUTH/BADKEY), although it accepted the key "homing-key" for queries: the server's update policy does not allow this key to change denied.example.com`,
    );
    expect(dig(server, "denied.example.com", "A")).toEqual([]);
  });

  it("a lost UDP reply to the UPDATE: homing retransmits, sees the prerequisite fail and confirms the result", async () => {
    const w = await world({ records: ["flaky.example.com"] });
    w.proxy.dropReplies(1, (entry) => entry.opcode === "UPDATE");

    const result = await w.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`flaky.example.com A created ${IP1} (ns)`]);
    expect(w.proxy.updates().map((u) => u.dropped ?? false)).toEqual([true, false]);
    expect(dig(server, "flaky.example.com", "A")).toEqual([IP1]);
    const state = JSON.parse(await readFile(w.statePath, "utf8"));
    expect(state.records["ns/flaky.example.com/A"]).toMatchObject({ published: IP1, lastResult: "updated" });
  });
});

describe.skipIf(!available)("Knot DNS at the provider level", () => {
  function provider(key = "homing-key", now?: () => number): Promise<Rfc2136Provider> {
    const file = server.keys.get(key)?.file as string;
    return Rfc2136Provider.create(
      "ns",
      {
        type: "rfc2136",
        server: server.address,
        zone: "example.com",
        key_file: file,
        ttl: 60,
        transport: "udp",
        timeout: "2s",
      },
      {
        logger: memoryLogger(),
        sleep: async () => undefined,
        random: () => 0,
        secret: async () => new Secret("", "unused"),
      },
      now ? { now } : {},
    );
  }
  const signal = () => AbortSignal.timeout(15_000);

  it.each([
    ["ahead of", 500],
    ["behind", -500],
  ])(
    "a signer clock 500 s %s the server's gets a signed BADTIME with the offset",
    async (direction, skew) => {
      const skewed = await provider("homing-key", () => Date.now() / 1000 + skew);

      const error = await skewed
        .replace({ name: "skew.example.com", type: "A", add: IP1, remove: [] }, { signal: signal() })
        .catch((e: unknown) => e);

      expect(error).toMatchObject({
        kind: "auth",
        code: "NOTAUTH/BADTIME",
        message: expect.stringMatching(
          new RegExp(`clock is (499|500|501) s ${direction} the server's \\(allowed: 300 s\\)`),
        ),
      });
      expect(dig(server, "skew.example.com", "A")).toEqual([]);
    },
  );

  it("updates with an hmac-md5 key", async () => {
    const p = await provider("md5-key");
    await p.list(["md5.example.com"], { signal: signal() });
    await p.replace({ name: "md5.example.com", type: "A", add: IP1, remove: [] }, { signal: signal() });
    expect(dig(server, "md5.example.com", "A")).toEqual([IP1]);
  });
});
