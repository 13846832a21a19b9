/**
 * `homing run` when DreamHost misbehaves: failed adds, transient failures and retries with the same
 * unique_id, lost replies (replayed unique_id), auth and permission errors, rate limiting with a
 * persisted back-off, and a domain without a zone.
 */
import { describe, it } from "vitest";
import { canaryKey, DNS_CMDS, IP1, IP2, lines, NAME, row, startWorld } from "../support/harness.ts";

const OLD = [row(NAME, "A", IP2)];

describe.concurrent("a failed change", () => {
  it("an add that keeps failing (internal_error_could_not_add_record) exits 1, keeps the old record and sends no remove", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [
          {
            cmd: "dns-add_record",
            kind: "api_error",
            code: "internal_error_could_not_add_record",
            times: Infinity,
          },
        ],
      },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /error: home\.example\.com A \(dh\): .*internal_error_could_not_add_record/,
    );
    expect(world.requests("dns-remove_record")).toEqual([]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    // Retried (transient) with one unique_id for the one logical operation.
    const adds = world.requests("dns-add_record");
    expect(adds.length).toBeGreaterThan(1);
    expect(new Set(adds.map((r) => r.uniqueId)).size).toBe(1);
    const state = await world.state();
    expect(state.records[`dh/${NAME}/A`]).toMatchObject({ lastResult: "failed", failures: 1 });
  });

  it("an add answered by HTTP 502 pages exits 1, keeps the old record and sends no remove", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [
          {
            cmd: "dns-add_record",
            kind: "http",
            status: 502,
            body: "<html>Bad Gateway</html>",
            contentType: "text/html",
            times: Infinity,
          },
        ],
      },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTTP 502/);
    expect(world.requests("dns-remove_record")).toEqual([]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
  });

  it("an old value that cannot be removed leaves both, reports it and exits 1; the next run cleans up", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [
          {
            cmd: "dns-remove_record",
            kind: "api_error",
            code: "internal_error_could_not_destroy_record",
            times: 3, // every attempt of this run
          },
        ],
      },
      { onTestFinished },
    );

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/could not be removed/);
    expect(
      world
        .rows(NAME, "A")
        .map((r) => r.value)
        .sort(),
    ).toEqual([IP1, IP2].sort());

    expect(first.stdout).toBe("");

    const second = await world.run("run");

    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });
});

describe.concurrent("a remove only after a confirmed add", () => {
  it("an add answered success/record_not_added that did nothing: nothing removed, exit 1, the reply quoted, not cached", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      { records: OLD, faults: [{ cmd: "dns-add_record", kind: "lie", data: "record_not_added" }] },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('with "success" with data "record_not_added", which does not confirm it');
    expect(result.stderr).toContain(`nothing was removed, so ${NAME} keeps ${IP2}`);
    expect(world.requests("dns-remove_record")).toEqual([]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    const state = await world.state();
    expect(state.records[`dh/${NAME}/A`]).toMatchObject({ lastResult: "failed", published: null });

    // The next run is not fooled by a cache: it adds for real, then removes.
    const second = await world.run("run");
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });

  it("an add answered with an unexpected success that did add the row: a re-list proves it, then the old row goes", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [{ cmd: "dns-add_record", kind: "lie", data: "record_added_ok", effect: true }],
      },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    // One list for the plan, one to prove the add, then the remove.
    expect(world.requests().map((r) => r.cmd)).toEqual([
      "dns-list_records",
      "dns-add_record",
      "dns-list_records",
      "dns-remove_record",
    ]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });
});

it.concurrent("a provider that never answers is cut off by the run's deadline: exit 1, nothing removed", async ({
  expect,
  onTestFinished,
}) => {
  const world = await startWorld(
    {
      records: OLD,
      providerTimeout: "20s",
      faults: [{ cmd: "dns-add_record", kind: "hang", times: Infinity }],
      editConfig: (spec) => {
        spec.timeout = "2s";
      },
    },
    { onTestFinished },
  );

  const result = await world.run("run");

  expect(result.code).toBe(1);
  expect(result.ms).toBeLessThan(6000);
  expect(result.stderr).toMatch(/deadline/);
  expect(world.requests("dns-remove_record")).toEqual([]);
  expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
});

describe.concurrent("transient failures", () => {
  it("a connection reset on dns-add_record is retried with the SAME unique_id and the run succeeds", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      { records: OLD, faults: [{ cmd: "dns-add_record", kind: "reset", times: 1 }] },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    const adds = world.requests("dns-add_record");
    expect(adds.map((r) => r.result)).toEqual(["fault", "success"]);
    expect(adds[0]?.uniqueId).toBeDefined();
    expect(adds[1]?.uniqueId).toBe(adds[0]?.uniqueId);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });

  it("an HTTP 500 on dns-add_record is retried with the SAME unique_id and the run succeeds", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [{ cmd: "dns-add_record", kind: "http", status: 500, body: "", times: 1 }],
      },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(0);
    const adds = world.requests("dns-add_record");
    expect(adds.map((r) => r.result)).toEqual(["fault", "success"]);
    expect(adds[1]?.uniqueId).toBe(adds[0]?.uniqueId);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });

  it("an add whose reply was lost is replayed with the same unique_id, confirmed by a list, and converges with no duplicate", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld({ records: OLD, proxy: true }, { onTestFinished });
    world.proxy?.dropReply("dns-add_record");

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A ${IP2} -> ${IP1} (dh)`]);
    const adds = world.requests("dns-add_record");
    expect(adds.map((r) => r.data)).toEqual(["record_added", "unique_id_already_used"]);
    expect(adds[1]?.uniqueId).toBe(adds[0]?.uniqueId);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });

  it("a remove whose reply was lost counts as done on the replay", async ({ expect, onTestFinished }) => {
    const world = await startWorld({ records: OLD, proxy: true }, { onTestFinished });
    world.proxy?.dropReply("dns-remove_record");

    const result = await world.run("run");

    expect(result.code).toBe(0);
    const removes = world.requests("dns-remove_record");
    expect(removes.map((r) => r.data)).toEqual(["record_removed", "unique_id_already_used"]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });

  it("a dns-list_records whose reply was lost is retried and the run succeeds", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld({ records: OLD, proxy: true }, { onTestFinished });
    world.proxy?.dropReply("dns-list_records");

    const result = await world.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lists = world.requests("dns-list_records");
    expect(lists.map((r) => r.result)).toEqual(["success", "success"]);
    expect(lists[1]?.uniqueId).not.toBe(lists[0]?.uniqueId);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });
});

describe.concurrent("auth errors", () => {
  it("an unknown key fails at once (exactly one request, no retry) and names the dns-* permissions", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      { keys: { [canaryKey()]: { accountIds: ["123456"], cmds: DNS_CMDS } } },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/invalid_api_key/);
    expect(result.stderr).toContain(world.keyPath);
    for (const cmd of DNS_CMDS) expect(result.stderr).toContain(cmd);
    expect(world.requests()).toHaveLength(1);
  });

  it("a key without dns-add_record permission fails the add once, says which permission, and removes nothing", async ({
    expect,
    onTestFinished,
  }) => {
    const key = canaryKey();
    const world = await startWorld(
      {
        key,
        keys: { [key]: { accountIds: ["123456"], cmds: ["dns-list_records", "dns-remove_record"] } },
        records: [...OLD, row("b.example.com", "A", IP2)],
        configRecords: [{ name: NAME }, { name: "b.example.com" }],
      },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/may not run dns-add_record/);
    expect(result.stderr).toMatch(/"dns-add_record"/);
    // One refusal is enough: the second record is not tried with the same key in this run.
    expect(world.requests().map((r) => `${r.cmd} ${r.data ?? ""}`.trim())).toEqual([
      "dns-list_records",
      "dns-add_record this_key_cannot_access_this_cmd",
    ]);
    expect(world.rows(undefined, "A").map((r) => r.value)).toEqual([IP2, IP2]);
  });
});

describe.concurrent("rate limiting", () => {
  it("slow_down_bucko on the add: exit 1, a back-off in the state file, no mutation inside it, shown by status", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [{ cmd: "dns-add_record", kind: "api_error", code: "slow_down_bucko", times: 1 }],
      },
      { onTestFinished },
    );

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/rate-limiting/);
    expect(first.stderr).toMatch(/no changes for (1h|60m)/);
    expect(world.requests("dns-add_record")).toHaveLength(1); // not retried
    const state = await world.state();
    const until = Date.parse(state.providers.dh?.backoffUntil ?? "");
    expect(until).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(until).toBeLessThan(Date.now() + 70 * 60_000);

    // The address changes meanwhile: a run inside the back-off may list, but never mutates.
    for (const echo of world.echoes4) echo.set({ answer: "81.2.69.171" });
    const before = world.requests().length;
    const second = await world.run("run");

    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/no changes are made until/);
    const during = world.requests().slice(before);
    expect(during.every((r) => r.cmd === "dns-list_records")).toBe(true);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);

    const status = await world.run("status");
    expect(status.stdout).toMatch(/provider dh: backing off until \S+: .*rate-limiting/);
    const statusJson = JSON.parse((await world.run("status", ["--json"])).stdout) as {
      providers: Record<string, { backoffUntil: string }>;
    };
    expect(statusJson.providers.dh?.backoffUntil).toBe(state.providers.dh?.backoffUntil);
  });

  it("DreamHost's own rate limit (detail after a tab in data) stops the adds and persists the back-off", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: [],
        rateLimits: [{ cmd: "dns-add_record", windowSec: 300, max: 1 }],
        quirks: { errorDetailIn: "data-tab" },
        configRecords: [{ name: "a.example.com" }, { name: "b.example.com" }, { name: "c.example.com" }],
      },
      { onTestFinished },
    );

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([`a.example.com A created ${IP1} (dh)`]);
    expect(result.stderr).toMatch(
      /rate-limiting this key \(slow_down_bucko: dns-add_record limit of 1 per 300s reached\)/,
    );
    expect(world.requests("dns-add_record").map((r) => r.data)).toEqual(["record_added", "slow_down_bucko"]);
    const state = await world.state();
    expect(Date.parse(state.providers.dh?.backoffUntil ?? "")).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it("slow_down_bucko on the remove after a successful add also persists the back-off", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await startWorld(
      {
        records: OLD,
        faults: [{ cmd: "dns-remove_record", kind: "api_error", code: "slow_down_bucko", times: 1 }],
      },
      { onTestFinished },
    );

    const first = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/rate-limiting/);
    const state = await world.state();
    expect(Date.parse(state.providers.dh?.backoffUntil ?? "")).toBeGreaterThan(Date.now() + 50 * 60_000);

    const before = world.requests().length;
    const second = await world.run("run");
    expect(second.code).toBe(1);
    expect(
      world
        .requests()
        .slice(before)
        .every((r) => r.cmd === "dns-list_records"),
    ).toBe(true);
  });
});

it.concurrent("no_such_zone tells the user to add one record in the DreamHost panel first", async ({
  expect,
  onTestFinished,
}) => {
  const world = await startWorld(
    { zones: [], records: [], configRecords: [{ name: "home.example.net" }] },
    { onTestFinished },
  );

  const result = await world.run("run");

  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/no_such_zone/);
  expect(result.stderr).toMatch(/add any one record for the domain in the panel/);
  expect(world.rows()).toEqual([]);
});
