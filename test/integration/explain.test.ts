/**
 * Output that explains decisions (issue 13): at -v one line per record says what was decided and
 * why (cache hit and its age, provider asked and what it holds, the planned change, or why it was
 * skipped); at -vv every request (method, redacted URL, status, time), the consensus steps and the
 * state file reads and writes; `homing explain` tells one run in words on stdout. The default output
 * stays as it was. (The secret canary covers these levels: secret-canary.test.ts.)
 */
import { readFile, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  canaryKey,
  closeAllWorlds,
  DNS_CMDS,
  IP1,
  IP2,
  lines,
  NAME,
  row,
  startWorld,
} from "../support/harness.ts";

afterEach(closeAllWorlds);

const decision = (text: string): string | undefined =>
  lines(text).find((line) => line.startsWith(`${NAME} A (dh): `));

/** Moves every record's verifiedAt `minutes` into the past, as if the last run was that long ago. */
async function ageState(path: string, minutes: number): Promise<void> {
  const state = JSON.parse(await readFile(path, "utf8")) as {
    records: Record<string, { verifiedAt: string | null }>;
  };
  const at = new Date(Date.now() - minutes * 60_000).toISOString();
  for (const record of Object.values(state.records)) record.verifiedAt = at;
  await writeFile(path, JSON.stringify(state), { mode: 0o600 });
}

describe("-v: each record says what was decided and why", () => {
  it("provider asked, what it holds, the planned change; then a cache hit with its age and the next check", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const first = await world.run("run", ["-v"]);

    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(decision(first.stderr)).toBe(
      `${NAME} A (dh): not answered from the cache: no earlier run in the state file; asked DreamHost: holds ${IP2}; planned change ${IP2} -> ${IP1}; DreamHost accepted the change`,
    );
    expect(first.stderr).not.toMatch(/^debug: /m);

    await ageState(world.statePath, 4);
    const cached = await world.run("run", ["-v"]);

    expect(cached.code).toBe(0);
    expect(cached.stdout).toBe("");
    expect(decision(cached.stderr)).toBe(
      `${NAME} A (dh): cached ${IP1} from 4m ago matches the detected address; provider not asked (next check in 56m, or now with --force)`,
    );

    const forced = await world.run("run", ["-v", "--force"]);
    expect(decision(forced.stderr)).toBe(
      `${NAME} A (dh): not answered from the cache: --force asks the provider; asked DreamHost: holds ${IP1}; matches the detected address; nothing to change`,
    );
  });

  it("a cache too old to answer says so, and a dry run says nothing was sent", async () => {
    const world = await startWorld();
    expect((await world.run("run")).code).toBe(0);
    await ageState(world.statePath, 90);
    world.echoes4.forEach((echo) => {
      echo.set({ answer: IP2 });
    });

    const result = await world.run("run", ["-v", "--dry-run"]);

    expect(result.code).toBe(0);
    expect(decision(result.stderr)).toBe(
      `${NAME} A (dh): not answered from the cache: the cached ${IP1} differs from the detected ${IP2}; asked DreamHost: holds ${IP1}; planned change ${IP1} -> ${IP2}; dry run: nothing sent`,
    );
    world.echoes4.forEach((echo) => {
      echo.set({ answer: IP1 });
    });
    const stale = await world.run("run", ["-v"]);
    expect(decision(stale.stderr)).toMatch(
      /^home\.example\.com A \(dh\): not answered from the cache: last verified 90m ago, recheck is every 60m; asked DreamHost: holds /,
    );
  });

  it("skipped: no detected address, a CNAME at the name, a rate-limit back-off", async () => {
    const world = await startWorld({
      records: [row("www.example.com", "CNAME", "target.example.net.")],
      configRecords: [{ name: NAME }, { name: "www.example.com" }],
      faults: [{ cmd: "dns-add_record", kind: "api_error", code: "slow_down_bucko", times: 1 }],
    });

    const throttled = await world.run("run", ["-v"]);

    expect(throttled.code).toBe(1);
    expect(lines(throttled.stderr)).toContain(
      'www.example.com A (dh): not answered from the cache: no earlier run in the state file; asked DreamHost: holds CNAME target.example.net.; skipped: www.example.com is a CNAME (alias) for "target.example.net.", so it cannot also hold an A record: remove the CNAME at your DNS provider, or configure the CNAME\'s target name in homing instead',
    );
    expect(decision(throttled.stderr)).toMatch(
      /^home\.example\.com A \(dh\): not answered from the cache: no earlier run in the state file; asked DreamHost: no A record; planned: create 81\.2\.69\.142; failed: DreamHost is rate-limiting/,
    );

    const held = await world.run("run", ["-v"]);

    expect(held.code).toBe(1);
    expect(decision(held.stderr)).toMatch(
      /^home\.example\.com A \(dh\): not answered from the cache: the last round failed; asked DreamHost: no A record; planned: create 81\.2\.69\.142; held back, nothing sent: .*no changes are made until/,
    );
    expect(world.requests("dns-add_record")).toHaveLength(1);

    world.echoes4.forEach((echo) => {
      echo.set({ status: 503 });
    });
    const blind = await world.run("run", ["-v"]);

    expect(blind.code).toBe(1);
    expect(decision(blind.stderr)).toMatch(
      /^home\.example\.com A \(dh\): skipped: the public IPv4 address is unknown \(.*\); the record was left as it is$/,
    );
  });

  it("failed: a provider that refuses the key says so after why it was asked", async () => {
    const world = await startWorld({
      keys: { [canaryKey()]: { accountIds: ["123456"], cmds: DNS_CMDS } },
    });

    const result = await world.run("run", ["-v"]);

    expect(result.code).toBe(1);
    expect(decision(result.stderr)).toMatch(
      /^home\.example\.com A \(dh\): not answered from the cache: no earlier run in the state file; failed: DreamHost rejected the API key/,
    );
  });

  it("the default output is unchanged: no decision lines without -v", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const result = await world.run("run");

    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(result.stderr).toBe("");
  });
});

describe("-vv: requests, consensus and the state file", () => {
  it("logs each request with method, redacted URL, status and time, each source, the consensus, state reads and writes", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });
    const url = world.echoes4[0]?.url ?? "";
    world.spec.ipv4Sources = [
      { url: `${url}?token=secret-token-value`, name: "echo-a" },
      ...(world.spec.ipv4Sources ?? []).slice(1),
    ];
    await world.writeConfig();

    const first = await world.run("run", ["-vv"]);
    const second = await world.run("run", ["-vv"]);

    expect(first.code).toBe(0);
    const debug = lines(first.stderr);
    expect(debug).toContain(`debug: no state file at ${world.statePath} yet: starting empty`);
    expect(debug).toContainEqual(
      expect.stringMatching(
        /^debug: HTTP GET http:\/\/127\.0\.0\.1:\d+\/\?token=\[redacted\] -> 200 in \d+ ms \(source echo-a\)$/,
      ),
    );
    expect(first.stderr).not.toContain("secret-token-value");
    expect(
      debug.filter((line) =>
        /^debug: HTTP POST http:\/\/127\.0\.0\.1:\d+\/ -> 200 in \d+ ms \(DreamHost dns-\w+\)$/.test(line),
      ),
    ).toHaveLength(world.requests().length);
    expect(debug).toContainEqual(
      expect.stringMatching(
        /^debug: IPv4 source echo-a \(http http:\/\/127\.0\.0\.1:\d+\/\?token=\[redacted\]\) answered 81\.2\.69\.142: agreed in \d+ ms$/,
      ),
    );
    expect(debug).toContainEqual(
      expect.stringMatching(
        /^debug: IPv4 consensus on 81\.2\.69\.142, agreed by echo-\w, echo-\w \(\d of 3 source\(s\) answered, quorum 2\)$/,
      ),
    );
    expect(debug).toContain(`debug: wrote the state file ${world.statePath} (1 record(s))`);
    expect(decision(first.stderr)).toMatch(/planned change/);

    expect(lines(second.stderr)).toContain(`debug: read the state file ${world.statePath} (1 record(s))`);
    expect(lines(second.stderr)).toContain(
      `debug: wrote the state file ${world.statePath} (1 record(s); only timestamps changed, so without fsync)`,
    );
  });
});

describe("homing explain", () => {
  it("--dry-run tells the whole decision path on stdout and changes nothing", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const result = await world.run("explain", ["--dry-run"]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const out = lines(result.stdout);
    expect(out[0]).toBe("== homing explain ==");
    expect(out[1]).toMatch(/^homing \S+, Node v\d+\.\d+\.\d+ on linux \w+$/);
    expect(out).toContain(`config: ${world.configPath}, 1 record(s)`);
    expect(out).toContain(`state file: ${world.statePath}`);
    expect(out).toContain("a dry run: nothing is changed at any provider and the state file is not written");
    expect(out).toContainEqual(
      expect.stringMatching(
        /^debug: HTTP POST http:\/\/127\.0\.0\.1:\d+\/ -> 200 in \d+ ms \(DreamHost dns-list_records\)$/,
      ),
    );
    expect(out).toContainEqual(expect.stringMatching(/^debug: IPv4 consensus on 81\.2\.69\.142/));
    expect(out).toContain("debug: dry run: the state file is not written");
    const summary = out.slice(out.indexOf("== decision per record =="));
    expect(summary).toEqual([
      "== decision per record ==",
      `${NAME} A (dh): planned`,
      "  1. not answered from the cache: no earlier run in the state file",
      `  2. asked DreamHost: holds ${IP2}`,
      `  3. planned change ${IP2} -> ${IP1}`,
      "  4. dry run: nothing sent",
      "== result ==",
      `would change ${NAME} A ${IP2} -> ${IP1} (dh)`,
      "exit code 0: all records correct",
    ]);
    expect(out.slice(out.indexOf("== detection =="))[1]).toBe(`IPv4: ${IP1}`);
    expect(world.mutations()).toEqual([]);
  });

  it("without --dry-run is a real run, like homing run, and says so; a second one tells the cache hit", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const real = await world.run("explain");

    expect(real.code).toBe(0);
    expect(real.stdout).toContain("a real run, like homing run:");
    expect(real.stdout).toContain(`${NAME} A ${IP2} -> ${IP1} (dh)\nexit code 0`);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);

    const again = await world.run("explain");

    expect(again.stdout).toMatch(
      new RegExp(
        `  1\\. cached ${IP1.replace(/\./g, "\\.")} from (just now|\\d+s ago) matches the detected address\n  2\\. provider not asked`,
      ),
    );
    expect(again.stdout).toContain("== result ==\nno change\nexit code 0");
  });

  it("a failure is told too, and the exit code is run's", async () => {
    const world = await startWorld({
      records: [row(NAME, "CNAME", "target.example.net.")],
    });

    const result = await world.run("explain");

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ {2}3\. skipped: home\.example\.com is a CNAME/);
    expect(result.stdout).toMatch(
      /failed: home\.example\.com A \(dh\): .*\nexit code 1: detection or a record failed/,
    );
  });

  it("is in the help and takes no --json", async () => {
    const world = await startWorld();

    const help = await world.raw(["help", "explain"]);
    const json = await world.run("explain", ["--json"]);

    expect(help.stdout).toMatch(/^Usage: homing explain \[-c FILE\] \[--dry-run\] \[--force\]/);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/homing explain does not take --json/);
  });

  it("homing run --explain is the same narrative", async () => {
    const world = await startWorld({ records: [row(NAME, "A", IP2)] });

    const result = await world.run("run", ["--explain", "--dry-run"]);
    const json = await world.run("run", ["--explain", "--json"]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const out = lines(result.stdout);
    expect(out[0]).toBe("== homing explain ==");
    expect(out).toContain("a dry run: nothing is changed at any provider and the state file is not written");
    expect(out).toContain(`would change ${NAME} A ${IP2} -> ${IP1} (dh)`);
    expect(world.mutations()).toEqual([]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/homing run --explain prints text: leave out --json/);
  });
});
