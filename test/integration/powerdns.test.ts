/**
 * The `powerdns` provider through the real CLI against a real PowerDNS Authoritative 4.7 (Debian's
 * pdns-server with the gsqlite3 backend), started once for this file on loopback
 * (test/support/pdns.ts). Each test gets a fresh zone zN.example.test on it; homing talks to the API
 * through a recording proxy (request log, fault injection), and the results are checked through
 * the API and with DNS queries to the server.
 *
 * PowerDNS has no rate limit, so instead of a throttle the tests cover what the API does refuse: a
 * 422 validation error (a CNAME created by someone else between homing's read and its PATCH), an
 * unknown zone (404), and a 429 from a proxy in front of the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  canaryKey,
  filesUnder,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP3,
  IP6_1,
  IP6_2,
  lines,
  type ProviderSpec,
  type RunResult,
} from "../support/harness.ts";
import {
  type PdnsServer,
  type PdnsWorld,
  type PdnsWorldOptions,
  PROVIDER_ID,
  pdnsMissing,
  startPdns,
  startPdnsWorld,
} from "../support/pdns.ts";

const missing = pdnsMissing();
if (missing) {
  // Loud locally; in CI (CI=true) a missing server is a failure, not a skip.
  console.warn(`SKIPPING the PowerDNS integration tests: ${missing}`);
}
const ipv6 = await hasIpv6Loopback();

const API = "/api/v1/servers/localhost";
const zonePath = (zone: string) => `${API}/zones/${zone}.`;

let server: PdnsServer;
const worlds: PdnsWorld[] = [];

async function world(options: PdnsWorldOptions = {}): Promise<PdnsWorld> {
  const created = await startPdnsWorld(server, options);
  worlds.push(created);
  return created;
}

/** The world's [providers.pdns] spec, to edit before writeConfig(). */
function provider(w: PdnsWorld): ProviderSpec {
  return w.spec.providers[PROVIDER_ID] as ProviderSpec;
}

/** Another client turns the name into a CNAME (drops its A first: PowerDNS allows no CNAME next to it). */
async function cnameAppears(w: PdnsWorld): Promise<void> {
  const deleted = await server.api("PATCH", `/zones/${w.zone}.`, {
    rrsets: [{ name: `${w.name}.`, type: "A", changetype: "DELETE" }],
  });
  if (deleted.status !== 204) throw new Error(`deleting the A: HTTP ${deleted.status} ${deleted.body}`);
  await server.setRRsets(w.zone, [{ name: "home", type: "CNAME", records: ["target.example.net."] }]);
}

if (missing && process.env.CI) {
  describe("powerdns", () => {
    it("needs pdns-server, pdns-backend-sqlite3 and sqlite3 installed in CI", () => {
      throw new Error(missing);
    });
  });
}

describe.skipIf(missing !== undefined)("powerdns provider against a real PowerDNS", () => {
  beforeAll(async () => {
    server = await startPdns();
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  }, 30_000);
  afterEach(async () => {
    if (!server.running()) await server.start();
    await Promise.all(worlds.splice(0).map((w) => w.close()));
  });

  it("talks to this run's server (a per-run marker answers over DNS)", async () => {
    const answer = await server.query("_run.example.test", "TXT");
    expect(answer).toMatchObject({ rcode: 0, aa: true, answers: [server.runMarker] });
  });

  describe("homing run", () => {
    it("creates the record with one atomic PATCH in the most specific zone, touching nothing else", async () => {
      const w = await world({
        rrsets: [
          { name: "home", type: "TXT", records: ['"keep me"'] },
          { name: "other", type: "A", records: [IP3] },
        ],
      });

      const result = await w.run("run");

      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([`${w.name} A created ${IP1} (pdns)`]);
      expect(result.stderr).toBe("");
      // Zone discovery: the name itself is no zone (404), its parent is; the grandparent
      // example.test (also a zone on this server) is never asked.
      expect(w.calls()).toEqual([
        `GET ${zonePath(w.name)}`,
        `GET ${zonePath(w.zone)}`,
        `PATCH ${zonePath(w.zone)}`,
      ]);
      const [patch] = w.mutations();
      expect(patch).toMatchObject({ apiKey: "***", contentType: "application/json", status: 204 });
      expect(patch?.body).toEqual({
        rrsets: [
          {
            name: `${w.name}.`,
            type: "A",
            ttl: 300,
            changetype: "REPLACE",
            records: [{ content: IP1, disabled: false }],
          },
        ],
      });
      expect(await server.rrsets(w.zone, "home")).toMatchObject([
        { type: "A", ttl: 300, records: [{ content: IP1, disabled: false }] },
        { type: "TXT", records: [{ content: '"keep me"' }] },
      ]);
      expect(await server.values(w.zone, "other", "A")).toEqual([IP3]);
      expect(await server.rrsets("example.test", `${w.name}.`)).toEqual([]);
      expect(await server.query(w.name, "A")).toMatchObject({ rcode: 0, aa: true, answers: [IP1] });
      const state = await w.state();
      expect(state.records[`pdns/${w.name}/A`]).toMatchObject({ published: IP1, lastResult: "updated" });
    });

    it("changes the address in place, keeps a disabled record and other types; then stays quiet", async () => {
      const w = await world({
        rrsets: [
          { name: "home", type: "A", records: [IP2, { content: "81.2.69.171", disabled: true }] },
          { name: "home", type: "AAAA", records: [IP6_2] },
          { name: "home", type: "TXT", records: ['"hello"'] },
        ],
      });

      const result = await w.run("run");

      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([`${w.name} A ${IP2} -> ${IP1} (pdns)`]);
      expect(result.stderr).toBe("");
      expect(w.mutations()).toHaveLength(1);
      expect(w.mutations()[0]?.body).toEqual({
        rrsets: [
          {
            name: `${w.name}.`,
            type: "A",
            ttl: 300,
            changetype: "REPLACE",
            records: [
              { content: IP1, disabled: false },
              { content: "81.2.69.171", disabled: true },
            ],
          },
        ],
      });
      expect(await server.rrsets(w.zone, "home")).toMatchObject([
        {
          type: "A",
          records: [
            { content: IP1, disabled: false },
            { content: "81.2.69.171", disabled: true },
          ],
        },
        { type: "AAAA", records: [{ content: IP6_2 }] },
        { type: "TXT", records: [{ content: '"hello"' }] },
      ]);
      expect((await server.query(w.name, "A")).answers).toEqual([IP1]);
      expect((await w.state()).history.at(-1)).toMatchObject({ name: w.name, type: "A", from: IP2, to: IP1 });

      // Unchanged: the next run answers from the state file, without a single API call.
      const before = w.calls().length;
      const again = await w.run("run");
      expect(again.code).toBe(0);
      expect(again.stdout + again.stderr).toBe("");
      expect(w.calls()).toHaveLength(before);

      // --force re-reads the zone and still sends no PATCH.
      const forced = await w.run("run", ["--force"]);
      expect(forced.code).toBe(0);
      expect(forced.stdout + forced.stderr).toBe("");
      expect(w.calls().slice(before)).toEqual([`GET ${zonePath(w.name)}`, `GET ${zonePath(w.zone)}`]);
      expect(w.mutations()).toHaveLength(1);
    });

    it("an address added by hand to the A RRset goes with the change, and the report names it", async () => {
      const w = await world({ rrsets: [{ name: "home", type: "A", records: [IP2, IP3] }] });

      const planned = await w.run("run", ["--dry-run"]);
      expect(planned.code).toBe(0);
      expect(lines(planned.stdout)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^would change ${w.name} A (${IP2}|${IP3}) -> ${IP1} \\(pdns\\); would also remove (${IP2}|${IP3})$`,
          ),
        ),
      ]);

      const result = await w.run("run", ["--json"]);

      expect(result.code).toBe(0);
      const [record] = (JSON.parse(result.stdout) as { records: Array<Record<string, unknown>> }).records;
      expect(record).toMatchObject({ status: "updated", address: IP1 });
      expect([...((record?.removed as string[] | undefined) ?? [])].sort()).toEqual([IP2, IP3].sort());
      const extra = record?.previous === IP2 ? IP3 : IP2;
      expect(lines(result.stderr)).toEqual([
        `warning: ${w.name} A (pdns): also removed ${extra}, which homing had not published (homing owns the enabled A and AAAA records at each managed name with powerdns and replaces the RRset in one PATCH; disabled records are kept)`,
      ]);
      expect((await server.query(w.name, "A")).answers).toEqual([IP1]);
    });

    it("with `zone` set reads that zone once, writes the ttl, and fails a name outside it alone", async () => {
      const w = await world({ providerRaw: "ttl = 60" });
      provider(w).extra = { zone: w.zone };
      w.spec.records = [
        { name: w.name, provider: PROVIDER_ID },
        { name: `www.${w.zone}`, provider: PROVIDER_ID },
        { name: "home.elsewhere.test", provider: PROVIDER_ID },
      ];
      await w.writeConfig();

      const result = await w.run("run");

      expect(result.code, result.stderr).toBe(1);
      expect(lines(result.stdout).sort()).toEqual(
        [`${w.name} A created ${IP1} (pdns)`, `www.${w.zone} A created ${IP1} (pdns)`].sort(),
      );
      expect(result.stderr).toMatch(
        new RegExp(
          `home\\.elsewhere\\.test is not inside zone "${w.zone.replace(/\./g, "\\.")}" \\(providers\\.pdns\\.zone\\)`,
        ),
      );
      expect(w.calls()).toEqual([
        `GET ${zonePath(w.zone)}`,
        `PATCH ${zonePath(w.zone)}`,
        `PATCH ${zonePath(w.zone)}`,
      ]);
      expect(
        w.mutations().map((m) => (m.body as { rrsets: Array<{ name: string; ttl: number }> }).rrsets[0]),
      ).toEqual([
        expect.objectContaining({ name: `${w.name}.`, ttl: 60 }),
        expect.objectContaining({ name: `www.${w.zone}.`, ttl: 60 }),
      ]);
      expect(await server.values(w.zone, "www", "A")).toEqual([IP1]);
      expect((await w.state()).records["pdns/home.elsewhere.test/A"]).toMatchObject({ lastResult: "failed" });
    });

    it.skipIf(!ipv6)(
      "handles A and AAAA with one PATCH each; PowerDNS's canonical AAAA text counts as equal",
      async () => {
        const w = await world({
          rrsets: [{ name: "home", type: "AAAA", records: ["2A00:1450:4001:081B:0:0:0:2001"] }],
          ipv6: [{ answer: IP6_1 }, { answer: IP6_1 }],
        });
        w.spec.records = [{ name: w.name, provider: PROVIDER_ID, ipv4: true, ipv6: true }];
        await w.writeConfig();

        const result = await w.run("run");

        expect(result.code).toBe(0);
        expect(result.stderr).toBe("");
        expect(lines(result.stdout).sort()).toEqual(
          [`${w.name} A created ${IP1} (pdns)`, `${w.name} AAAA ${IP6_2} -> ${IP6_1} (pdns)`].sort(),
        );
        expect(
          w.mutations().map((m) => (m.body as { rrsets: Array<{ type: string }> }).rrsets.map((r) => r.type)),
        ).toEqual(expect.arrayContaining([["A"], ["AAAA"]]));
        expect((await server.query(w.name, "AAAA")).answers).toEqual([IP6_1]);
        expect((await server.query(w.name, "A")).answers).toEqual([IP1]);
      },
    );

    it("leaves a CNAME at the name alone and fails only that record", async () => {
      const w = await world({ rrsets: [{ name: "www", type: "CNAME", records: ["target.example.net."] }] });
      w.spec.records = [
        { name: `www.${w.zone}`, provider: PROVIDER_ID },
        { name: w.name, provider: PROVIDER_ID },
      ];
      await w.writeConfig();

      const result = await w.run("run");

      expect(result.code, result.stderr).toBe(1);
      expect(lines(result.stdout)).toEqual([`${w.name} A created ${IP1} (pdns)`]);
      expect(result.stderr).toMatch(
        /www\.z\d+\.example\.test is a CNAME \(alias\) for "target\.example\.net\."/,
      );
      expect(w.mutations()).toHaveLength(1);
      expect(await server.values(w.zone, "www", "CNAME")).toEqual(["target.example.net."]);
      // Two names, one zone: the zone is read once (the other GETs are discovery 404s).
      expect(w.calls().filter((c) => c === `GET ${zonePath(w.zone)}`)).toHaveLength(1);
    });
  });

  describe("homing check and homing records", () => {
    it("check proves the key with one read of the server (an endpoint pasted with /api/v1 works too)", async () => {
      const w = await world();
      provider(w).endpoint = `${w.proxy.url}/api/v1/`;
      await w.writeConfig();

      const result = await w.run("check");

      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(lines(result.stdout)).toEqual([
        `config ${w.configPath}: valid (1 record(s))`,
        expect.stringMatching(
          /^provider pdns \(PowerDNS\): ok, the API key works: PowerDNS Authoritative \d+\.\d+\.\d+\S*, server "localhost"$/,
        ),
        "ok",
      ]);
      expect(w.calls()).toEqual([`GET ${API}`]);
    });

    it("check names a wrong server_id", async () => {
      const w = await world({ extra: { server_id: "nope" } });

      const result = await w.run("check");

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /PowerDNS has no server "nope" at http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\): set providers\.pdns\.server_id/,
      );
    });

    it("records lists every served row at the names, with no mutation", async () => {
      const w = await world({
        rrsets: [
          { name: "home", type: "A", records: [IP1, { content: IP2, disabled: true }] },
          { name: "home", type: "TXT", records: ['"hello"'] },
        ],
      });
      w.spec.records = [
        { name: w.name, provider: PROVIDER_ID },
        { name: `www.${w.zone}`, provider: PROVIDER_ID },
      ];
      await w.writeConfig();

      const result = await w.run("records");

      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(lines(result.stdout).sort()).toEqual(
        [
          `${w.name} A ${IP1} (pdns)`,
          `${w.name} TXT "hello" (pdns)`,
          `www.${w.zone} (pdns): no records`,
        ].sort(),
      );
      const json = JSON.parse((await w.run("records", ["--json"])).stdout) as {
        records: Array<Record<string, unknown>>;
        errors: string[];
      };
      expect(json.errors).toEqual([]);
      expect(json.records).toContainEqual({
        provider: "pdns",
        name: w.name,
        type: "A",
        value: IP1,
        owned: true,
        ttl: 60,
        source: "provider",
      });
      expect(w.mutations()).toEqual([]);
    });
  });

  describe("failures", () => {
    it("a wrong API key fails with HTTP 401 and the pdns.conf hint, after one request", async () => {
      const w = await world({ key: canaryKey() });

      const result = await w.run("run");
      const check = await w.run("check");

      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const message = new RegExp(
        `PowerDNS rejected the API key from file ${w.keyPath.replace(/[.]/g, "\\.")} \\(HTTP 401 "Unauthorized"\\): check api_key; the PowerDNS API key is \`api-key\` in pdns\\.conf`,
      );
      expect(result.stderr).toMatch(message);
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(message);
      expect(w.calls()).toEqual([`GET ${zonePath(w.name)}`, `GET ${API}`]);
      const state = await w.state();
      expect(state.records[`pdns/${w.name}/A`]).toMatchObject({ lastResult: "failed" });
      expect(state.providers.pdns?.backoffUntil ?? null).toBeNull();
      expect(await server.values(w.zone, "home", "A")).toEqual([]);
    });

    it("an unknown zone fails permanently, with no PATCH and no back-off", async () => {
      const w = await world();
      w.spec.records = [{ name: "home.nowhere.test", provider: PROVIDER_ID }];
      await w.writeConfig();

      const result = await w.run("run");

      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /no zone on PowerDNS server "localhost" holds home\.nowhere\.test \(HTTP 404 for home\.nowhere\.test, nowhere\.test, test\): create the zone/,
      );
      expect(w.calls()).toEqual([
        `GET ${zonePath("home.nowhere.test")}`,
        `GET ${zonePath("nowhere.test")}`,
        `GET ${zonePath("test")}`,
      ]);
      expect((await w.state()).providers.pdns?.backoffUntil ?? null).toBeNull();

      // A configured zone that does not exist says how to create it.
      w.spec.records = [{ name: "home.missing.test", provider: PROVIDER_ID }];
      provider(w).extra = { zone: "missing.test" };
      await w.writeConfig();
      const configured = await w.run("run");
      expect(configured.code).toBe(1);
      expect(configured.stderr).toMatch(
        /PowerDNS has no zone "missing\.test" on server "localhost" \(HTTP 404\): create it \(pdnsutil create-zone missing\.test\)/,
      );
      expect(w.mutations()).toEqual([]);
    });

    it("a 422 from PowerDNS (a CNAME appeared before the PATCH) fails with the server's words, not retried", async () => {
      const w = await world({ rrsets: [{ name: "home", type: "A", records: [IP2] }] });
      w.proxy.fault({ kind: "before", method: "PATCH", action: () => cnameAppears(w) });

      const result = await w.run("run");

      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        /PowerDNS refused replacing home\.z\d+\.example\.test A in zone z\d+\.example\.test \(HTTP 422: "RRset home\.z\d+\.example\.test\. IN A: Conflicts with pre-existing RRset"\): another record at the name \(usually a CNAME\) is in the way/,
      );
      expect(w.mutations()).toHaveLength(1);
      expect(w.mutations()[0]?.status).toBe(422);
      expect(await server.values(w.zone, "home", "CNAME")).toEqual(["target.example.net."]);
      expect(await server.values(w.zone, "home", "A")).toEqual([]);
      const state = await w.state();
      expect(state.records[`pdns/${w.name}/A`]).toMatchObject({ lastResult: "failed" });
      expect(state.providers.pdns?.backoffUntil ?? null).toBeNull();

      // The next run sees the CNAME and leaves it alone.
      const next = await w.run("run");
      expect(next.code, next.stderr).toBe(1);
      expect(next.stderr).toMatch(/is a CNAME \(alias\) for "target\.example\.net\."/);
      expect(w.mutations()).toHaveLength(1);
    });

    it("a 429 from a proxy in front of PowerDNS persists a back-off (PowerDNS itself has no rate limit)", async () => {
      const w = await world();
      w.proxy.fault({
        kind: "status",
        status: 429,
        method: "GET",
        headers: { "retry-after": "120" },
        body: "slow down",
      });

      const result = await w.run("run");

      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/is rate-limiting homing \(HTTP 429; PowerDNS itself has no rate limit/);
      const until = Date.parse((await w.state()).providers.pdns?.backoffUntil ?? "");
      expect(until - Date.now()).toBeGreaterThan(100_000);
      expect(until - Date.now()).toBeLessThan(125_000);

      const inside = await w.run("run");
      expect(inside.code).toBe(1);
      expect(inside.stderr).toMatch(/no changes are made until/);
      expect(w.mutations()).toEqual([]);
    });

    it("recovers inside one run from a 503 and from a PATCH whose answer was lost (REPLACE is idempotent)", async () => {
      const w = await world({ rrsets: [{ name: "home", type: "A", records: [IP2] }] });
      w.proxy.fault({ kind: "status", status: 503, method: "GET", body: "<html>upstream busy</html>" });
      w.proxy.fault({ kind: "drop-reply", method: "PATCH" });

      const result = await w.run("run", ["-vv"]);

      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([`${w.name} A ${IP2} -> ${IP1} (pdns)`]);
      expect(result.stderr).toMatch(/HTTP 503 \("<html>upstream busy<\/html>"\).*attempt 1 of 3/);
      expect(w.calls()).toEqual([
        `GET ${zonePath(w.name)}`,
        `GET ${zonePath(w.name)}`,
        `GET ${zonePath(w.zone)}`,
        `PATCH ${zonePath(w.zone)}`,
        `PATCH ${zonePath(w.zone)}`,
      ]);
      const [first, second] = w.mutations();
      expect(first?.via).toBe("drop-reply");
      expect(second?.body).toEqual(first?.body);
      expect(second?.status).toBe(204);
      expect(await server.values(w.zone, "home", "A")).toEqual([IP1]);
    });

    it("with the API down fails transiently (no back-off), and the next run after it is back succeeds", async () => {
      const w = await world({ direct: true });
      await server.stop();
      let down: RunResult;
      try {
        down = await w.run("run");
      } finally {
        await server.start();
      }

      expect(down.code).toBe(1);
      expect(down.stdout).toBe("");
      expect(down.stderr).toMatch(
        /PowerDNS looking for the zone of home\.z\d+\.example\.test failed: http:\/\/127\.0\.0\.1:\d+: connection refused \(is pdns_server running with api=yes and webserver=yes/,
      );
      const state = await w.state();
      expect(state.records[`pdns/${w.name}/A`]).toMatchObject({ lastResult: "failed", failures: 1 });
      expect(state.providers.pdns?.backoffUntil ?? null).toBeNull();

      const up = await w.run("run");
      expect(up.code).toBe(0);
      expect(lines(up.stdout)).toEqual([`${w.name} A created ${IP1} (pdns)`]);
      expect((await server.query(w.name, "A")).answers).toEqual([IP1]);
    });
  });

  describe("the API key never leaks", () => {
    function leaked(text: string, key: string): string | undefined {
      for (let i = 0; i + 8 <= key.length; i++)
        if (text.includes(key.slice(i, i + 8))) return key.slice(i, i + 8);
      return undefined;
    }

    async function expectNoLeak(
      w: PdnsWorld,
      key: string,
      results: Array<[string, RunResult]>,
    ): Promise<void> {
      expect(key).toMatch(/^CANARY[A-Z0-9]{10}$/);
      for (const [label, result] of results) {
        expect(leaked(result.stdout, key), `stdout of ${label}`).toBeUndefined();
        expect(leaked(result.stderr, key), `stderr of ${label}`).toBeUndefined();
      }
      const files = await filesUnder(w.stateDir);
      expect(files.map((f) => f.path)).toContain(w.statePath);
      for (const file of files) expect(leaked(file.text, key), file.path).toBeUndefined();
      for (const entry of w.proxy.log) {
        expect(leaked(entry.path, key), entry.path).toBeUndefined();
        expect(entry.apiKey).toBe("***");
      }
    }

    async function runAll(w: PdnsWorld, commands: string[][], env: Record<string, string> = {}) {
      const results: Array<[string, RunResult]> = [];
      for (const [command, ...args] of commands) {
        results.push([`${command} ${args.join(" ")}`, await w.run(command as string, args, { env })]);
      }
      return results;
    }

    it("through every command, in success and in failure, from a file and from the environment", async () => {
      const key = server.apiKey;
      const w = await world({ rrsets: [{ name: "home", type: "A", records: [IP2] }] });
      const ok = await runAll(w, [
        ["run", "-vv", "--log-format", "json"],
        ["run"],
        ["run", "--json", "--force", "-vv"],
        ["records"],
        ["records", "--json"],
        ["check", "-vv"],
        ["status"],
        ["status", "--json"],
      ]);
      expect(ok.map(([, r]) => r.code)).toEqual(ok.map(() => 0));
      expect(ok[0]?.[1].stderr).toMatch(/"level":"debug"/);

      // Failures whose text could carry the key: a 5xx page echoing it, a 422, a refused connection.
      w.proxy.fault({
        kind: "status",
        status: 500,
        method: "GET",
        times: 3,
        body: `<p>error for key ${key}</p>`,
      });
      const echoed = await w.run("run", ["--force", "-vv"]);
      expect(echoed.code).toBe(1);
      expect(echoed.stderr).toMatch(/\[redacted\]/);
      await server.setRRsets(w.zone, [{ name: "home", type: "A", records: [IP2] }]);
      w.proxy.fault({ kind: "before", method: "PATCH", action: () => cnameAppears(w) });
      const refused = await w.run("run", ["--force", "-vv", "--json", "--log-format", "json"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/HTTP 422/);

      // From the environment, and a wrong key from the environment.
      delete provider(w).apiKeyFile;
      await w.writeConfig();
      const fromEnv = await runAll(
        w,
        [
          ["check", "-vv"],
          ["records", "--json"],
        ],
        { HOMING_PROVIDERS_PDNS_API_KEY: key },
      );
      expect(fromEnv.map(([, r]) => r.code)).toEqual([0, 0]);
      const other = canaryKey();
      const wrong = await w.run("run", ["--force", "-vv"], { env: { HOMING_PROVIDERS_PDNS_API_KEY: other } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(
        /rejected the API key from environment variable HOMING_PROVIDERS_PDNS_API_KEY/,
      );

      const all: Array<[string, RunResult]> = [
        ...ok,
        ["run (500 echoing the key)", echoed],
        ["run (422)", refused],
        ...fromEnv,
        ["run (wrong key)", wrong],
      ];
      await expectNoLeak(w, key, all);
      await expectNoLeak(w, other, [["run (wrong key)", wrong]]);
    });
  });
});
