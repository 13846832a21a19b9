import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

import { COMMAND_HELP, SHELLS, usageText } from "./help.ts";

/** The commands that do work (help, version and completion are answered by the CLI itself). */
export const COMMANDS = [
  "run",
  "explain",
  "daemon",
  "detect",
  "records",
  "check",
  "status",
  "notify",
  "init",
  "providers",
  "bridge",
] as const;
export type CommandName = (typeof COMMANDS)[number];

export type Shell = (typeof SHELLS)[number];

export interface CliOptions {
  command: CommandName | "help" | "version" | "completion";
  config: string | undefined;
  /** `homing init [FILE]` */
  target: string | undefined;
  dryRun: boolean;
  force: boolean;
  json: boolean;
  verbosity: number;
  logFormat: "text" | "json" | undefined;
  /** `homing help run`, `homing run --help`: the command whose help to print. */
  helpFor: string | undefined;
  /** A bare `homing`: the help goes to stderr and the exit code is 2. */
  bare: boolean;
  /** `homing init --provider <type or preset>` */
  provider: string | undefined;
  /** `homing init --name <fqdn>` (repeatable, or comma-separated): the record names. */
  recordNames: string[];
  /** `homing init --non-interactive`: the starter config even on a terminal. */
  nonInteractive: boolean;
  /** `homing completion <shell>` */
  shell: Shell | undefined;
  /** `homing status [NAME...]` */
  names: string[];
  /** `homing records --names`: the configured names only, for the completion scripts (hidden). */
  namesOnly: boolean;
  /** `homing notify --test` */
  test: boolean;
}

/** The general help, generated from the command table (src/cli/help.ts). */
export const USAGE = usageText();

/** Every name `homing` accepts as its first word. */
export const ALL_COMMANDS: readonly string[] = COMMAND_HELP.map((c) => c.name);

const ALLOWED: Record<CommandName, readonly string[]> = Object.fromEntries(
  COMMANDS.map((name) => [name, COMMAND_HELP.find((c) => c.name === name)?.flags ?? []]),
) as Record<CommandName, readonly string[]>;

/** Every option homing parses, declared once (its help is FLAGS / GLOBAL_FLAGS in help.ts). */
const PARSE_OPTIONS = {
  config: { type: "string", short: "c" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v", multiple: true },
  quiet: { type: "boolean", short: "q" },
  "log-format": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  provider: { type: "string" },
  name: { type: "string", multiple: true },
  "non-interactive": { type: "boolean" },
  names: { type: "boolean" },
  test: { type: "boolean" },
  explain: { type: "boolean" },
} as const;

function parseOptions(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: PARSE_OPTIONS, allowPositionals: true, strict: true });
}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  const logFormat = values["log-format"];
  if (logFormat !== undefined && logFormat !== "text" && logFormat !== "json") {
    throw new UsageError(`--log-format must be "text" or "json", not "${logFormat}"`);
  }
  const base: Omit<CliOptions, "command"> = {
    config: values.config,
    target: undefined,
    dryRun: values["dry-run"] ?? false,
    force: values.force ?? false,
    json: values.json ?? false,
    verbosity: values.quiet ? -1 : (values.verbose?.length ?? 0),
    logFormat: logFormat as CliOptions["logFormat"],
    helpFor: undefined,
    bare: false,
    provider: values.provider,
    recordNames: (values.name ?? [])
      .flatMap((name) => name.split(","))
      .map((name) => name.trim())
      .filter(Boolean),
    nonInteractive: values["non-interactive"] ?? false,
    shell: undefined,
    names: [],
    namesOnly: values.names ?? false,
    test: values.test ?? false,
  };
  if (values.version || (first === "version" && !values.help)) return { ...base, command: "version" };
  if (first === undefined) {
    return { ...base, command: "help", bare: !values.help };
  }
  if (first === "help") {
    const wanted = rest[0] ?? (values.help ? "help" : undefined);
    if (wanted !== undefined && !ALL_COMMANDS.includes(wanted)) {
      throw new UsageError(`homing help: no command "${wanted}"; commands: ${ALL_COMMANDS.join(", ")}`);
    }
    return { ...base, command: "help", helpFor: wanted };
  }
  if (!ALL_COMMANDS.includes(first)) {
    throw new UsageError(`unknown command "${first}"; commands: ${ALL_COMMANDS.join(", ")}`);
  }
  if (values.help) return { ...base, command: "help", helpFor: first };
  if (first === "completion") {
    const shell = SHELLS.find((s) => s === rest[0]);
    if (!shell || rest.length > 1) {
      throw new UsageError(`homing completion takes one shell: ${SHELLS.join(", ")}`);
    }
    return { ...base, command: "completion", shell };
  }
  const command = COMMANDS.find((c) => c === first) as CommandName;
  const used = Object.entries({
    config: values.config,
    "dry-run": values["dry-run"],
    force: values.force,
    json: values.json,
    provider: values.provider,
    test: values.test,
    explain: values.explain,
    name: values.name,
    "non-interactive": values["non-interactive"],
  })
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  for (const name of used) {
    if (!ALLOWED[command].includes(name)) throw new UsageError(`homing ${command} does not take --${name}`);
  }
  if (values.names && command !== "records") throw new UsageError(`homing ${command} does not take --names`);
  if (command === "init") {
    if (rest.length > 1) throw new UsageError("homing init takes at most one FILE");
    return { ...base, command, target: rest[0] };
  }
  if (command === "bridge") {
    if (rest.length !== 1 || rest[0] !== "hash-password") {
      throw new UsageError(
        "usage: homing bridge hash-password (reads the password on stdin; never pass it as an argument)",
      );
    }
    return { ...base, command, target: rest[0] };
  }
  if (command === "status") return { ...base, command, names: rest };
  if (command === "notify" && !base.test) {
    throw new UsageError(
      "homing notify takes --test: homing notify --test sends a test message to every target and heartbeat",
    );
  }
  if (rest.length > 0) throw new UsageError(`homing ${command} takes no argument "${rest[0]}"`);
  if (command === "run" && values.explain) {
    // `homing run --explain` is `homing explain`: one narrative on stdout, which --json would contradict.
    if (values.json) throw new UsageError("homing run --explain prints text: leave out --json");
    return { ...base, command: "explain" };
  }
  return { ...base, command };
}
