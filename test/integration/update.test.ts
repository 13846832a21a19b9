/**
 * `homing run` against the DreamHost emulator: creating, caching, verifying and changing records,
 * the add-before-remove order, IPv6, one list per account, --dry-run and --json, and the rows homing
 * must never touch (DreamHost-managed rows, CNAMEs).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ACCOUNT,
  canaryKey,
  closeAllWorlds,
  DNS_CMDS,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP6_1,
  lines,
  modeOf,
  NAME,
  row,
  startWorld,
  ZONE,
} from "../support/harness.ts";

afterEach(closeAllWorlds);

const ipv6 = await hasIpv6Loopback();

describe("homing run", () => {
  it("creates an absent record, prints one 'created' line and exits 0", async () => {
    const world = await startWorld();

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
    expect(result.stderr).toBe("");
    expect(world.requests().map((r) => r.cmd)).toEqual(["dns-list_records", "dns-add_record"]);
    const add = world.requests("dns-add_record")[0];
    expect(add?.params).toMatchObject({ record: NAME, type: "A", value: IP1, format: "json" });
    expect(world.rows(NAME)).toMatchObject([{ type: "A", value: IP1, editable: "1" }]);
    const state = await world.state();
    expect(state.records[`dh/${NAME}/A`]).toMatchObject({ published: IP1, lastResult: "updated" });
    expect(await modeOf(world.statePath)).toBe(0o600);
  });

  it("a second run with the same address is silent and makes zero API calls (cache)", async () => {
    const world = await startWorld();
    expect((await world.run("run")).code).toBe(0);
    const before = world.requests().length;

    const second = await world.run("run");

    expect(second.code).toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).toBe("");
    expect(world.requests().length).toBe(before);
  });

  it("--force verifies at the provider with one dns-list_records and no mutation", async () => {
    const world = await startWorld();
    expect((await world.run("run")).code).toBe(0);
    const before = world.requests().length;

    const forced = await world.run("run", ["--force"]);

    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe("");
    expect(forced.stderr).toBe("");
    expect(
      world
        .requests()
        .slice(before)
        .map((r) => r.cmd),
    ).toEqual(["dns-list_records"]);
  });

  it("on an address change adds the new value BEFORE removing the old one, using the exact listed value", async () => {
    const world = await startWorld({
      records: [row(ZONE, "NS", "ns1.dreamhost.com.", "0"), row(NAME, "A", IP2)],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(result.stderr).toBe("");
    const calls = world.requests().map((r) => `${r.cmd} ${r.params.value ?? ""}`.trim());
    expect(calls).toEqual(["dns-list_records", `dns-add_record ${IP1}`, `dns-remove_record ${IP2}`]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
    const state = await world.state();
    expect(state.history.at(-1)).toMatchObject({ name: NAME, type: "A", from: IP2, to: IP1 });
  });

  it("removes every stale owned row, each with its exact listed value", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", IP2), row(NAME, "A", "81.2.69.171"), row(NAME, "TXT", "keep me")],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    const removed = world.requests("dns-remove_record").map((r) => r.params.value);
    expect(removed.sort()).toEqual([IP2, "81.2.69.171"].sort());
    const addIndex = world.requests().findIndex((r) => r.cmd === "dns-add_record");
    const firstRemove = world.requests().findIndex((r) => r.cmd === "dns-remove_record");
    expect(addIndex).toBeLessThan(firstRemove);
    expect(
      world
        .rows(NAME)
        .map((r) => `${r.type} ${r.value}`)
        .sort(),
    ).toEqual([`A ${IP1}`, "TXT keep me"]);
  });

  it.skipIf(!ipv6)(
    "handles AAAA the same way with an IPv6 echo on ::1, removing the listed (non-canonical) text",
    async () => {
      const storedOld = "2A00:1450:4001:081B:0:0:0:2001"; // IP6_2, spelled the way a panel user typed it
      const world = await startWorld({
        records: [row(NAME, "A", IP1), row(NAME, "AAAA", storedOld)],
        ipv6: [{ answer: IP6_1 }, { answer: IP6_1 }, { answer: IP6_1 }],
        configRecords: [{ name: NAME, ipv4: true, ipv6: true }],
      });

      const result = await world.run("run");

      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(lines(result.stdout)).toEqual([`${NAME} AAAA ${storedOld} -> ${IP6_1} (dh)`]);
      const calls = world
        .requests()
        .map((r) => `${r.cmd} ${r.params.type ?? ""} ${r.params.value ?? ""}`.trim());
      expect(calls).toEqual([
        "dns-list_records",
        `dns-add_record AAAA ${IP6_1}`,
        `dns-remove_record AAAA ${storedOld}`,
      ]);
      expect(world.rows(NAME, "AAAA").map((r) => r.value)).toEqual([IP6_1]);
      expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
      expect(world.echoes6.every((e) => e.remoteFamilies.every((f) => f === "IPv6"))).toBe(true);
      const state = await world.state();
      expect(state.records[`dh/${NAME}/AAAA`]).toMatchObject({ published: IP6_1, lastResult: "updated" });

      const again = await world.run("run");
      expect(again.code).toBe(0);
      expect(again.stdout + again.stderr).toBe("");
      expect(world.requests().length).toBe(3);
    },
  );

  it.skipIf(!ipv6)("keeps an AAAA row that holds the same address in another spelling", async () => {
    const world = await startWorld({
      records: [row(NAME, "AAAA", "2A00:1450:4001:81B:0:0:0:200E")],
      ipv6: [{ answer: IP6_1 }, { answer: IP6_1 }],
      configRecords: [{ name: NAME, ipv4: false, ipv6: true }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(world.mutations()).toEqual([]);
  });

  it("sends one dns-list_records per account per run, even with 3 records on that provider", async () => {
    const key = canaryKey();
    const other = canaryKey();
    const world = await startWorld({
      key,
      keys: {
        [key]: { accountIds: [ACCOUNT], cmds: DNS_CMDS },
        [other]: { accountIds: ["654321"], cmds: DNS_CMDS },
      },
      zones: [ZONE, { accountId: "654321", zone: "example.org" }],
      records: [row("a.example.com", "A", IP2), row("b.example.com", "A", IP1)],
    });
    // A second account with its own key, as a second provider on the same API.
    const otherKeyPath = join(world.dir, "org.key");
    await writeFile(otherKeyPath, `${other}\n`, { mode: 0o600 });
    world.spec.providers.org = { endpoint: world.dh.url, apiKeyFile: otherKeyPath };
    world.spec.records = [
      { name: "a.example.com" },
      { name: "b.example.com" },
      { name: "c.example.com" },
      { name: "home.example.org", provider: "org" },
    ];
    await world.writeConfig();

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(lines(result.stdout).sort()).toEqual(
      [
        `a.example.com A ${IP2} -> ${IP1} (dh)`,
        `c.example.com A created ${IP1} (dh)`,
        `home.example.org A created ${IP1} (org)`,
      ].sort(),
    );
    expect(world.requests("dns-list_records")).toHaveLength(2);
    expect(world.requests("dns-add_record")).toHaveLength(3);
    expect(world.requests("dns-remove_record").map((r) => r.params.value)).toEqual([IP2]);
    expect(
      world
        .rows(undefined, "A")
        .map((r) => `${r.record} ${r.value}`)
        .sort(),
    ).toEqual([
      `a.example.com ${IP1}`,
      `b.example.com ${IP1}`,
      `c.example.com ${IP1}`,
      `home.example.org ${IP1}`,
    ]);
  });

  it("--dry-run prints the plan and makes no mutating call (and saves no state)", async () => {
    const world = await startWorld({ records: [row("a.example.com", "A", IP2)] });
    world.spec.records = [{ name: "a.example.com" }, { name: NAME }];
    await world.writeConfig();

    const result = await world.run("run", ["--dry-run"]);

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `would change a.example.com A ${IP2} -> ${IP1} (dh)`,
      `would create ${NAME} A ${IP1} (dh)`,
    ]);
    expect(world.mutations()).toEqual([]);
    expect(world.requests().map((r) => r.cmd)).toEqual(["dns-list_records"]);
    await expect(world.state()).rejects.toThrow(/ENOENT/);
  });

  it("--json prints one parseable JSON report on stdout", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const result = await world.run("run", ["--json"]);

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      dryRun: boolean;
      records: Array<Record<string, unknown>>;
      detection: Array<Record<string, unknown>>;
    };
    expect(report.ok).toBe(true);
    expect(report.dryRun).toBe(false);
    expect(report.records).toMatchObject([
      { provider: "dh", name: NAME, type: "A", status: "updated", address: IP1, previous: IP2 },
    ]);
    expect(report.detection).toMatchObject([{ family: "ipv4", status: "known", address: IP1 }]);

    const cached = JSON.parse((await world.run("run", ["--json"])).stdout) as typeof report;
    expect(cached.records).toMatchObject([{ status: "unchanged", cached: true }]);
  });
});

describe("convergence", () => {
  it("a --force run right after a change, while DreamHost's list still lags, converges without duplicates", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)], quirks: { consistencyLagMs: 60_000 } });
    expect((await world.run("run")).code).toBe(0);

    // The list still shows the old row and not the new one; homing must not lose or double anything.
    const forced = await world.run("run", ["--force"]);

    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe("");
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });

  it("a state entry older than `recheck` is verified again with one list", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP1)] });
    expect((await world.run("run")).code).toBe(0);
    const state = JSON.parse(await readFile(world.statePath, "utf8")) as {
      records: Record<string, { verifiedAt: string }>;
    };
    const entry = state.records[`dh/${NAME}/A`];
    if (entry) entry.verifiedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await writeFile(world.statePath, JSON.stringify(state), { mode: 0o600 });
    const before = world.requests().length;

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toBe("");
    expect(
      world
        .requests()
        .slice(before)
        .map((r) => r.cmd),
    ).toEqual(["dns-list_records"]);
    expect(Date.parse((await world.state()).records[`dh/${NAME}/A`]?.verifiedAt ?? "")).toBeGreaterThan(
      Date.now() - 60_000,
    );
  });

  it.skipIf(!ipv6)(
    "an unavailable IPv6 address fails only the AAAA record: A is still updated, exit 1",
    async () => {
      const world = await startWorld({
        records: [row(NAME, "A", IP2), row(NAME, "AAAA", IP6_1)],
        ipv6: [{ answer: "fd00::1" }, { answer: "fd00::1" }, { answer: "fd00::1" }],
        configRecords: [{ name: NAME, ipv4: true, ipv6: true }],
      });

      const result = await world.run("run");

      expect(result.code).toBe(1);
      expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
      expect(result.stderr).toMatch(/cannot tell the public IPv6 address, so nothing was changed/);
      expect(result.stderr).toMatch(/fd00::1 is not public/);
      expect(world.mutations().every((r) => r.params.type === "A")).toBe(true);
      expect(world.rows(NAME, "AAAA").map((r) => r.value)).toEqual([IP6_1]);
    },
  );
});

describe("rows homing does not own", () => {
  it("never removes a DreamHost-managed (editable 0) row and warns about it", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", "69.163.136.138", "0")],
      quirks: { nonEditableSameNameTypeBlocksAdd: false },
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: .*69\.163\.136\.138.*DreamHost-managed.*web hosting/m);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
    expect(world.requests("dns-remove_record")).toEqual([]);
    expect(
      world
        .rows(NAME, "A")
        .map((r) => `${r.value} ${r.editable}`)
        .sort(),
    ).toEqual([`${IP1} 1`, "69.163.136.138 0"].sort());
  });

  it("when DreamHost refuses the add next to its own row, fails with a web-hosting message and removes nothing", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", "69.163.136.138", "0"), row(NAME, "A", IP2)],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/warning: .*DreamHost-managed/);
    expect(result.stderr).toMatch(/error: .*web hosting/);
    expect(world.requests("dns-remove_record")).toEqual([]);
    expect(
      world
        .rows(NAME, "A")
        .map((r) => r.value)
        .sort(),
    ).toEqual(["69.163.136.138", IP2].sort());
  });

  it("a CNAME at the name fails that record (exit 1) without touching it, while other records still update", async () => {
    const world = await startWorld({
      records: [row("www.example.com", "CNAME", "target.example.net."), row(NAME, "A", IP2)],
      configRecords: [{ name: "www.example.com" }, { name: NAME }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/www\.example\.com.*CNAME.*target\.example\.net/);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(world.mutations().filter((r) => r.params.record === "www.example.com")).toEqual([]);
    expect(world.rows("www.example.com")).toMatchObject([{ type: "CNAME", value: "target.example.net." }]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
    const state = await world.state();
    expect(state.records["dh/www.example.com/A"]).toMatchObject({ lastResult: "failed" });
    expect(state.records[`dh/${NAME}/A`]).toMatchObject({ lastResult: "updated", published: IP1 });
  });
});
