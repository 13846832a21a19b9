/**
 * Packaging: the systemd units (packaging/systemd), the Dockerfile with its .dockerignore, and the
 * compose example (packaging/docker/compose.yaml).
 *
 * Static checks always run: every unit parses, the daemon unit carries the whole sandbox and the
 * oneshot unit the same one, no secret sits in any file, the image is multi-stage, non-root, has a
 * health check and copies only what the bundle needs, and the compose service is read-only,
 * capability-free and configured only through HOMING_* variables plus a secret file (which the
 * built CLI then accepts). `systemd-analyze verify` runs on the three units when it is installed.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDreamHostEmulator } from "../emulators/dreamhost.ts";
import {
  ACCOUNT,
  canaryKey,
  cleanEnv,
  DNS_CMDS,
  REPO_ROOT,
  runCli,
  runProcess,
  ZONE,
} from "../support/harness.ts";

const SYSTEMD_DIR = join(REPO_ROOT, "packaging", "systemd");
const UNIT_FILES = ["homing.service", "homing-run.service", "homing-run.timer"] as const;
const DOCKERFILE = join(REPO_ROOT, "Dockerfile");
const DOCKERIGNORE = join(REPO_ROOT, ".dockerignore");
const COMPOSE = join(REPO_ROOT, "packaging", "docker", "compose.yaml");
const SERVICE_DOC = join(REPO_ROOT, "docs", "service.md");

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "homing-packaging-"));
  temps.push(dir);
  return dir;
}

// ------------------------------------------------------------------------------------------------
// systemd unit files

interface Unit {
  /** Section name → its settings in file order (a key may repeat, e.g. SystemCallFilter=). */
  sections: Map<string, Array<[key: string, value: string]>>;
}

/** Parses a unit file the way systemd reads it: sections, Key=Value, comments, `\` continuations. */
function parseUnit(text: string, file: string): Unit {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  const raw = text.split("\n");
  for (let index = 0; index < raw.length; index++) {
    let line = raw[index]!.trim();
    const where = `${file}:${index + 1}`;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    while (line.endsWith("\\") && index + 1 < raw.length) {
      index++;
      line = `${line.slice(0, -1)} ${raw[index]!.trim()}`;
    }
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      if (sections.has(header[1]!)) throw new Error(`${where}: section [${header[1]}] appears twice`);
      current = [];
      sections.set(header[1]!, current);
      continue;
    }
    const setting = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!setting) throw new Error(`${where}: neither a [Section] nor Key=Value: ${line}`);
    if (!current) throw new Error(`${where}: setting before the first [Section]`);
    current.push([setting[1]!, setting[2]!.trim()]);
  }
  return { sections };
}

function readUnit(name: string): Unit {
  return parseUnit(readFileSync(join(SYSTEMD_DIR, name), "utf8"), name);
}

/** Every value of `key` in `section`, in order. */
function values(unit: Unit, section: string, key: string): string[] {
  return (unit.sections.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}

/** The single value of `key`; fails when it is missing or set twice. */
function single(unit: Unit, section: string, key: string): string {
  const found = values(unit, section, key);
  expect(found, `[${section}] ${key}= should be set exactly once`).toHaveLength(1);
  return found[0]!;
}

/** The sandbox the daemon unit must carry, with the exact value each directive must have. */
const REQUIRED_HARDENING: Record<string, string> = {
  DynamicUser: "yes",
  NoNewPrivileges: "yes",
  ProtectSystem: "strict",
  ProtectHome: "yes",
  PrivateTmp: "yes",
  PrivateDevices: "yes",
  ProtectKernelTunables: "yes",
  ProtectKernelModules: "yes",
  ProtectKernelLogs: "yes",
  ProtectControlGroups: "yes",
  ProtectClock: "yes",
  ProtectHostname: "yes",
  ProtectProc: "invisible",
  ProcSubset: "pid",
  RestrictNamespaces: "yes",
  RestrictRealtime: "yes",
  RestrictSUIDSGID: "yes",
  LockPersonality: "yes",
  RemoveIPC: "yes",
  CapabilityBoundingSet: "",
  AmbientCapabilities: "",
  SystemCallArchitectures: "native",
  UMask: "0077",
  StateDirectory: "homing",
};

/** Directives that make up the sandbox; the oneshot unit must set each exactly as the daemon does. */
const SANDBOX_KEYS = [
  ...Object.keys(REQUIRED_HARDENING),
  "User",
  "Group",
  "StateDirectoryMode",
  "RestrictAddressFamilies",
  "SystemCallFilter",
  "SystemCallErrorNumber",
  "MemoryDenyWriteExecute",
  "LoadCredential",
  "Environment",
];

/** Lines that would carry a secret: a key itself rather than a file holding it. */
function secretProblems(text: string, file: string): string[] {
  const problems: string[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const where = `${file}:${index + 1}`;
    // HOMING_..._API_KEY=value, _TOKEN=, _PASSWORD=, _SECRET= (the *_FILE forms name a file: fine)
    for (const match of line.matchAll(
      /\b(HOMING_[A-Z0-9_]*?(?:API_KEY|TOKEN|PASSWORD|SECRET))\b(?!_FILE)/g,
    )) {
      problems.push(`${where}: sets ${match[1]} itself; use ${match[1]}_FILE`);
    }
    if (/\bSetCredential(?:Encrypted)?=/.test(line))
      problems.push(`${where}: SetCredential= embeds a secret`);
    // A DreamHost-shaped key (16 of [A-Z0-9] with digits and letters) or a long random token.
    for (const word of line.match(/[A-Za-z0-9_+/-]{16,}/g) ?? []) {
      const dreamhostKey = /^[A-Z0-9]{16}$/.test(word) && /\d/.test(word) && /[A-Z]/.test(word);
      const digits = word.replace(/\D/g, "").length;
      const randomToken = word.length >= 24 && digits >= 2 && /[a-z]/.test(word) && /[A-Z]/.test(word);
      if (dreamhostKey || randomToken) problems.push(`${where}: looks like a secret: ${word.slice(0, 4)}…`);
    }
  }
  return problems;
}

describe("systemd units", () => {
  it("every unit parses as a unit file with the sections its type needs", () => {
    for (const name of UNIT_FILES) {
      const unit = readUnit(name);
      const expected = name.endsWith(".timer") ? ["Unit", "Timer", "Install"] : ["Unit", "Service"];
      for (const section of expected) expect(unit.sections.has(section), `${name}: [${section}]`).toBe(true);
      for (const section of unit.sections.keys()) {
        expect(["Unit", "Service", "Timer", "Install"], `${name}: [${section}]`).toContain(section);
      }
      expect(values(unit, "Unit", "Description"), `${name}: Description=`).toHaveLength(1);
    }
  });

  it("the daemon unit runs `homing daemon` as a simple, reloadable, restarting service", () => {
    const unit = readUnit("homing.service");
    expect(single(unit, "Service", "Type")).toBe("simple");
    expect(single(unit, "Service", "ExecStart")).toMatch(
      /^\/usr\/local\/bin\/homing daemon -c \/etc\/homing\/config\.toml$/,
    );
    expect(single(unit, "Service", "ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(single(unit, "Service", "Restart")).toBe("on-failure");
    expect(single(unit, "Service", "RestartSec")).toMatch(/^\d+s?$/);
    expect(values(unit, "Unit", "Wants")).toContain("network-online.target");
    expect(values(unit, "Unit", "After")).toContain("network-online.target");
    expect(single(unit, "Install", "WantedBy")).toBe("multi-user.target");
  });

  it("the daemon unit carries the whole sandbox, with no capability and no W^X ban", () => {
    const unit = readUnit("homing.service");
    for (const [key, value] of Object.entries(REQUIRED_HARDENING)) {
      expect(single(unit, "Service", key), `${key}=`).toBe(value);
    }
    // Empty capability sets, and no second line that would add capabilities back.
    expect(values(unit, "Service", "CapabilityBoundingSet")).toEqual([""]);
    expect(values(unit, "Service", "AmbientCapabilities")).toEqual([""]);
    const families = single(unit, "Service", "RestrictAddressFamilies").split(/\s+/);
    expect(families).toEqual(expect.arrayContaining(["AF_INET", "AF_INET6", "AF_UNIX"]));
    expect(
      families.every((family) => ["AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"].includes(family)),
    ).toBe(true);
    const filters = values(unit, "Service", "SystemCallFilter");
    expect(filters.some((f) => !f.startsWith("~") && f.split(/\s+/).includes("@system-service"))).toBe(true);
    const denied = filters.filter((f) => f.startsWith("~")).flatMap((f) => f.slice(1).split(/\s+/));
    expect(denied).toEqual(expect.arrayContaining(["@privileged", "@resources"]));
    // V8's JIT needs writable-then-executable memory: this option would stop node at startup.
    expect(values(unit, "Service", "MemoryDenyWriteExecute").filter((v) => v !== "no")).toEqual([]);
  });

  it("the key reaches the service as a credential, and the environment names only its file", () => {
    for (const name of ["homing.service", "homing-run.service"]) {
      const unit = readUnit(name);
      const credentials = values(unit, "Service", "LoadCredential").map((v) => v.split(":")[0]);
      const environment = values(unit, "Service", "Environment");
      expect(credentials, name).toContain("dreamhost.key");
      expect(environment, name).toContain("HOMING_PROVIDERS_DH_API_KEY_FILE=%d/dreamhost.key");
      for (const line of environment) {
        const reference = /=%d\/(.+)$/.exec(line);
        if (reference) expect(credentials, `${name}: ${line}`).toContain(reference[1]);
      }
    }
  });

  it("the oneshot unit and its timer run one cycle in the same sandbox as the daemon", () => {
    const daemon = readUnit("homing.service");
    const run = readUnit("homing-run.service");
    expect(single(run, "Service", "Type")).toBe("oneshot");
    expect(single(run, "Service", "ExecStart")).toMatch(
      /^\/usr\/local\/bin\/homing run -c \/etc\/homing\/config\.toml$/,
    );
    for (const key of SANDBOX_KEYS) {
      expect(values(run, "Service", key), `homing-run.service ${key}=`).toEqual(
        values(daemon, "Service", key),
      );
    }
    // Whatever other sandboxing line the daemon gains, the oneshot unit must have it too.
    const extra = ["Type", "ExecStart", "ExecReload", "Restart", "RestartSec", "RestartPreventExitStatus"];
    for (const [key] of daemon.sections.get("Service") ?? []) {
      if (extra.includes(key) || key.startsWith("Timeout")) continue;
      expect(values(run, "Service", key), `homing-run.service ${key}=`).toEqual(
        values(daemon, "Service", key),
      );
    }
    const timer = readUnit("homing-run.timer");
    expect(values(timer, "Timer", "Unit").every((u) => u === "homing-run.service")).toBe(true);
    expect(single(timer, "Timer", "OnUnitActiveSec")).toMatch(/^\d+(min|m|s|h)$/);
    expect(single(timer, "Install", "WantedBy")).toBe("timers.target");
  });

  it("no unit hard-codes a checkout path: ExecStart= is the global install's, Documentation= the man page", () => {
    for (const name of UNIT_FILES) {
      const text = readFileSync(join(SYSTEMD_DIR, name), "utf8");
      expect(text, name).not.toContain("/opt/homing");
      expect(values(readUnit(name), "Unit", "Documentation"), name).toEqual(["man:homing(1)"]);
    }
  });

  it("no unit holds a secret", () => {
    for (const name of UNIT_FILES) {
      expect(secretProblems(readFileSync(join(SYSTEMD_DIR, name), "utf8"), name)).toEqual([]);
    }
  });

  const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  const analyzeMissing = analyze.error !== undefined || analyze.status !== 0;

  /**
   * Copies the units into a temp dir and runs `systemd-analyze verify` on them. verify insists that
   * each Exec*= binary exists, so a binary this machine lacks (no /usr/bin/node when Node comes from
   * nvm) is replaced by this process's node; every other byte of the unit is verified as written.
   */
  async function verifyUnits(edit?: (name: string, text: string) => string) {
    const dir = await tempDir();
    const substituted: string[] = [];
    for (const name of UNIT_FILES) {
      let text = readFileSync(join(SYSTEMD_DIR, name), "utf8");
      text = text.replace(/^(Exec[A-Za-z]+=[-@:+!|]*)(\S+)/gm, (line, prefix: string, binary: string) => {
        try {
          accessSync(binary, constants.X_OK);
          return line;
        } catch {
          substituted.push(`${name}: ${binary} -> ${process.execPath}`);
          return `${prefix}${process.execPath}`;
        }
      });
      await writeFile(join(dir, name), edit ? edit(name, text) : text);
    }
    const help = spawnSync("systemd-analyze", ["--help"], { encoding: "utf8" }).stdout ?? "";
    const args = ["verify", "--man=no"];
    if (help.includes("--generators")) args.push("--generators=no");
    if (help.includes("--recursive-errors")) args.push("--recursive-errors=no");
    args.push(...UNIT_FILES.map((name) => join(dir, name)));
    const result = spawnSync("systemd-analyze", args, { encoding: "utf8", cwd: dir });
    const output = `${result.stdout}${result.stderr}`;
    // verify also reports problems of host units it loads as dependencies; only ours count.
    const ours = output
      .split("\n")
      .filter((line) => line.includes(dir) || /\bhoming(-run)?\.(service|timer)\b/.test(line));
    return { status: result.status, output, ours, substituted };
  }

  it("systemd-analyze verify accepts all three units", async (context) => {
    context.skip(
      analyzeMissing,
      "systemd-analyze is not installed: the unit syntax was not verified by systemd (the static checks above still ran)",
    );
    const { status, output, ours, substituted } = await verifyUnits();
    if (substituted.length) console.info(`systemd-analyze verify: substituted ${substituted.join("; ")}`);
    expect(ours, output).toEqual([]);
    expect(status, output).toBe(0);
  });

  it("systemd-analyze verify really checks the syntax here (a broken copy is refused)", async (context) => {
    context.skip(analyzeMissing, "systemd-analyze is not installed");
    const { ours } = await verifyUnits((name, text) =>
      name === "homing.service"
        ? text
            .replace("ProtectSystem=strict", "ProtectSystem=stirct")
            .replace("[Service]", "[Service]\nHardenMe=yes")
        : text,
    );
    expect(ours.join("\n")).toMatch(/stirct/);
    expect(ours.join("\n")).toMatch(/HardenMe/);
  });
});

// ------------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Splits a Dockerfile into instructions (comments and `\` continuations handled), numbering stages. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let stage = -1;
  let pending = "";
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    pending += pending ? ` ${line}` : line;
    if (pending.endsWith("\\")) {
      pending = pending.slice(0, -1).trimEnd();
      continue;
    }
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(pending);
    if (!match) throw new Error(`Dockerfile: cannot read instruction: ${pending}`);
    const keyword = match[1]!.toUpperCase();
    if (keyword === "FROM") stage++;
    instructions.push({ keyword, args: match[2]!.trim(), stage });
    pending = "";
  }
  if (pending) throw new Error(`Dockerfile: unfinished instruction: ${pending}`);
  return instructions;
}

function dockerfile() {
  const text = readFileSync(DOCKERFILE, "utf8");
  const instructions = parseDockerfile(text);
  const last = Math.max(...instructions.map((i) => i.stage));
  return { text, instructions, final: instructions.filter((i) => i.stage === last), last };
}

/** `.dockerignore` is an allow-list: `*`, then `!path` lines. Does it send `path` to the builder? */
function contextIncludes(ignore: string, path: string): boolean {
  let included = true;
  for (const rawLine of ignore.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, "");
    // Docker's rules: `*` and `?` stay within one path segment, `**` spans any number of them,
    // and a pattern that matches a directory covers everything under it.
    const body = pattern
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((part) =>
        part === "**/"
          ? "(?:.*/)?"
          : part === "**"
            ? ".*"
            : part === "*"
              ? "[^/]*"
              : part === "?"
                ? "[^/]"
                : part.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
      )
      .join("");
    const regex = new RegExp(`^${body}(?:/.*)?$`);
    if (regex.test(path)) included = negated;
  }
  return included;
}

/**
 * dist/homing.cjs as built by the global setup. A build started meanwhile (scripts/build.mjs
 * empties dist/ first) can make it vanish for a moment, so wait for it a little.
 */
async function readBundle(): Promise<string> {
  const path = join(REPO_ROOT, "dist", "homing.cjs");
  for (let attempt = 0; ; attempt++) {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if (attempt >= 100 || (error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe("Dockerfile", () => {
  it("builds in stages: the dependencies and esbuild stay in the build stage", () => {
    const { instructions, final, last } = dockerfile();
    const froms = instructions.filter((i) => i.keyword === "FROM");
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.args).toMatch(/\sAS\s+build$/i);
    const args = instructions.filter((i) => i.keyword === "ARG" && i.stage === -1).map((i) => i.args);
    // Pinned by tag (never :latest or untagged), the Node line homing supports.
    const image = args.find((a) => a.startsWith("NODE_IMAGE="))?.slice("NODE_IMAGE=".length);
    for (const from of froms) {
      const ref = from.args.split(/\s+/)[0]!.replace(/^\$\{NODE_IMAGE\}$/, image ?? "");
      expect(ref, from.args).toMatch(/^node:20[\w.-]*-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
    const buildRuns = instructions.filter((i) => i.stage === 0 && i.keyword === "RUN").map((i) => i.args);
    expect(buildRuns.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(buildRuns.some((r) => /\bnpm run build\b|scripts\/build\.mjs/.test(r))).toBe(true);
    // The runtime stage takes only bin/ and dist/ from the build: no node_modules, no sources.
    const copies = final.filter((i) => i.keyword === "COPY" || i.keyword === "ADD");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      expect(copy.args, copy.args).toMatch(/^--from=build\s+\/src\/(bin|dist)\/\s/);
    }
    expect(last).toBeGreaterThan(0);
    expect(final.some((i) => /node_modules/.test(i.args))).toBe(false);
  });

  it("the bundle needs no node_modules at run time: its only require() calls are node: built-ins", async () => {
    const bundle = await readBundle();
    const requires = [...bundle.matchAll(/\brequire\(([^)]*)\)/g)].map((m) => m[1]!);
    expect(requires.length).toBeGreaterThan(0);
    expect(requires.filter((arg) => !/^"node:[a-z_/]+"$/.test(arg))).toEqual([]);
  });

  it("runs as a fixed non-root user, with the state in a volume and a health check", () => {
    const { final } = dockerfile();
    const users = final.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(user).toMatch(/^10001(:10001)?$/);
    const env = final.filter((i) => i.keyword === "ENV").map((i) => i.args);
    expect(env.join(" ")).toMatch(/\bHOMING_STATE_DIR=\/var\/lib\/homing\b/);
    expect(final.find((i) => i.keyword === "VOLUME")?.args).toMatch(/"\/var\/lib\/homing"/);
    expect(final.find((i) => i.keyword === "ENTRYPOINT")?.args).toBe('["node", "/app/bin/homing"]');
    expect(final.find((i) => i.keyword === "CMD")?.args).toBe('["daemon"]');
    const healthchecks = final.filter((i) => i.keyword === "HEALTHCHECK");
    expect(healthchecks).toHaveLength(1);
    // Exec form, without curl or wget (the slim image has neither).
    expect(healthchecks[0]!.args).toMatch(/\bCMD \["node", "\/app\/bin\/homing", "status"\]$/);
  });

  it("the build context is an allow-list that carries every COPY source and no config or key", () => {
    const { instructions } = dockerfile();
    const ignore = readFileSync(DOCKERIGNORE, "utf8");
    const sources = instructions
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
      .map((s) => s.replace(/\/$/, ""));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(contextIncludes(ignore, source), source).toBe(true);
    expect(contextIncludes(ignore, "src/main.ts")).toBe(true);
    expect(contextIncludes(ignore, "bin/homing")).toBe(true);
    for (const path of [
      "homing.toml",
      "dreamhost.key",
      "packaging/docker/dh_api_key",
      ".env",
      ".git/config",
      "node_modules/smol-toml/package.json",
      "dist/homing.cjs",
      "state/state.json",
      "src/core/ip.test.ts",
    ]) {
      expect(contextIncludes(ignore, path), path).toBe(false);
    }
  });

  it("holds no secret", () => {
    const { text, instructions } = dockerfile();
    expect(secretProblems(text, "Dockerfile")).toEqual([]);
    for (const i of instructions.filter((x) => x.keyword === "ENV" || x.keyword === "ARG")) {
      expect(i.args, i.args).not.toMatch(/(KEY|TOKEN|PASSWORD|SECRET)(?!_FILE)\w*=/i);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// compose.yaml, read with a small YAML subset parser (no dependency for one file)

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface YamlLine {
  indent: number;
  text: string;
  number: number;
}

/** Drops a trailing comment: a `#` after whitespace, outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function splitFlow(inner: string): string[] {
  const items: string[] = [];
  let quote: string | undefined;
  let current = "";
  for (const c of inner) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ",") {
      items.push(current.trim());
      current = "";
      continue;
    }
    current += c;
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

function yamlScalar(text: string, where: string): Yaml {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) {
    if (!text.endsWith("'")) throw new Error(`${where}: unterminated string`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw new Error(`${where}: unterminated flow sequence`);
    return splitFlow(text.slice(1, -1)).map((item) => yamlScalar(item, where));
  }
  if (/^[{&*!|>%@`]/.test(text)) throw new Error(`${where}: outside the YAML subset: ${text}`);
  if (text === "true" || text === "false") return text === "true";
  if (text === "null" || text === "~" || text === "") return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  return text;
}

const KEY = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/;

/**
 * Block mappings, block sequences (of scalars or of mappings), flow sequences of scalars, quoted
 * and plain scalars, comments. Anything else (anchors, block scalars, tabs, flow mappings) throws,
 * so the compose file stays in what this reads.
 */
function parseYaml(source: string): Yaml {
  const lines: YamlLine[] = [];
  for (const [index, raw] of source.split("\n").entries()) {
    if (/^\s*\t/.test(raw)) throw new Error(`line ${index + 1}: tab indentation`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === "") continue;
    if (text.trim() === "---" || text.trim() === "...")
      throw new Error(`line ${index + 1}: one document only`);
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: index + 1 });
  }
  let position = 0;

  function block(indent: number): Yaml {
    const first = lines[position];
    if (!first || first.indent < indent) return null;
    return first.text === "-" || first.text.startsWith("- ") ? sequence(first.indent) : mapping(first.indent);
  }

  function mapping(indent: number, seed?: Record<string, Yaml>): Record<string, Yaml> {
    const result: Record<string, Yaml> = seed ?? {};
    while (position < lines.length && lines[position]!.indent === indent) {
      const line = lines[position]!;
      const match = KEY.exec(line.text);
      if (!match) throw new Error(`line ${line.number}: expected "key: value", got: ${line.text}`);
      const key = match[1]!;
      if (key in result) throw new Error(`line ${line.number}: duplicate key ${key}`);
      position++;
      const rest = match[2]?.trim() ?? "";
      if (rest !== "") result[key] = yamlScalar(rest, `line ${line.number}`);
      else {
        const next = lines[position];
        const nested =
          next && (next.indent > indent || (next.indent === indent && next.text.startsWith("- ")));
        result[key] = nested ? block(next.indent) : null;
      }
    }
    const stray = lines[position];
    if (stray && stray.indent > indent) throw new Error(`line ${stray.number}: unexpected indentation`);
    return result;
  }

  function sequence(indent: number): Yaml[] {
    const result: Yaml[] = [];
    while (position < lines.length && lines[position]!.indent === indent) {
      const line = lines[position]!;
      if (!(line.text === "-" || line.text.startsWith("- "))) break;
      const rest = line.text.slice(1).trim();
      position++;
      if (rest === "") {
        result.push(block(indent + 1));
        continue;
      }
      const match = KEY.exec(rest);
      if (match) {
        // "- key: value" starts a mapping whose further keys are indented to the first key.
        const itemIndent = indent + (line.text.length - rest.length);
        const seed: Record<string, Yaml> = {};
        if (match[2]?.trim()) seed[match[1]!] = yamlScalar(match[2].trim(), `line ${line.number}`);
        else seed[match[1]!] = block(itemIndent + 1);
        result.push(mapping(itemIndent, seed));
      } else result.push(yamlScalar(rest, `line ${line.number}`));
    }
    return result;
  }

  const document = block(0);
  if (position < lines.length) throw new Error(`line ${lines[position]!.number}: unexpected content`);
  return document;
}

function asMap(value: Yaml | undefined, what: string): Record<string, Yaml> {
  expect(value !== null && typeof value === "object" && !Array.isArray(value), `${what} is a mapping`).toBe(
    true,
  );
  return value as Record<string, Yaml>;
}

function compose() {
  const text = readFileSync(COMPOSE, "utf8");
  const document = asMap(parseYaml(text), "compose.yaml");
  const services = asMap(document.services, "services");
  return { text, document, homing: asMap(services.homing, "services.homing") };
}

describe("the YAML subset reader", () => {
  it("reads nested mappings, sequences and scalars, and refuses what it does not know", () => {
    expect(
      parseYaml(
        'a:\n  b: "x # not a comment"  # comment\n  c: [ALL, "two"]\n  d:\n    - one\n    - k: 1\n      l: true\n  e:\n',
      ),
    ).toEqual({ a: { b: "x # not a comment", c: ["ALL", "two"], d: ["one", { k: 1, l: true }], e: null } });
    expect(() => parseYaml("a: &anchor 1\n")).toThrow(/subset/);
    expect(() => parseYaml("a: 1\na: 2\n")).toThrow(/duplicate/);
    expect(() => parseYaml("a: |\n  text\n")).toThrow(/subset/);
  });
});

describe("compose.yaml", () => {
  it("parses, and the service is read-only, unprivileged and capability-free", () => {
    const { homing } = compose();
    expect(homing.read_only).toBe(true);
    expect(homing.user).toBe("10001:10001");
    expect(homing.cap_drop).toEqual(["ALL"]);
    expect(homing.cap_add).toBeUndefined();
    expect(homing.privileged === undefined || homing.privileged === false).toBe(true);
    expect(homing.security_opt).toContain("no-new-privileges:true");
    expect(homing.command).toEqual(["daemon"]);
  });

  it("gives the state directory a volume or tmpfs, and nothing else is writable", () => {
    const { document, homing } = compose();
    const environment = asMap(homing.environment, "environment");
    const stateDir = String(environment.HOMING_STATE_DIR ?? "/var/lib/homing");
    const volumes = ((homing.volumes ?? []) as Yaml[]).map(String);
    const tmpfs = ((homing.tmpfs ?? []) as Yaml[]).map(String);
    const mounts = [...volumes.map((v) => v.split(":")[1]), ...tmpfs.map((t) => t.split(":")[0])];
    expect(mounts).toContain(stateDir);
    for (const volume of volumes) {
      const [source, target, mode] = volume.split(":");
      if (target !== stateDir) expect(mode, `${volume} should be read-only`).toBe("ro");
      // A named volume, declared at the top level (a bind mount of the host would be writable too).
      if (target === stateDir) expect(asMap(document.volumes, "volumes")).toHaveProperty(source!);
    }
    for (const entry of tmpfs) expect(entry.split(":")[0]).toMatch(/^\/tmp$|^\/var\/lib\/homing$/);
  });

  it("configures homing only through HOMING_* variables, with the key in a secret file", () => {
    const { document, homing } = compose();
    expect(homing.env_file).toBeUndefined();
    const environment = asMap(homing.environment, "environment");
    const names = Object.keys(environment);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^HOMING_[A-Z0-9_]+$/);
    expect(names).not.toContain("HOMING_CONFIG");
    for (const [name, value] of Object.entries(environment)) {
      expect(typeof value === "string" || typeof value === "number" || typeof value === "boolean", name).toBe(
        true,
      );
      if (/(API_KEY|TOKEN|PASSWORD|SECRET)$/.test(name))
        throw new Error(`${name} puts a secret in the environment`);
      if (name.endsWith("_FILE")) expect(String(value), name).toMatch(/^\/run\/secrets\/[\w.-]+$/);
    }
    const keyFile = String(environment.HOMING_PROVIDERS_DH_API_KEY_FILE);
    const secretName = keyFile.slice("/run/secrets/".length);
    expect(homing.secrets).toContain(secretName);
    const secrets = asMap(document.secrets, "secrets");
    expect(asMap(secrets[secretName], `secrets.${secretName}`).file).toMatch(/^\/|^\.\.?\//);
    expect(secretProblems(readFileSync(COMPOSE, "utf8"), "compose.yaml")).toEqual([]);
  });

  it("the built CLI accepts that environment as a complete config, and the health check passes on it", async () => {
    const { homing } = compose();
    const home = await tempDir();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(asMap(homing.environment, "environment")))
      env[name] = String(value);
    env.HOMING_STATE_DIR = join(home, "state");
    // The image's HEALTHCHECK: `homing status` with the container's environment and no config file.
    // Before the first round it fails ("no run yet"); after a good round it passes.
    const before = await runCli(["status"], home, { env });
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/no run yet/);
    expect(before.stderr).not.toMatch(/error/);
    mkdirSync(env.HOMING_STATE_DIR, { recursive: true });
    const at = new Date().toISOString();
    const entry = { provider: "dh", name: "home.example.com", type: "A", published: "81.2.69.142" };
    const record = { ...entry, verifiedAt: at, changedAt: null, lastRunAt: at, lastResult: "unchanged" };
    writeFileSync(
      join(env.HOMING_STATE_DIR, "state.json"),
      JSON.stringify({
        version: 1,
        records: { "dh/home.example.com/A": { ...record, lastError: null, failures: 0 } },
        providers: {},
        detection: {},
        history: [],
      }),
    );
    const result = await runCli(["status"], home, { env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/home\.example\.com A \(dh\)/);
  });

  it("every HOMING_* variable of the example is explained in docs/service.md", () => {
    const { homing } = compose();
    const doc = existsSync(SERVICE_DOC) ? readFileSync(SERVICE_DOC, "utf8") : "";
    for (const name of Object.keys(asMap(homing.environment, "environment"))) {
      expect(doc, `docs/service.md mentions ${name}`).toContain(name);
    }
  });
});

describe("docs/service.md", () => {
  it("covers the daemon unit, the timer, the signals, Docker and the read-only root", async () => {
    const doc = await readFile(SERVICE_DOC, "utf8");
    for (const needle of [
      "homing.service",
      "homing-run.timer",
      "SIGHUP",
      "SIGUSR1",
      "SIGTERM",
      "compose.yaml",
      "read-only",
      "HEALTHCHECK",
    ]) {
      expect(doc).toContain(needle);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// The man page (built by scripts/build.mjs from the command table) and what `npm pack` ships

describe("man/homing.1", () => {
  const MAN = join(REPO_ROOT, "man", "homing.1");

  it("is built from the command table: every command, option and exit code, in man macros", async () => {
    const { COMMAND_HELP, FLAGS, GLOBAL_FLAGS, EXIT_CODES } = await import("../../src/cli/help.ts");
    const text = readFileSync(MAN, "utf8");
    expect(text).toMatch(/^\.TH HOMING 1 /);
    for (const section of ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS"])
      expect(text).toMatch(new RegExp(`^\\.SH ${section}$`, "m"));
    for (const command of COMMAND_HELP) expect(text).toContain(`\\fB${command.name}\\fR`);
    for (const flag of [...FLAGS, ...GLOBAL_FLAGS])
      expect(text).toContain(`\\-\\-${flag.long.replace(/-/g, "\\-")}`);
    for (const [code] of EXIT_CODES) expect(text).toContain(`\\fB${code}\\fR`);
    // No line may start a roff request by accident (a text line beginning with . or ').
    for (const line of text.split("\n"))
      if (/^['.]/.test(line)) expect(line).toMatch(/^\.[A-Z]{1,2}\b|^\.br$/);
  });

  const man = spawnSync("man", ["--version"], { encoding: "utf8" });
  it("man -l renders it without a warning", (context) => {
    context.skip(
      man.error !== undefined || man.status !== 0,
      "man is not installed: only the roff structure was checked",
    );
    const result = spawnSync("man", ["--warnings", "-l", MAN], {
      encoding: "utf8",
      env: { ...process.env, MANWIDTH: "80", MANPAGER: "cat", PAGER: "cat" },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/homing - keeps your DNS names pointing/);
    expect(result.stdout).toMatch(/Example: homing run --dry-run/);
  });
});

describe("npm pack and a global install", () => {
  const npm = spawnSync("npm", ["--version"], { encoding: "utf8" });
  const npmMissing = npm.error !== undefined || npm.status !== 0;

  it("ships no code cache, has a LICENSE, the man page and no runtime dependency; a global install runs", async (context) => {
    context.skip(npmMissing, "npm is not installed");
    const dir = await tempDir();
    // A used checkout: bin/homing has left a V8 code cache next to the bundle.
    const cache = join(REPO_ROOT, "dist", `.homing.cjs.1-2-${process.version}-${process.arch}.run.cache`);
    writeFileSync(cache, "stale");
    let packed: ReturnType<typeof spawnSync>;
    try {
      // --ignore-scripts: prepack would rebuild and so delete the cache this test planted.
      packed = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      });
    } finally {
      await rm(cache, { force: true });
    }
    expect(packed.status, String(packed.stderr)).toBe(0);
    const [info] = JSON.parse(String(packed.stdout)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((f) => f.path);
    expect(files.filter((f) => f.includes(".cache"))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining(["LICENSE", "bin/homing", "dist/homing.cjs", "man/homing.1", "package.json"]),
    );
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
    expect(readFileSync(join(REPO_ROOT, "LICENSE"), "utf8")).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 the homing authors\n/,
    );

    // The tarball's package.json: no dependency to pull, no install-time script.
    const tarball = join(dir, info!.filename);
    const listed = spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" });
    const manifest = JSON.parse(listed.stdout) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    const scripts = (manifest.scripts ?? {}) as Record<string, string>;
    for (const hook of ["preinstall", "install", "postinstall", "prepare"])
      expect(scripts[hook], hook).toBeUndefined();
    expect(manifest.man).toEqual(["./man/homing.1"]);

    // Offline: with no dependency there is nothing to fetch.
    const prefix = join(dir, "prefix");
    const install = spawnSync(
      "npm",
      ["install", "-g", tarball, "--prefix", prefix, "--offline", "--no-audit", "--no-fund"],
      { encoding: "utf8", env: { ...process.env, npm_config_cache: join(dir, "npm-cache") } },
    );
    expect(install.status, `${install.stdout}${install.stderr}`).toBe(0);
    expect(install.stderr).not.toMatch(/install script|npm warn/i);
    expect(existsSync(join(prefix, "lib", "node_modules", "homing", "node_modules"))).toBe(false);
    expect(existsSync(join(prefix, "share", "man", "man1", "homing.1"))).toBe(true);
    const installed = join(prefix, "bin", "homing");
    const version = spawnSync(installed, ["--version"], { encoding: "utf8", cwd: dir });
    expect(version.stdout).toMatch(/^homing \d+\.\d+\.\d+/);
    const configPath = join(dir, "homing.toml");
    const init = spawnSync(installed, ["init", "--non-interactive", "--provider", "dreamhost", configPath], {
      encoding: "utf8",
      cwd: dir,
    });
    expect(init.status, init.stderr).toBe(0);
    const starter = readFileSync(configPath, "utf8");
    expect(starter).toMatch(/type = "dreamhost"/);

    // `homing check` of that starter config, pointed at the local DreamHost emulator with a key file:
    // the installed bundle validates it and proves the credentials, all on loopback.
    const key = canaryKey();
    const dh = await startDreamHostEmulator({
      keys: { [key]: { accountIds: [ACCOUNT], cmds: DNS_CMDS } },
      zones: [{ accountId: ACCOUNT, zone: ZONE }],
      records: [],
    });
    try {
      const keyPath = join(dir, "dreamhost.key");
      writeFileSync(keyPath, `${key}\n`, { mode: 0o600 });
      writeFileSync(
        configPath,
        starter.replace(
          /^api_key_file = .*$/m,
          `api_key_file = ${JSON.stringify(keyPath)}\nendpoint = ${JSON.stringify(dh.url)}`,
        ),
      );
      // Asynchronously: the emulator answers from this process's event loop.
      const check = await runProcess(installed, ["check", "-c", configPath], {
        cwd: dir,
        env: cleanEnv(dir),
      });
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toMatch(/provider dreamhost \(DreamHost\): ok/);
      expect(check.stdout.trimEnd().split("\n").at(-1)).toBe("ok");
      expect(check.stdout + check.stderr).not.toContain(key);
      expect(dh.requests.map((r) => r.cmd)).toEqual(["dns-list_records"]);
    } finally {
      await dh.close();
    }
  });

  it("ships the bundle without its source map (npm run build makes it), and the bundle stays small", async (context) => {
    context.skip(npmMissing, "npm is not installed");
    const packed = spawnSync("npm", ["pack", "--dry-run", "--ignore-scripts", "--json"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(packed.status, String(packed.stderr)).toBe(0);
    const [info] = JSON.parse(String(packed.stdout)) as Array<{
      unpackedSize: number;
      files: Array<{ path: string; size: number }>;
    }>;
    expect(info!.files.map((f) => f.path).filter((f) => f.endsWith(".map"))).toEqual([]);
    // The map is 4x the bundle; what ships is the bundle, the schema, the README and the man page.
    expect(info!.unpackedSize).toBeLessThan(1_500_000);
  });
});
