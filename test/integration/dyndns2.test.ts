/**
 * `homing` against the dyndns2 emulator (presets No-IP, Dyn, Dynu, OVH): create, change, the
 * state guard (no request for an unchanged address, even with --force or stale DNS), halts that
 * last until the config changes (badauth, abuse, nohost), 911 back-off, transient failures with
 * recovery, combined IPv4+IPv6 updates, `check`, `records`, and the password canary.
 */
import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type Dyndns2Behaviour, type Dyndns2Emulator, startDyndns2Emulator } from "../emulators/dyndns2.ts";
import {
  filesUnder,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP3,
  IP6_1,
  IP6_2,
  lines,
  NAME,
  type TestHooks,
} from "../support/harness.ts";
import {
  canarySecret,
  leakedFragment,
  startUpdateUrlWorld,
  type UpdateUrlWorld,
} from "../support/update-url-world.ts";

const ipv6 = await hasIpv6Loopback();
const USER = "homing-user";

interface Setup {
  preset?: string;
  behaviour?: Partial<Dyndns2Behaviour>;
  hosts?: string[];
  serviceRecords?: Record<string, { ipv4?: string; ipv6?: string }>;
  records?: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  ipv4?: string;
  ipv6?: string;
  /** The password homing is given (default: the account's). */
  configuredPassword?: string;
}

async function setup(
  hooks: TestHooks,
  options: Setup = {},
): Promise<{ world: UpdateUrlWorld; emu: Dyndns2Emulator; password: string }> {
  const password = canarySecret();
  const preset = options.preset ?? "noip";
  const emu = await startDyndns2Emulator({
    behaviour: { preset, ...options.behaviour },
    accounts: [{ username: USER, password, hosts: options.hosts ?? [NAME] }],
    ...(options.serviceRecords ? { records: options.serviceRecords } : {}),
  });
  hooks.onTestFinished(() => emu.close());
  const world = await startUpdateUrlWorld(
    {
      providerId: preset,
      type: "dyndns2",
      provider: ({ secretPath, resolver }) => ({
        preset,
        server: emu.url,
        username: USER,
        password_file: secretPath,
        resolver,
        timeout: "5s",
      }),
      secret: options.configuredPassword ?? password,
      records: options.records ?? [{ name: NAME }],
      ...(options.ipv4 ? { ipv4: options.ipv4 } : {}),
      ...(options.ipv6 ? { ipv6: options.ipv6 } : {}),
      lookup: (name, type) => emu.lookup(name, type),
    },
    hooks,
  );
  return { world, emu, password };
}

describe("dyndns2: updates guarded by the state file", () => {
  it("creates the address with one authenticated GET, a homing User-Agent, and no password in the URL", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });

    const result = await world.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (noip)`]);
    expect(emu.requests).toHaveLength(1);
    expect(emu.requests[0]).toMatchObject({
      method: "GET",
      path: "/nic/update",
      params: { hostname: NAME, myip: IP1 },
      username: USER,
      authorization: "***",
      reply: `good ${IP1}\n`,
    });
    expect(emu.requests[0]?.userAgent).toMatch(/^homing\/\S+ \(dynamic DNS client; /);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP1 });
    const state = await world.state();
    expect(state.records[`noip/${NAME}/A`]).toMatchObject({ published: IP1, lastResult: "updated" });
  });

  it("never sends an unchanged address: not on the next run, not with --force (it says so at info level)", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);

    const again = await world.run("run");
    const forced = await world.run("run", ["--force", "-v"]);

    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe("");
    expect(forced.stderr).toMatch(/--force does not resend unchanged addresses to No-IP \(noip\)/);
    // The record's decision at -v (the unlisted path): what DNS and the state said, why nothing went.
    expect(lines(forced.stderr)).toContainEqual(
      expect.stringMatching(
        /^home\.example\.com A \(noip\): not answered from the cache: --force asks the provider; DNS answers 81\.2\.69\.142; the service last accepted 81\.2\.69\.142 (just now|\d+s ago); matches the detected address; nothing to change; not sent \(No-IP counts repeated no-change updates as abuse, even with --force\)$/,
      ),
    );
    expect(emu.requests).toHaveLength(1);
    // --force skipped the cache, so the guard looked the name up in DNS.
    expect(world.dns.queries.some((q) => q.name === NAME && q.type === "A")).toBe(true);
  });

  it("sends nothing when there is no state but DNS already answers the address", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { serviceRecords: { [NAME]: { ipv4: IP1 } } });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toBe("");
    expect(emu.requests).toEqual([]);
    const state = await world.state();
    expect(state.records[`noip/${NAME}/A`]).toMatchObject({ published: IP1, lastResult: "unchanged" });
  });

  it("sends the new address when it changes", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);
    world.setIpv4(IP2);

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP1} -> ${IP2} (noip)`]);
    expect(emu.requests.map((r) => r.params.myip)).toEqual([IP1, IP2]);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP2 });
  });

  it("trusts the state over stale DNS: no resend inside a day, one forced refresh after it", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);
    world.dns.override(NAME, "A", [IP3]);

    const lagging = await world.run("run", ["--force", "-v"]);

    expect(lagging.code).toBe(0);
    expect(lagging.stdout).toBe("");
    expect(lagging.stderr).toMatch(
      /DNS answers 81\.2\.69\.170, but the service accepted 81\.2\.69\.142 .*DNS caches lag/,
    );
    expect(emu.requests).toHaveLength(1);

    // A day later DNS still disagrees: one refresh goes out; the service already had it (nochg).
    await world.editState((state) => {
      state.records[`noip/${NAME}/A`].verifiedAt = new Date(Date.now() - 25 * 3_600_000).toISOString();
    });
    const refresh = await world.run("run", ["-v"]);

    expect(refresh.code).toBe(0);
    expect(refresh.stderr).toMatch(/re-sending it once \(forced refresh\)/);
    expect(lines(refresh.stderr)).toContainEqual(
      expect.stringMatching(
        /^home\.example\.com A \(noip\): not answered from the cache: last verified 25h ago, recheck is every 60m; DNS answers 81\.2\.69\.170; the service last accepted 81\.2\.69\.142 25h ago; the service accepted .* re-sending it once \(forced refresh\); planned change 81\.2\.69\.170 -> 81\.2\.69\.142; No-IP said the address was already set$/,
      ),
    );
    expect(emu.requests).toHaveLength(2);
    expect(emu.requests[1]?.reply).toBe(`nochg ${IP1}\n`);
    const state = await world.state();
    expect(state.records[`noip/${NAME}/A`]).toMatchObject({ published: IP1, lastResult: "unchanged" });
    expect(Date.parse(state.records[`noip/${NAME}/A`].verifiedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("retries a transient failure inside the run (one 500, then good)", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "http", status: 500, body: "Internal Server Error" });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (noip)`]);
    expect(emu.requests.map((r) => r.reply)).toEqual(["Internal Server Error", `good ${IP1}\n`]);
  });

  it("fails the run when the service keeps failing, and recovers on the next run", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "http", status: 503, body: "maintenance", times: 3 });

    const failed = await world.run("run");

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /No-IP update failed: HTTP 503 \("maintenance"\); homing tries again on the next run/,
    );
    expect(emu.requests).toHaveLength(3);
    const state = await world.state();
    expect(state.providers.noip?.halted).toBeUndefined();

    const recovered = await world.run("run");

    expect(recovered.code).toBe(0);
    expect(lines(recovered.stdout)).toEqual([`${NAME} A created ${IP1} (noip)`]);
    expect(emu.requests).toHaveLength(4);
  });

  it("dnserr fails the record without a halt; the next run tries again", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "code", code: "dnserr" });

    const failed = await world.run("run");
    const next = await world.run("run");

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/DNS error on its side .*\(dnserr\)/);
    expect(next.code).toBe(0);
    expect(emu.requests).toHaveLength(2);
  });
});

describe("dyndns2: refusals that stop homing", () => {
  it("badauth halts the provider: persisted, nothing sent on the next run, retried once the config changes", async ({
    onTestFinished,
  }) => {
    const wrong = canarySecret();
    const { world, emu, password } = await setup({ onTestFinished }, { configuredPassword: wrong });

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /No-IP rejected the username "homing-user" and the password from file .*secret \(badauth\): create a DDNS key/,
    );
    expect(first.stderr).toMatch(/homing sends nothing more to noip until its config changes/);
    expect(emu.requests).toHaveLength(1);
    const state = await world.state();
    expect(state.providers.noip.halted).toMatchObject({ reason: expect.stringMatching(/badauth/) });
    expect(state.providers.noip.halted.fingerprint).toMatch(/^[0-9a-f]{16}$/);

    const second = await world.run("run");
    const status = await world.run("status");

    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /\(badauth\).*no request was sent: fix the config; homing retries once it changes/,
    );
    expect(emu.requests).toHaveLength(1);
    expect(status.stdout + status.stderr).toMatch(/provider noip: halted since .*badauth/);

    // The user fixes the password file: the fingerprint changes, homing tries again.
    await writeFile(world.secretPath, `${password}\n`, { mode: 0o600 });
    const fixed = await world.run("run");

    expect(fixed.code).toBe(0);
    expect(lines(fixed.stdout)).toEqual([`${NAME} A created ${IP1} (noip)`]);
    expect(emu.requests).toHaveLength(2);
    expect((await world.state()).providers.noip.halted).toBeUndefined();
  });

  it("abuse (after repeated no-change updates) halts until the config changes", async ({
    onTestFinished,
  }) => {
    // The service already has the address, DNS does not show it yet, and this host is one nochg
    // away from a block: the one update homing sends (no state) earns "abuse".
    const { world, emu } = await setup(
      { onTestFinished },
      { behaviour: { abuseAfterNochg: 0 }, serviceRecords: { [NAME]: { ipv4: IP1 } } },
    );
    world.dns.override(NAME, "A", []);

    const first = await world.run("run");
    const second = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /No-IP has blocked home\.example\.com for abuse \(abuse: too many updates\)/,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/no request was sent: fix the config; homing retries once it changes/);
    expect(emu.requests.map((r) => r.reply)).toEqual(["abuse\n"]);

    // The user unblocks the host at the service and touches the config; meanwhile the address moved.
    emu.unblock(NAME);
    world.provider.timeout = "6s";
    await world.writeConfig();
    world.setIpv4(IP2);
    const after = await world.run("run");

    expect(after.code).toBe(0);
    expect(lines(after.stdout)).toEqual([`${NAME} A created ${IP2} (noip)`]);
    expect(emu.requests.map((r) => r.reply)).toEqual(["abuse\n", `good ${IP2}\n`]);
  });

  it("nohost for one of three hostnames in one request: only that name halts, named; fixing its record lifts it", async ({
    onTestFinished,
  }) => {
    const typo = "tpyo.example.com";
    const fixed = "typo.example.com";
    const third = "third.example.com";
    const records = [{ name: NAME }, { name: typo }, { name: third }];
    const { world, emu } = await setup({ onTestFinished }, { hosts: [NAME, third, fixed], records });

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(lines(first.stdout)).toEqual([
      `${NAME} A created ${IP1} (noip)`,
      `${third} A created ${IP1} (noip)`,
    ]);
    expect(emu.requests).toHaveLength(1);
    expect(emu.requests[0]?.params.hostname).toBe(`${NAME},${typo},${third}`);
    expect(emu.requests[0]?.reply).toBe(`good ${IP1}\nnohost\ngood ${IP1}\n`);
    // The one error line is about the mistyped name, and blames no other.
    const errors = first.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(`^error: ${typo} A \\(noip\\): .*${typo} does not exist in this account \\(nohost\\)`),
    );
    expect(errors[0]).not.toContain(NAME);
    const state = await world.state();
    expect(state.providers.noip.halted).toBeUndefined();
    expect(state.providers.noip.haltedNames[typo].reason).toMatch(/nohost/);

    // The address changes: the good names are updated, nothing is sent for the halted one.
    world.setIpv4(IP2);
    const second = await world.run("run");

    expect(second.code).toBe(1);
    expect(lines(second.stdout)).toEqual([
      `${NAME} A ${IP1} -> ${IP2} (noip)`,
      `${third} A ${IP1} -> ${IP2} (noip)`,
    ]);
    expect(second.stderr).toContain(`nothing was sent for ${typo}`);
    expect(emu.requests).toHaveLength(2);
    expect(emu.requests[1]?.params.hostname).toBe(`${NAME},${third}`);

    // The user fixes the mistyped [[records]].name: the fixed name is tried at once.
    (records[1] as { name: string }).name = fixed;
    await world.writeConfig();
    const third3 = await world.run("run");

    expect(third3.stderr).toBe("");
    expect(third3.code).toBe(0);
    expect(lines(third3.stdout)).toEqual([`${fixed} A created ${IP2} (noip)`]);
    expect(emu.requests[2]?.params.hostname).toBe(fixed);
    expect((await world.state()).providers.noip.haltedNames ?? {}).toEqual({});
  });

  it("a halted name lifts when its record's config changes, even with the same name", async ({
    onTestFinished,
  }) => {
    const typo = "tpyo.example.com";
    const records: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }> = [{ name: NAME }, { name: typo }];
    const { world, emu } = await setup({ onTestFinished }, { records });

    expect((await world.run("run")).code).toBe(1);
    expect((await world.run("run")).code).toBe(1);
    expect(emu.requests).toHaveLength(1);

    // Any edit of that record (here: spelled with a trailing dot and upper case) is a new attempt.
    (records[1] as { name: string }).name = "TPYO.example.com.";
    await world.writeConfig();
    const retried = await world.run("run");

    expect(retried.code).toBe(1);
    expect(emu.requests).toHaveLength(2);
    expect(emu.requests[1]?.params.hostname).toBe(typo);
  });

  it("a server that answers one line for several hostnames: homing asks per hostname and halts only the refused one", async ({
    onTestFinished,
  }) => {
    const typo = "tpyo.example.com";
    const { world, emu } = await setup(
      { onTestFinished },
      { behaviour: { singleAnswer: true }, records: [{ name: NAME }, { name: typo }] },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (noip)`]);
    expect(emu.requests.map((r) => [r.params.hostname, r.reply])).toEqual([
      [`${NAME},${typo}`, "nohost\n"],
      [NAME, `nochg ${IP1}\n`],
      [typo, "nohost\n"],
    ]);
    const state = await world.state();
    expect(Object.keys(state.providers.noip.haltedNames)).toEqual([typo]);
    expect(state.providers.noip.halted).toBeUndefined();
  });

  it("911 backs off for 30 minutes: the next run sends nothing", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished });
    emu.addFault({ kind: "code", code: "911" });

    const first = await world.run("run");
    const second = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /reported a server problem or maintenance \(911\); homing sends nothing to it for 30m/,
    );
    const state = await world.state();
    const until = Date.parse(state.providers.noip.backoffUntil);
    expect(until).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(until).toBeLessThan(Date.now() + 31 * 60_000);
    expect(state.providers.noip.halted).toBeUndefined();
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/no changes are made until/);
    expect(emu.requests).toHaveLength(1);
  });
});

describe.skipIf(!ipv6)("dyndns2: IPv4 and IPv6", () => {
  const both = [{ name: NAME, ipv4: true, ipv6: true }];

  it("No-IP: both families in one request (myip=v4,v6); an IPv6 change repeats the unchanged IPv4", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { records: both, ipv6: IP6_1 });

    const first = await world.run("run");

    expect(first.code).toBe(0);
    expect(lines(first.stdout).sort()).toEqual(
      [`${NAME} A created ${IP1} (noip)`, `${NAME} AAAA created ${IP6_1} (noip)`].sort(),
    );
    expect(emu.requests.map((r) => r.params.myip)).toEqual([`${IP1},${IP6_1}`]);
    expect(emu.requests[0]?.reply).toBe(`good ${IP1},${IP6_1}\n`);

    world.setIpv6(IP6_2);
    const second = await world.run("run");

    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([`${NAME} AAAA ${IP6_1} -> ${IP6_2} (noip)`]);
    expect(emu.requests.map((r) => r.params.myip)).toEqual([`${IP1},${IP6_1}`, `${IP1},${IP6_2}`]);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP1, ipv6: IP6_2 });
  });

  it("Dyn: a lone address would clear the other family, so an IPv6 change keeps the A record", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { preset: "dyn", records: both, ipv6: IP6_1 });
    expect((await world.run("run")).code).toBe(0);
    world.setIpv6(IP6_2);

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP1, ipv6: IP6_2 });
  });

  it('Dynu: myip and myipv6, "no" for the family that does not change', async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished }, { preset: "dynu", records: both, ipv6: IP6_1 });

    expect((await world.run("run")).code).toBe(0);
    world.setIpv6(IP6_2);
    expect((await world.run("run")).code).toBe(0);

    expect(emu.requests.map((r) => [r.params.myip, r.params.myipv6])).toEqual([
      [IP1, IP6_1],
      ["no", IP6_2],
    ]);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP1, ipv6: IP6_2 });
  });

  it("INWX: an IPv6 change repeats the current IPv4 (an omitted myip would set 127.0.0.1 there)", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { preset: "inwx", records: both, ipv6: IP6_1 });
    expect((await world.run("run")).code).toBe(0);
    world.setIpv6(IP6_2);

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.requests.map((r) => [r.params.myip, r.params.myipv6])).toEqual([
      [IP1, IP6_1],
      [IP1, IP6_2],
    ]);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP1, ipv6: IP6_2 });
  });

  it('deSEC: "preserve" for the family that does not change (a missing myipv6 would delete the AAAA)', async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished }, { preset: "desec", records: both, ipv6: IP6_1 });
    expect((await world.run("run")).code).toBe(0);
    world.setIpv4(IP2);

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.requests.map((r) => [r.params.myip, r.params.myipv6])).toEqual([
      [IP1, IP6_1],
      [IP2, "preserve"],
    ]);
    expect(emu.records()[NAME]).toEqual({ ipv4: IP2, ipv6: IP6_1 });
  });

  it("OVH: system=dyndns and one request per family", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished }, { preset: "ovh", records: both, ipv6: IP6_1 });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(emu.requests.map((r) => [r.params.system, r.params.myip])).toEqual([
      ["dyndns", IP1],
      ["dyndns", IP6_1],
    ]);
  });
});

describe("dyndns2: check and records", () => {
  it("check validates the config and sends no update; a table without preset or server is a config error", async ({
    onTestFinished,
  }) => {
    const { world, emu } = await setup({ onTestFinished });

    const check = await world.run("check");

    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(
      /provider noip \(No-IP\): ok, update URL http:\/\/127\.0\.0\.1:\d+\/nic\/update, username "homing-user", password from file .*secret;/,
    );
    expect(check.stdout).toMatch(/no update was sent/);
    expect(emu.requests).toEqual([]);

    delete world.provider.preset;
    delete world.provider.server;
    await world.writeConfig();
    const broken = await world.run("check");

    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(
      /providers\.noip: set preset \(noip, dynu, dnsomatic, ovh, changeip, strato, dyn, opendns, he, .*, zoneedit\) or server/,
    );
    expect(emu.requests).toEqual([]);
  });

  it("records shows what DNS answers, without a request to the service", async ({ onTestFinished }) => {
    const { world, emu } = await setup({ onTestFinished }, { serviceRecords: { [NAME]: { ipv4: IP2 } } });

    const records = await world.run("records");

    expect(records.code).toBe(0);
    expect(lines(records.stdout)).toEqual([`${NAME} A ${IP2} (noip, DNS answer)`]);
    expect(emu.requests).toEqual([]);
    expect(world.dns.queries.map((q) => `${q.name} ${q.type}`).sort()).toEqual([`${NAME} A`, `${NAME} AAAA`]);
  });

  it("records also shows the address the service last accepted, from the state file", async ({
    onTestFinished,
  }) => {
    const { world } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);

    const records = await world.run("records");

    expect(records.code).toBe(0);
    expect(records.stdout).toMatch(
      new RegExp(
        `${NAME.replace(/\./g, "\\.")} A ${IP1.replace(/\./g, "\\.")} \\(noip, last accepted by .* at \\d{4}-.*, from the state file\\)`,
      ),
    );
    const json = JSON.parse((await world.run("records", ["--json"])).stdout) as { accepted: unknown[] };
    expect(json.accepted).toContainEqual(
      expect.objectContaining({ provider: "noip", name: NAME, type: "A", value: IP1 }),
    );
  });
});

describe("dyndns2: the password never leaks", () => {
  it("through every command, in success and after badauth, at debug level and in JSON", async ({
    onTestFinished,
  }) => {
    const { world, emu, password } = await setup({ onTestFinished });
    const transcripts = [];
    for (const args of [
      ["run", "-vv"],
      ["run", "--json", "--force", "-vv", "--log-format", "json"],
      ["check", "-vv"],
      ["records", "--json"],
      ["status", "--json"],
      ["run", "-v", "--force"],
      ["explain", "--force"],
    ]) {
      transcripts.push(await world.run(args[0] as string, args.slice(1)));
    }
    // The service now rejects the password (and echoes it in an error page at first).
    emu.addFault({ kind: "http", status: 500, body: `<p>password=${password}</p>`, times: 3 });
    world.setIpv4(IP2);
    transcripts.push(await world.run("run", ["-vv"]));
    await writeFile(world.secretPath, `${canarySecret()}\n`, { mode: 0o600 });
    transcripts.push(await world.run("run", ["-vv", "--log-format", "json"]));
    transcripts.push(await world.run("status", []));

    expect(transcripts.map((t) => t.code)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(transcripts[6]?.stdout).toMatch(/== decision per record ==/);
    expect(transcripts[7]?.stderr).toMatch(/\[redacted\]/);
    for (const transcript of transcripts) {
      expect(leakedFragment(transcript.stdout, password)).toBeUndefined();
      expect(leakedFragment(transcript.stderr, password)).toBeUndefined();
    }
    for (const file of await filesUnder(world.stateDir)) {
      expect(leakedFragment(file.text, password), file.path).toBeUndefined();
    }
    for (const request of emu.requests) {
      expect(JSON.stringify(request.params)).not.toContain(password);
      expect(request.authorization).toBe("***");
    }
  });
});
