/**
 * `npm run demo`: a guided tour of homing that needs no DreamHost account and no network.
 *
 * It starts, on 127.0.0.1 only, a local emulator of DreamHost's DNS API and three "what is my IP"
 * echo servers, writes a throw-away config, then runs the real CLI (bin/homing, the built bundle) the
 * way cron would and checks that each step does what homing promises: create the record, do nothing
 * (and call nothing) while the address is unchanged, and on a change add the new address before
 * removing the old one. Exits 0 when every step behaved, 1 (naming the step) otherwise.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type DreamHostEmulator,
  type DreamHostRequestLogEntry,
  startDreamHostEmulator,
} from "../test/emulators/dreamhost.ts";
import { type EchoServer, startEcho } from "../test/emulators/ip-echo.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = join(ROOT, "dist", "homing.cjs");
const BIN = "bin/homing";

const API_KEY = "DEMO0KEY12345678";
const ACCOUNT = "123456";
const ZONE = "example.com";
const NAME = "home.example.com";
const FIRST_ADDRESS = "81.2.69.142";
const SECOND_ADDRESS = "81.2.69.160";
/** A row DreamHost itself manages (web hosting): homing must report it, never touch it. */
const HOSTING_ROW = { record: ZONE, type: "A", value: "81.2.69.10" } as const;
const CHILD_TIMEOUT_MS = 30_000;

class StepFailure extends Error {
  override readonly name = "StepFailure";
}

interface CliResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The DreamHost API calls the emulator received while this command ran. */
  calls: DreamHostRequestLogEntry[];
}

// ---------------------------------------------------------------------------------------------------
// Printing

const say = (text = ""): void => {
  process.stdout.write(`${text}\n`);
};

function heading(text: string): void {
  say();
  say(text);
  say("=".repeat(Math.min(text.length, 100)));
}

function indent(text: string, prefix = "    "): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}

function describeCall(call: DreamHostRequestLogEntry): string {
  const p = call.params;
  const what =
    call.cmd === "dns-list_records" ? "" : ` ${p.record ?? "?"} ${p.type ?? "?"} ${p.value ?? "?"}`;
  const result =
    call.result === "success" ? `ok${call.data ? ` (${call.data})` : ""}` : `${call.result}: ${call.data}`;
  return `${call.method} ${call.cmd}${what} -> ${result}`;
}

function showResult(result: CliResult): void {
  say(`  $ ${result.command}`);
  say(`  exit code: ${result.code ?? `killed by ${result.signal}`}   (${Math.round(result.ms)} ms)`);
  say(result.stdout.trim() === "" ? "  stdout: (nothing)" : `  stdout:\n${indent(result.stdout)}`);
  if (result.stderr.trim() !== "") say(`  stderr:\n${indent(result.stderr)}`);
  if (result.calls.length === 0) say("  DreamHost API calls seen by the emulator: none");
  else {
    say(`  DreamHost API calls seen by the emulator (${result.calls.length}, in arrival order):`);
    result.calls.forEach((call, i) => {
      say(`    ${i + 1}. ${describeCall(call)}`);
    });
  }
}

function showZone(emulator: DreamHostEmulator): void {
  const rows = emulator
    .records()
    .filter((row) => row.zone === ZONE)
    .sort((a, b) => a.record.localeCompare(b.record) || a.value.localeCompare(b.value));
  say(`  The ${ZONE} zone at the (emulated) DreamHost now holds:`);
  for (const row of rows) {
    const who = row.editable === "1" ? `editable, comment "${row.comment}"` : "DreamHost-managed, editable:0";
    say(`    ${row.record.padEnd(18)} ${row.type.padEnd(4)} ${row.value.padEnd(15)} (${who})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Running things

/** The child's environment: the caller's, minus HOMING_* settings, so nothing outside the demo leaks in. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("HOMING_")) env[name] = value;
  }
  return env;
}

/**
 * Runs a command asynchronously: the emulators live in this process's event loop, so a synchronous
 * spawn would leave them unable to answer.
 */
function runProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Omit<CliResult, "calls" | "command">> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

async function ensureBuilt(): Promise<void> {
  if (existsSync(BUNDLE)) return;
  say("dist/homing.cjs is missing, so building it first: node scripts/build.mjs");
  const build = await runProcess(["scripts/build.mjs"], process.env);
  if (build.code !== 0 || !existsSync(BUNDLE)) {
    throw new StepFailure(`the build failed (exit ${build.code}):\n${indent(build.stdout + build.stderr)}`);
  }
}

function expect(problems: string[], condition: boolean, message: string): void {
  if (!condition) problems.push(message);
}

function settle(step: string, problems: string[]): void {
  if (problems.length === 0) {
    say(`  ✔ as expected`);
    return;
  }
  throw new StepFailure(`${step} did not behave as expected:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

// ---------------------------------------------------------------------------------------------------
// The tour

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  process.once("SIGINT", () => {
    void cleanUp().finally(() => process.exit(130));
  });

  try {
    say("homing demo: a complete update cycle against a local DreamHost emulator.");
    say("Nothing here touches the network or a real account: every server runs on 127.0.0.1.");
    await ensureBuilt();

    heading("Setting the stage");
    const emulator = await startDreamHostEmulator({
      keys: { [API_KEY]: { accountIds: [ACCOUNT], cmds: "*" } },
      zones: [{ accountId: ACCOUNT, zone: ZONE }],
      records: [{ accountId: ACCOUNT, zone: ZONE, ...HOSTING_ROW, comment: "", editable: "0" }],
    });
    cleanups.push(() => emulator.close());
    const echoes: EchoServer[] = [];
    for (let i = 0; i < 3; i++) {
      const echo = await startEcho({ answer: FIRST_ADDRESS });
      cleanups.push(() => echo.close());
      echoes.push(echo);
    }
    const dir = await mkdtemp(join(tmpdir(), "homing-demo-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const keyFile = join(dir, "dreamhost.key");
    const stateDir = join(dir, "state");
    const configFile = join(dir, "homing.toml");
    await writeFile(keyFile, `${API_KEY}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    await mkdir(stateDir, { mode: 0o700 });
    const toml = (text: string) => JSON.stringify(text); // JSON strings are valid TOML basic strings
    const config = [
      `# Written by scripts/demo.ts; everything points at local servers.`,
      `state_dir = ${toml(stateDir)}`,
      ``,
      `[detect.ipv4]`,
      `# Three independent "what is my IP" services; at least two must agree on the answer.`,
      `sources = [${echoes.map((echo) => toml(echo.url)).join(", ")}]`,
      `quorum = 2`,
      ``,
      `[providers.dh]`,
      `type = "dreamhost"`,
      `api_key_file = ${toml(keyFile)}`,
      `endpoint = ${toml(emulator.url)}`,
      ``,
      `[[records]]`,
      `name = ${toml(NAME)}`,
      `provider = "dh"`,
      `ipv4 = true`,
      `ipv6 = false`,
      ``,
    ].join("\n");
    await writeFile(configFile, config, { mode: 0o600 });

    say(`- A DreamHost API emulator at ${emulator.url}, accepting the demo key, with the zone ${ZONE}.`);
    say(
      `  It already holds ${HOSTING_ROW.record} ${HOSTING_ROW.type} ${HOSTING_ROW.value}, a row DreamHost manages itself`,
    );
    say(`  for web hosting (editable:"0"); homing must leave such rows alone.`);
    say(`- Three IP echo services, each answering "your address is ${FIRST_ADDRESS}":`);
    for (const echo of echoes) say(`    ${echo.url}`);
    say(`- A temporary directory ${dir} holding:`);
    say(`    dreamhost.key  the API key (mode 0600: only you can read it)`);
    say(`    state/         homing's cache and lock`);
    say(`    homing.toml    the config:`);
    say(indent(config, "      | "));
    say(`- The CLI runs with HOMING_* variables removed from its environment, so only this config counts.`);

    const env = childEnv();
    const cli = async (...args: string[]): Promise<CliResult> => {
      const before = emulator.requests.length;
      const result = await runProcess([BIN, ...args], env);
      return {
        ...result,
        command: ["node", BIN, ...args].join(" "),
        calls: emulator.requests.slice(before),
      };
    };
    const homeRows = () => emulator.records().filter((row) => row.record === NAME && row.type === "A");
    const hostingRowIntact = () =>
      emulator
        .records()
        .some(
          (row) =>
            row.record === HOSTING_ROW.record &&
            row.type === HOSTING_ROW.type &&
            row.value === HOSTING_ROW.value &&
            row.editable === "0",
        );

    // Step 1 -----------------------------------------------------------------------------------------
    heading(`Step 1: the first run creates ${NAME}`);
    say(`homing asks the echo services for the public address (they agree on ${FIRST_ADDRESS}), lists the`);
    say(`zone at DreamHost, sees no A record for ${NAME}, and adds one. A run prints one line per change.`);
    const first = await cli("run", "-c", configFile);
    showResult(first);
    showZone(emulator);
    {
      const problems: string[] = [];
      expect(problems, first.code === 0, `exit code ${first.code}, expected 0`);
      expect(
        problems,
        first.stdout.includes(`${NAME} A created ${FIRST_ADDRESS}`),
        `stdout should announce "${NAME} A created ${FIRST_ADDRESS}"`,
      );
      const rows = homeRows();
      expect(
        problems,
        rows.length === 1 && rows[0]?.value === FIRST_ADDRESS,
        `the zone should hold exactly ${NAME} A ${FIRST_ADDRESS}, it holds [${rows.map((r) => r.value).join(", ")}]`,
      );
      expect(
        problems,
        first.calls.some((c) => c.cmd === "dns-add_record" && c.result === "success"),
        "expected a successful dns-add_record call",
      );
      expect(problems, hostingRowIntact(), `the DreamHost-managed ${HOSTING_ROW.record} row changed`);
      if (hostingRowIntact())
        say(`  DreamHost's own row ${HOSTING_ROW.record} A ${HOSTING_ROW.value} was left alone.`);
      settle("Step 1", problems);
    }

    // Step 2 -----------------------------------------------------------------------------------------
    heading("Step 2: the next run, with the address unchanged, does nothing at all");
    say("This is what cron sees every few minutes. homing still asks the echo services, but the address");
    say("matches what it published and verified recently (the state file remembers), so it neither calls");
    say("DreamHost nor prints anything: cron has nothing to mail you.");
    const echoHitsBefore = echoes.reduce((sum, echo) => sum + echo.hits, 0);
    const second = await cli("run", "-c", configFile);
    const echoHits = echoes.reduce((sum, echo) => sum + echo.hits, 0) - echoHitsBefore;
    showResult(second);
    say(`  The echo services were asked ${echoHits} time(s): detection still ran.`);
    {
      const problems: string[] = [];
      expect(problems, second.code === 0, `exit code ${second.code}, expected 0`);
      expect(problems, second.stdout === "", `stdout should be empty, got ${JSON.stringify(second.stdout)}`);
      expect(problems, second.stderr === "", `stderr should be empty, got ${JSON.stringify(second.stderr)}`);
      expect(
        problems,
        second.calls.length === 0,
        `expected 0 DreamHost API calls, saw ${second.calls.length}`,
      );
      expect(
        problems,
        echoHits >= 2,
        `expected the echo services to be asked at least twice, saw ${echoHits}`,
      );
      settle("Step 2", problems);
    }

    // Step 3 -----------------------------------------------------------------------------------------
    heading(`Step 3: the address changes to ${SECOND_ADDRESS}, and the next run updates the record`);
    say(`Your ISP hands out a new address: the echo services now answer ${SECOND_ADDRESS}.`);
    say("DreamHost's API has no 'update' call, only add and remove. homing adds the new address first");
    say("and removes the old one only after the add succeeded, so the name never points at nothing.");
    for (const echo of echoes) echo.set({ answer: SECOND_ADDRESS });
    const third = await cli("run", "-c", configFile);
    showResult(third);
    showZone(emulator);
    {
      const problems: string[] = [];
      expect(problems, third.code === 0, `exit code ${third.code}, expected 0`);
      expect(
        problems,
        third.stdout.includes(`${NAME} A ${FIRST_ADDRESS} -> ${SECOND_ADDRESS}`),
        `stdout should announce "${NAME} A ${FIRST_ADDRESS} -> ${SECOND_ADDRESS}"`,
      );
      const addAt = third.calls.findIndex(
        (c) => c.cmd === "dns-add_record" && c.params.value === SECOND_ADDRESS && c.result === "success",
      );
      const removeAt = third.calls.findIndex(
        (c) => c.cmd === "dns-remove_record" && c.params.value === FIRST_ADDRESS && c.result === "success",
      );
      expect(problems, addAt !== -1, `expected a successful dns-add_record of ${SECOND_ADDRESS}`);
      expect(problems, removeAt !== -1, `expected a successful dns-remove_record of ${FIRST_ADDRESS}`);
      expect(
        problems,
        addAt === -1 || removeAt === -1 || addAt < removeAt,
        `the remove (call ${removeAt + 1}) came before the add (call ${addAt + 1})`,
      );
      const rows = homeRows();
      expect(
        problems,
        rows.length === 1 && rows[0]?.value === SECOND_ADDRESS,
        `the zone should hold exactly ${NAME} A ${SECOND_ADDRESS}, it holds [${rows.map((r) => r.value).join(", ")}]`,
      );
      expect(problems, hostingRowIntact(), `the DreamHost-managed ${HOSTING_ROW.record} row changed`);
      if (hostingRowIntact())
        say(`  DreamHost's own row ${HOSTING_ROW.record} A ${HOSTING_ROW.value} was left alone.`);
      if (addAt !== -1 && removeAt !== -1 && addAt < removeAt) {
        say(`  Order check: the add was call ${addAt + 1}, the remove call ${removeAt + 1}: add first.`);
      }
      settle("Step 3", problems);
    }

    // Step 4 -----------------------------------------------------------------------------------------
    heading("Step 4: homing status reports what the last runs did");
    say("status reads only the state file: no detection, no API call. Handy when you wonder what cron did.");
    const status = await cli("status", "-c", configFile);
    showResult(status);
    {
      const problems: string[] = [];
      expect(problems, status.code === 0, `exit code ${status.code}, expected 0`);
      expect(
        problems,
        status.stdout.includes(NAME) && status.stdout.includes(SECOND_ADDRESS),
        `status should mention ${NAME} and ${SECOND_ADDRESS}`,
      );
      expect(
        problems,
        status.calls.length === 0,
        `expected 0 DreamHost API calls, saw ${status.calls.length}`,
      );
      settle("Step 4", problems);
    }

    // Step 5 -----------------------------------------------------------------------------------------
    heading("Step 5: homing detect shows how the address was decided");
    say("detect asks the sources and shows each one's answer. Once two of the three agree the result");
    say('cannot change, so the slowest source may be cancelled and show up as "not needed".');
    const detect = await cli("detect", "-c", configFile);
    showResult(detect);
    {
      const problems: string[] = [];
      expect(problems, detect.code === 0, `exit code ${detect.code}, expected 0`);
      expect(
        problems,
        detect.stdout.includes(`IPv4: ${SECOND_ADDRESS}`),
        `detect should print "IPv4: ${SECOND_ADDRESS}"`,
      );
      expect(
        problems,
        detect.calls.length === 0,
        `expected 0 DreamHost API calls, saw ${detect.calls.length}`,
      );
      settle("Step 5", problems);
    }

    heading("Done: every step behaved as expected");
    say(`To try it for real: \`./bin/homing init\` asks for your DNS service, its key (saved to a file`);
    say(`only you can read), your names and how to find the address, then checks and dry-runs the config;`);
    say(`\`./bin/homing run\` does it (cron, systemd and Docker: the README's "Running it").`);
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\nDEMO FAILED: ${message}\n`);
    if (!(error instanceof StepFailure) && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exit(1);
  },
);
