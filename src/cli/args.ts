import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

export const COMMANDS = [
  "run",
  "daemon",
  "detect",
  "records",
  "check",
  "status",
  "init",
  "providers",
  "bridge",
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface CliOptions {
  command: CommandName | "help" | "version";
  config: string | undefined;
  /** `homing init [FILE]` */
  target: string | undefined;
  dryRun: boolean;
  force: boolean;
  json: boolean;
  verbosity: number;
  logFormat: "text" | "json" | undefined;
  helpFor: CommandName | undefined;
  /** `homing init --provider <type or preset>` */
  provider: string | undefined;
}

export const USAGE = `homing: keeps your DNS names pointing at this network's public address

Usage:
  homing run     [-c FILE] [--dry-run] [--force] [--json]   one update cycle, then exit (for cron)
  homing daemon  [-c FILE]              run rounds on a schedule (a service: systemd, Docker)
  homing detect  [-c FILE] [--json]     detect the public IPv4/IPv6 address, showing every source's answer
  homing records [-c FILE] [--json]     show the provider's current records for the configured names
  homing check   [-c FILE]              validate the config and secrets, and prove the credentials work
  homing status  [-c FILE] [--json]     last result per record, from the state file
  homing init    [FILE] [--provider TYPE]  write a commented starter config (default ./homing.toml)
  homing providers [--json]             list every supported service: type, IPv6, how a change is made
  homing bridge hash-password           read a router password on stdin, print its scrypt hash for [[bridge.clients]]

Options:
  -c, --config FILE     config file (else $HOMING_CONFIG, ./homing.toml,
                        $XDG_CONFIG_HOME/homing/config.toml, /etc/homing/config.toml)
  --dry-run             show what would change; make no change
  --force               verify at the provider now, even if the address is unchanged
  --json                machine-readable report on stdout
  -v, --verbose         say more (-vv for debug)
  -q, --quiet           only errors
  --log-format FORMAT   text (default) or json, for log lines on stderr
  -h, --help            this help
  --version             print the version

Exit codes: 0 all records correct, 1 detection or a record failed, 2 config or usage error,
75 another run holds the lock.
Docs: README.md in the homing repository.`;

const ALLOWED: Record<CommandName, readonly string[]> = {
  run: ["config", "dry-run", "force", "json"],
  daemon: ["config"],
  detect: ["config", "json"],
  records: ["config", "json"],
  check: ["config"],
  status: ["config", "json"],
  init: ["provider"],
  providers: ["json"],
  bridge: [],
};

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        config: { type: "string"; short: "c" };
        "dry-run": { type: "boolean" };
        force: { type: "boolean" };
        json: { type: "boolean" };
        verbose: { type: "boolean"; short: "v"; multiple: true };
        quiet: { type: "boolean"; short: "q" };
        "log-format": { type: "string" };
        help: { type: "boolean"; short: "h" };
        version: { type: "boolean" };
        provider: { type: "string" };
      };
      allowPositionals: true;
      strict: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: "string", short: "c" },
        "dry-run": { type: "boolean" },
        force: { type: "boolean" },
        json: { type: "boolean" },
        verbose: { type: "boolean", short: "v", multiple: true },
        quiet: { type: "boolean", short: "q" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        provider: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
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
    provider: values.provider,
  };
  if (values.version) return { ...base, command: "version" };
  if (first === undefined || first === "help") {
    return { ...base, command: "help", helpFor: COMMANDS.find((c) => c === rest[0]) };
  }
  const command = COMMANDS.find((c) => c === first);
  if (!command) {
    throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.join(", ")}`);
  }
  if (values.help) return { ...base, command: "help", helpFor: command };
  const used = Object.entries({
    config: values.config,
    "dry-run": values["dry-run"],
    force: values.force,
    json: values.json,
    provider: values.provider,
  })
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  for (const name of used) {
    if (!ALLOWED[command].includes(name)) throw new UsageError(`homing ${command} does not take --${name}`);
  }
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
  if (rest.length > 0) throw new UsageError(`homing ${command} takes no argument "${rest[0]}"`);
  return { ...base, command };
}
