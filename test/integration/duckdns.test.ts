/**
 * `homing` against the DuckDNS emulator: create, change, unchanged (no request, even with --force),
 * stale DNS, IPv4+IPv6 in one request, KO, a 429 back-off, transient failures with recovery,
 * names outside duckdns.org, `check`, `records`, and the token canary.
 */
import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type DuckDnsEmulator, startDuckDnsEmulator } from "../emulators/duckdns.ts";
import {
  filesUnder,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP3,
  IP6_1,
  IP6_2,
  lines,
  type TestHooks,
} from "../support/harness.ts";
import {
  canarySecret,
  leakedFragment,
  startUpdateUrlWorld,
  type UpdateUrlWorld,
} from "../support/update-url-world.ts";

const ipv6 = await hasIpv6Loopback();
const NAME = "home.duckdns.org";

interface Setup {
  records?: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  ipv6?: string;
  configuredToken?: string;
  serviceRecords?: Record<string, { ipv4?: string; ipv6?: string }>;
}

async function setup(
  hooks: TestHooks,
  options: Setup = {},
): Promise<{ world: UpdateUrlWorld; emu: DuckDnsEmulator; token: string }> {
  const token = canarySecret();
  const emu = await startDuckDnsEmulator({
    accounts: { [token]: ["home", "cabin"] },
    ...(options.serviceRecords ? { records: options.serviceRecords } : {}),
  });
  hooks.onTestFinished(() => emu.close());
  const world = await startUpdateUrlWorld(
    {
      providerId: "duck",
      type: "duckdns",
      provider: ({ secretPath, resolver }) => ({
        endpoint: emu.url,
        token_file: secretPath,
        resolver,
        timeout: "5s",
      }),
      secret: options.configuredToken ?? token,
      records: options.records ?? [{ name: NAME }],
      ...(options.ipv6 ? { ipv6: options.ipv6 } : {}),
      lookup: (name, type) => emu.lookup(name, type),
    },
    hooks,
  );
  return { world, emu, token };
}

describe("duckdns: updates guarded by the state file", () => {
  it("creates the address with one GET carrying the subdomain, the address and verbose=true", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });

    const result = await world.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (duck)`]);
    expect(emu.requests).toHaveLength(1);
    expect(emu.requests[0]).toMatchObject({
      method: "GET",
      params: { domains: "home", token: "***", ip: IP1, verbose: "true" },
      reply: `OK\n${IP1}\n\nUPDATED`,
    });
    expect(emu.requests[0]?.params.ipv6).toBeUndefined();
    expect(emu.records().home).toEqual({ ipv4: IP1 });
  });

  it("sends nothing for an unchanged address, with --force either", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);

    const again = await world.run("run");
    const forced = await world.run("run", ["--force", "-v"]);

    expect(again.stdout + again.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe("");
    expect(forced.stderr).toMatch(/--force does not resend unchanged addresses to DuckDNS \(duck\)/);
    expect(emu.requests).toHaveLength(1);
  });

  it("sends nothing when there is no state but DNS already answers the address", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { serviceRecords: { home: { ipv4: IP1 } } });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toBe("");
    expect(emu.requests).toEqual([]);
  });

  it("sends the new address when it changes, and keeps quiet about stale DNS", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);
    world.setIpv4(IP2);

    const changed = await world.run("run");
    world.dns.override(NAME, "A", [IP3]);
    const stale = await world.run("run", ["--force", "-v"]);

    expect(changed.code).toBe(0);
    expect(lines(changed.stdout)).toEqual([`${NAME} A ${IP1} -> ${IP2} (duck)`]);
    expect(stale.code).toBe(0);
    expect(stale.stderr).toMatch(/DNS caches lag, so homing does not re-send it/);
    expect(emu.requests.map((r) => r.params.ip)).toEqual([IP1, IP2]);
  });

  it("refuses names outside duckdns.org without a request", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished }, { records: [{ name: "home.example.com" }] });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /DuckDNS only updates names like <subdomain>\.duckdns\.org, not home\.example\.com/,
    );
    expect(emu.requests).toEqual([]);
  });

  it("two names with the same address share one request (domains=home,cabin)", async ({ onTestFinished }) => {
    const { world, emu } = await setup(
      { onTestFinished },
      { records: [{ name: NAME }, { name: "cabin.duckdns.org" }] },
    );

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.requests.map((r) => r.params.domains)).toEqual(["home,cabin"]);
    expect(emu.records()).toEqual({ home: { ipv4: IP1 }, cabin: { ipv4: IP1 } });
  });
});

describe("duckdns: failures", () => {
  it("KO (wrong token) fails the record with what to check; it is not a halt, so the next run asks again", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { configuredToken: canarySecret() });

    const first = await world.run("run");
    const second = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /DuckDNS refused the update of home \(KO\): the token from file .*secret is wrong, or the subdomain is not in that account/,
    );
    expect(second.code).toBe(1);
    expect(emu.requests.map((r) => r.reply)).toEqual(["KO", "KO"]);
    expect((await world.state()).providers.duck?.halted).toBeUndefined();
  });

  it("a 429 (from a proxy in front of DuckDNS) persists a back-off from Retry-After", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "http", status: 429, body: "slow down", headers: { "retry-after": "600" } });

    const first = await world.run("run");
    const second = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /DuckDNS is rate-limiting updates \(HTTP 429 \("slow down"\)\); homing sends nothing to it for 10m/,
    );
    const until = Date.parse((await world.state()).providers.duck.backoffUntil);
    expect(until).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/no changes are made until/);
    expect(emu.requests).toHaveLength(1);
  });

  it("connection resets are retried in the run; when they persist, the next run recovers", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "reset", times: 3 });

    const failed = await world.run("run");
    const recovered = await world.run("run");

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /DuckDNS update of home failed: .*connection reset.*; homing tries again on the next run/,
    );
    expect(recovered.code).toBe(0);
    expect(lines(recovered.stdout)).toEqual([`${NAME} A created ${IP1} (duck)`]);
    expect(emu.requests.map((r) => r.reply)).toEqual(["reset", "reset", "reset", `OK\n${IP1}\n\nUPDATED`]);
  });

  it("a KO for several subdomains: each is asked alone, so only the one not in the account fails and halts", async ({
    onTestFinished,
  }) => {
    const stray = "stray.duckdns.org";
    const { world, emu } = await setup(
      { onTestFinished },
      { records: [{ name: NAME }, { name: stray }, { name: "cabin.duckdns.org" }] },
    );

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(lines(first.stdout)).toEqual([
      `${NAME} A created ${IP1} (duck)`,
      `cabin.duckdns.org A created ${IP1} (duck)`,
    ]);
    expect(emu.requests.map((r) => [r.params.domains, r.reply.split("\n")[0]])).toEqual([
      ["home,stray,cabin", "KO"],
      ["home", "OK"],
      ["stray", "KO"],
      ["cabin", "OK"],
    ]);
    const errors = first.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^error: stray\.duckdns\.org A \(duck\): DuckDNS refused stray\.duckdns\.org \(KO\) while the same token updated the other names/,
    );

    // The halted name is not asked again; the others are not held back by it.
    world.setIpv4(IP2);
    const second = await world.run("run");

    expect(lines(second.stdout)).toEqual([
      `${NAME} A ${IP1} -> ${IP2} (duck)`,
      `cabin.duckdns.org A ${IP1} -> ${IP2} (duck)`,
    ]);
    expect(emu.requests.slice(4).map((r) => r.params.domains)).toEqual(["home,cabin"]);
  });

  it("garbage in place of OK/KO is transient and retried", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "garbage" });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.requests).toHaveLength(2);
  });
});

describe.skipIf(!ipv6)("duckdns: IPv4 and IPv6", () => {
  it("sends both in one request; an IPv6 change repeats the IPv4", async ({ onTestFinished }) => {
    const { world, emu } = await setup(
      { onTestFinished },
      { records: [{ name: NAME, ipv6: true }], ipv6: IP6_1 },
    );

    expect((await world.run("run")).code).toBe(0);
    world.setIpv6(IP6_2);
    const second = await world.run("run");

    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([`${NAME} AAAA ${IP6_1} -> ${IP6_2} (duck)`]);
    expect(emu.requests.map((r) => [r.params.ip, r.params.ipv6])).toEqual([
      [IP1, IP6_1],
      [IP1, IP6_2],
    ]);
    expect(emu.records().home).toEqual({ ipv4: IP1, ipv6: IP6_2 });
  });

  it("an AAAA-only record sends ipv6= alone, so DuckDNS does not fill in an IPv4 from the connection", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup(
      { onTestFinished },
      { records: [{ name: NAME, ipv4: false, ipv6: true }], ipv6: IP6_1 },
    );

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.requests[0]?.params).toMatchObject({ domains: "home", ipv6: IP6_1 });
    expect(emu.requests[0]?.params.ip).toBeUndefined();
    expect(emu.records().home).toEqual({ ipv6: IP6_1 });
  });
});

describe("duckdns: check, records and the token canary", () => {
  it("check sends nothing; records shows the DNS answer", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished }, { serviceRecords: { home: { ipv4: IP2 } } });

    const check = await world.run("check");
    const records = await world.run("records");

    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(
      /provider duck \(DuckDNS\): ok, token from file .*secret; .*no update was sent/,
    );
    expect(records.code).toBe(0);
    expect(lines(records.stdout)).toEqual([`${NAME} A ${IP2} (duck, DNS answer)`]);
    expect(emu.requests).toEqual([]);
  });

  it("the token never leaks, in success, KO, or an error page that echoes it", async ({ onTestFinished }) => {
    const { world, emu, token } = await setup({ onTestFinished });
    const transcripts = [];
    transcripts.push(await world.run("run", ["-vv"]));
    transcripts.push(await world.run("run", ["--json", "--force", "-vv", "--log-format", "json"]));
    transcripts.push(await world.run("check", ["-vv"]));
    transcripts.push(await world.run("records", ["--json"]));
    emu.addFault({ kind: "http", status: 500, body: `bad request /update?token=${token}`, times: 3 });
    world.setIpv4(IP2);
    transcripts.push(await world.run("run", ["-vv"]));
    transcripts.push(await world.run("status", ["--json"]));
    // A token DuckDNS does not know: KO, at debug level and in JSON.
    const rejected = canarySecret();
    await writeFile(world.secretPath, `${rejected}\n`, { mode: 0o600 });
    transcripts.push(await world.run("run", ["-vv", "--json", "--log-format", "json"]));

    expect(transcripts.map((t) => t.code)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(transcripts[4]?.stderr).toMatch(/\[redacted\]/);
    expect(transcripts[6]?.stderr).toMatch(/\(KO\)/);
    for (const secret of [token, rejected]) {
      for (const transcript of transcripts) {
        expect(leakedFragment(transcript.stdout, secret)).toBeUndefined();
        expect(leakedFragment(transcript.stderr, secret)).toBeUndefined();
      }
      for (const file of await filesUnder(world.stateDir)) {
        expect(leakedFragment(file.text, secret), file.path).toBeUndefined();
      }
    }
  });
});
