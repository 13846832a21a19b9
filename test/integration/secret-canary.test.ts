/**
 * Secret canary: a unique API key is used for every command, in success and failure, at every
 * verbosity (-v decisions, -vv requests, `homing explain`) and output format, from a key file, from
 * the environment and inline in the config; it must never appear on stdout, on stderr, in the state
 * file or in any file under state_dir, in any encoding redaction knows (secretForms: percent, form,
 * JSON, HTML, base64 and base64url, alone and inside larger data).
 */
import { chmod, writeFile } from "node:fs/promises";
import { describe, type ExpectStatic, it } from "vitest";
import { secretForms } from "../../src/core/secret.ts";
import {
  canaryKey,
  configToml,
  DNS_CMDS,
  type DreamHostFault,
  filesUnder,
  IP2,
  NAME,
  type RunResult,
  row,
  startWorld,
  type World,
} from "../support/harness.ts";

interface Transcript {
  label: string;
  result: RunResult;
}

async function runAll(
  world: World,
  commands: Array<[string, string[]]>,
  env: Record<string, string> = {},
): Promise<Transcript[]> {
  const out: Transcript[] = [];
  for (const [command, args] of commands) {
    out.push({ label: `${command} ${args.join(" ")}`, result: await world.run(command, args, { env }) });
  }
  return out;
}

/**
 * Any 8-character window of the key found in `text` (every window holds at least 2 of its 10 random
 * characters), so a key cut short in an excerpt counts as a leak too.
 */
function leakedFragment(text: string, key: string): string | undefined {
  for (let i = 0; i + 8 <= key.length; i++) {
    const fragment = key.slice(i, i + 8);
    if (text.includes(fragment)) return fragment;
  }
  // Every encoded form of the whole key (the raw key's windows are covered above).
  return secretForms(key).find((form) => text.includes(form));
}

/** Asserts the canary (or a piece of it) is in no output, no file under state_dir, and never in a URL. */
async function expectNoLeak(
  expect: ExpectStatic,
  world: World,
  key: string,
  transcripts: Transcript[],
): Promise<void> {
  expect(key).toMatch(/^CANARY[A-Z0-9]{10}$/);
  for (const { label, result } of transcripts) {
    expect(leakedFragment(result.stdout, key), `stdout of ${label}`).toBeUndefined();
    expect(leakedFragment(result.stderr, key), `stderr of ${label}`).toBeUndefined();
  }
  const files = await filesUnder(world.stateDir);
  expect(files.map((f) => f.path)).toContain(world.statePath);
  for (const file of files) expect(leakedFragment(file.text, key), file.path).toBeUndefined();
  // The key travels in the POST body only, never in a URL (where proxies and access logs keep it).
  for (const request of world.requests()) {
    expect(request.queryParamNames).not.toContain("key");
    expect(request.method).toBe("POST");
  }
}

const EVERY_COMMAND: Array<[string, string[]]> = [
  ["run", []],
  ["run", []],
  ["run", ["--json", "--force"]],
  ["run", ["-vv", "--log-format", "json", "--force"]],
  ["run", ["-v", "--force"]],
  ["run", ["-vv", "--force"]],
  ["explain", []],
  ["explain", ["--force", "--dry-run"]],
  ["detect", []],
  ["detect", ["--json"]],
  ["records", []],
  ["records", ["--json"]],
  ["check", []],
  ["status", []],
  ["status", ["--json"]],
];

describe.concurrent("the API key never leaks", () => {
  it("from a key file, through every command", async ({ expect, onTestFinished }) => {
    const key = canaryKey();
    const world = await startWorld({ key, records: [row(NAME, "A", IP2)] }, { onTestFinished });

    const transcripts = await runAll(world, EVERY_COMMAND);

    expect(transcripts.map((t) => t.result.code)).toEqual(transcripts.map(() => 0));
    const debug = transcripts[3]?.result.stderr ?? "";
    expect(debug).toMatch(/"level":"debug"|"level":"info"/);
    // The levels the canary covers did print what they are for: decisions, requests, the story.
    expect(transcripts[4]?.result.stderr).toMatch(/^home\.example\.com A \(dh\): .*asked DreamHost/m);
    expect(transcripts[5]?.result.stderr).toMatch(
      /^debug: HTTP POST \S+ -> 200 in \d+ ms \(DreamHost dns-list_records\)$/m,
    );
    expect(transcripts[6]?.result.stdout).toMatch(/== decision per record ==/);
    expect(world.requests().length).toBeGreaterThan(4);
    await expectNoLeak(expect, world, key, transcripts);
  });

  it("when DreamHost rejects it (auth errors), at debug level and in JSON", async ({
    expect,
    onTestFinished,
  }) => {
    const key = canaryKey();
    const world = await startWorld(
      { key, keys: { [canaryKey()]: { accountIds: ["123456"], cmds: DNS_CMDS } } },
      { onTestFinished },
    );

    const transcripts = await runAll(world, [
      ["run", []],
      ["run", ["-v"]],
      ["run", ["-vv"]],
      ["run", ["--json", "-vv", "--log-format", "json"]],
      ["explain", []],
      ["check", []],
      ["records", ["--json"]],
      ["status", ["--json"]],
    ]);

    expect(transcripts.map((t) => t.result.code)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(transcripts[0]?.result.stderr).toMatch(/invalid_api_key/);
    await expectNoLeak(expect, world, key, transcripts);
  });

  /** [what, the fault, run arguments, expected exit code] */
  const faultRuns: Array<[string, (key: string) => DreamHostFault, string[], number]> = [
    [
      "an HTTP 500 page that echoes the key (debug)",
      (key) => ({
        cmd: "dns-list_records",
        kind: "http",
        status: 500,
        body: `<p>bad key=${key}</p>`,
        times: 3,
      }),
      ["-vv"],
      1,
    ],
    [
      "an HTTP 500 page that echoes the key where the excerpt is cut (JSON report)",
      (key) => ({
        cmd: "dns-list_records",
        kind: "http",
        status: 500,
        body: `<html><body>error for key ${key}</body></html>`,
        times: 3,
      }),
      ["--json"],
      1,
    ],
    [
      "an API error whose reason quotes the key",
      (key) => ({ cmd: "dns-add_record", kind: "api_error", code: "invalid_value", reason: `key ${key}` }),
      ["-vv", "--log-format", "json"],
      1,
    ],
    [
      "a connection reset, then recovery",
      () => ({ cmd: "dns-add_record", kind: "reset", times: 1 }),
      ["-vv", "--log-format", "json"],
      0,
    ],
    [
      "an HTML reply to the remove",
      () => ({ cmd: "dns-remove_record", kind: "garbage", times: 3 }),
      ["-vv"],
      1,
    ],
    ["truncated JSON", () => ({ cmd: "dns-list_records", kind: "truncated_json", times: 3 }), ["--json"], 1],
    [
      "slow_down_bucko",
      () => ({ cmd: "dns-add_record", kind: "api_error", code: "slow_down_bucko" }),
      ["-vv"],
      1,
    ],
  ];
  // Each fault once through `homing run` with its arguments, once through `homing explain`.
  const faultCases = faultRuns.flatMap(([label, fault, args, code]) => [
    [label, fault, "run", args, code] as const,
    [`${label}, told by homing explain`, fault, "explain", [], code] as const,
  ]);
  for (const [label, fault, command, args, code] of faultCases) {
    it.concurrent(`when the API fails: ${label}`, async ({ expect, onTestFinished }) => {
      const key = canaryKey();
      const world = await startWorld(
        { key, records: [row(NAME, "A", IP2)], faults: [fault(key)] },
        { onTestFinished },
      );

      const run = await world.run(command, args);
      const status = await world.run("status", ["--json"]);

      expect(run.code).toBe(code);
      if (label.includes("echoes the key") || label.includes("quotes the key")) {
        expect(run.stdout + run.stderr).toMatch(/\[redacted\]/);
      }
      await expectNoLeak(expect, world, key, [
        { label: `${command} ${args.join(" ")}`, result: run },
        { label: "status --json", result: status },
      ]);
    });
  }

  it("from the environment (HOMING_PROVIDERS_DH_API_KEY), through every command", async ({
    expect,
    onTestFinished,
  }) => {
    const key = canaryKey();
    const world = await startWorld(
      { key, keyFromEnv: true, records: [row(NAME, "A", IP2)] },
      { onTestFinished },
    );
    const env = { HOMING_PROVIDERS_DH_API_KEY: key };

    const transcripts = await runAll(world, EVERY_COMMAND, env);

    expect(transcripts.map((t) => t.result.code)).toEqual(transcripts.map(() => 0));
    expect(world.requests().length).toBeGreaterThan(4);
    await expectNoLeak(expect, world, key, transcripts);

    // And a rejected key from the environment says where it came from, without showing it.
    const other = canaryKey();
    const rejected = await world.run("run", ["--force", "-vv"], {
      env: { HOMING_PROVIDERS_DH_API_KEY: other },
    });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(
      /rejected the API key from environment variable HOMING_PROVIDERS_DH_API_KEY/,
    );
    await expectNoLeak(expect, world, other, [{ label: "rejected env key", result: rejected }]);
  });

  it("in config errors: a misspelt variable, a quoted key, a key in a file of the wrong shape", async ({
    expect,
    onTestFinished,
  }) => {
    const key = canaryKey();
    const world = await startWorld({ key, keyFromEnv: true }, { onTestFinished });
    const transcripts: Transcript[] = [];
    for (const env of [
      { HOMING_PROVIDERS_DH_APIKEY: key },
      { HOMING_PROVIDERS_DHX_API_KEY: key },
      { HOMING_PROVIDERS_DH_API_KEY: `"${key}"` },
      { HOMING_PROVIDERS_DH_API_KEY: `KEY=${key}` },
    ]) {
      transcripts.push({ label: Object.keys(env).join(), result: await world.run("run", ["-vv"], { env }) });
    }
    await writeFile(world.keyPath, `${key}\n${key}\n`, { mode: 0o600 });
    world.spec.providers.dh = {
      ...world.spec.providers.dh,
      endpoint: world.dh.url,
      apiKeyFile: world.keyPath,
    };
    await world.writeConfig();
    transcripts.push({ label: "two-line key file", result: await world.run("check") });

    expect(transcripts.map((t) => t.result.code)).toEqual([2, 2, 2, 2, 2]);
    expect(world.requests()).toEqual([]);
    for (const { label, result } of transcripts) {
      expect(leakedFragment(result.stdout + result.stderr, key), label).toBeUndefined();
    }
  });

  it("inline in a config file others can read: warned about, never printed", async ({
    expect,
    onTestFinished,
  }) => {
    const key = canaryKey();
    const world = await startWorld(
      { key, keyFromEnv: true, records: [row(NAME, "A", IP2)] },
      { onTestFinished },
    );
    await writeFile(
      world.configPath,
      configToml(world.spec).replace(/(\[providers\.dh\]\n)/, `$1api_key = "${key}"\n`),
    );
    await chmod(world.configPath, 0o644);

    const transcripts = await runAll(world, [
      ["run", ["-vv"]],
      ["check", []],
      ["records", ["--json"]],
    ]);

    expect(transcripts.map((t) => t.result.code)).toEqual([0, 0, 0]);
    expect(transcripts[0]?.result.stderr).toMatch(
      /config file \(it holds a secret\) .* is readable by every user/,
    );
    await expectNoLeak(expect, world, key, transcripts);
  });
});
