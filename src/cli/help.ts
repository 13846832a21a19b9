/**
 * The one table of homing's commands and options. The general usage (`homing --help`), each
 * command's help (`homing run --help`, `homing help run`), the shell completion scripts
 * (src/cli/completion.ts) and the man page (src/cli/manpage.ts, built into man/homing.1) are all
 * generated from it, so they cannot drift apart.
 */

/** An option. `value` names its argument; without it the option is a switch. */
export interface FlagHelp {
  long: string;
  short?: string;
  value?: string;
  summary: string;
  /** What the completion offers for the value. */
  complete?: "file" | "provider" | "record" | readonly string[];
}

export interface CommandHelp {
  name: string;
  /** The arguments after the name, as shown in the usage line (options come from `flags`). */
  args?: string;
  /** One line for the command list. */
  summary: string;
  /** The long options it takes, by `long` name (from FLAGS). */
  flags: readonly string[];
  /** What the positional arguments complete to. */
  positional?: "file" | "record" | "shell" | "command";
  example: string;
  /** A few sentences for the command's own help and the man page. */
  description: string;
}

export const FLAGS: readonly FlagHelp[] = [
  {
    long: "config",
    short: "c",
    value: "FILE",
    summary:
      "config file (else $HOMING_CONFIG, ./homing.toml, $XDG_CONFIG_HOME/homing/config.toml, /etc/homing/config.toml)",
    complete: "file",
  },
  { long: "dry-run", summary: "show what would change; make no change" },
  { long: "force", summary: "verify at the provider now, even if the address is unchanged" },
  { long: "json", summary: "machine-readable report on stdout" },
  { long: "explain", summary: "tell the run step by step in words on stdout (the same as homing explain)" },
  { long: "test", summary: "send one test message to every notification target and heartbeat" },
  {
    long: "provider",
    value: "TYPE",
    summary: "the provider type or dyndns2 preset of the starter config (homing providers lists them)",
    complete: "provider",
  },
  {
    long: "name",
    value: "FQDN",
    summary: "a record name for the config (repeat it, or separate names with commas)",
  },
  {
    long: "non-interactive",
    summary: "ask nothing: write the starter config, even on a terminal",
  },
];

/** Options every command takes. */
export const GLOBAL_FLAGS: readonly FlagHelp[] = [
  {
    long: "verbose",
    short: "v",
    summary:
      "say why: each record's decision (-vv: also every request, the consensus, state reads and writes)",
  },
  { long: "quiet", short: "q", summary: "only errors" },
  {
    long: "log-format",
    value: "FORMAT",
    summary: "text (default) or json, for log lines on stderr",
    complete: ["text", "json"],
  },
  { long: "help", short: "h", summary: "this help" },
  { long: "version", short: "V", summary: "print the version" },
];

export const COMMAND_HELP: readonly CommandHelp[] = [
  {
    name: "run",
    summary: "one update cycle, then exit (for cron)",
    flags: ["config", "dry-run", "force", "json", "explain"],
    example: "homing run --dry-run -c /etc/homing/config.toml",
    description:
      "Detects the public address, compares it with what was last published and updates the records that differ. When nothing changed it makes no API call and prints nothing.",
  },
  {
    name: "explain",
    summary: "one run, told step by step in words: for a bug report or a forum post",
    flags: ["config", "dry-run", "force"],
    example: "homing explain --dry-run > explain.txt",
    description:
      "Does what homing run does (the same round: it changes DNS when an address differs; add --dry-run to only plan) and prints the whole decision path on stdout: versions and paths, every HTTP request and state file read or write, each detection source and the consensus, then per record what the cache or provider said, what was planned and why. Secrets are redacted, in every encoding, so the text can be posted as it is.",
  },
  {
    name: "daemon",
    summary: "run rounds on a schedule (a service: systemd, Docker)",
    flags: ["config"],
    example: "homing daemon -c /etc/homing/config.toml",
    description:
      "Runs a round every daemon.interval (or on daemon.cron), with the optional status page, metrics and notifications. SIGHUP reloads the config, SIGUSR1 runs a round now, SIGTERM stops.",
  },
  {
    name: "detect",
    summary: "detect the public IPv4/IPv6 address, showing every source's answer",
    flags: ["config", "json"],
    example: "homing detect --json",
    description: "Asks every configured source and shows each answer and the verdict. Changes nothing.",
  },
  {
    name: "records",
    summary: "show the provider's current records for the configured names",
    flags: ["config", "json"],
    example: "homing records -c homing.toml",
    description:
      "Lists the records the provider holds for the configured names. Services that cannot be asked show the public DNS answer and the address they last accepted.",
  },
  {
    name: "check",
    summary: "validate the config and secrets, and prove the credentials work",
    flags: ["config"],
    example: "homing check -c /etc/homing/config.toml",
    description:
      'Validates the config, reads every secret and makes one read-only call per provider. Prints "ok" on the last line only when every check passed.',
  },
  {
    name: "status",
    args: "[NAME...]",
    summary: "last result per record, from the state file",
    flags: ["config", "json"],
    positional: "record",
    example: "homing status home.example.com",
    description:
      "Shows each record's last result from the state file, without network. With NAMEs, only those records. Exits 1 when a record failed its last round or there was no run yet (the container's health check).",
  },
  {
    name: "notify",
    summary: "send a test message to every notification target and heartbeat (--test)",
    flags: ["test", "config", "json"],
    example: "homing notify --test -c /etc/homing/config.toml",
    description:
      "With --test, sends one test message to every [notify] target and one ping to every [heartbeat], each tried once, and prints one line per target: ok or failed and why, and the time it took. Targets are named by scheme and server, never by token. Exits 0 only when every one succeeded, 1 otherwise or when none is configured.",
  },
  {
    name: "init",
    args: "[FILE]",
    summary: "set up a config: asks on a terminal, else writes a commented starter (default ./homing.toml)",
    flags: ["provider", "name", "non-interactive"],
    positional: "file",
    example: "homing init --provider cloudflare --name home.example.com homing.toml",
    description:
      "On a terminal, asks for the provider, its credentials (hidden; each saved to its own 0600 file in homing-secrets/ next to the config), the names, IPv4/IPv6 and detection, writes a commented config (mode 0600), then runs check and a dry run. Without a terminal, or with any of --provider, --name and --non-interactive, asks nothing and writes the commented starter config for --provider (DreamHost by default) with the --name names. Never overwrites a file.",
  },
  {
    name: "providers",
    summary: "list every supported service: type, IPv6, how a change is made",
    flags: ["json"],
    example: "homing providers --json",
    description:
      "Lists every service homing can update, with its type, preset, IPv6 support and change strategy.",
  },
  {
    name: "bridge",
    args: "hash-password",
    summary: "read a router password on stdin, print its scrypt hash for [[bridge.clients]]",
    flags: [],
    example: "homing bridge hash-password < router.pass",
    description:
      "Reads one password on stdin (never as an argument) and prints the scrypt hash to put in password_hash of a [[bridge.clients]] entry.",
  },
  {
    name: "completion",
    args: "bash|zsh|fish",
    summary: "print the shell completion script",
    flags: [],
    positional: "shell",
    example: "homing completion bash > ~/.local/share/bash-completion/completions/homing",
    description:
      "Prints a completion script for bash, zsh or fish: commands, options, provider types and the config's record names.",
  },
  {
    name: "version",
    summary: "print the version",
    flags: [],
    example: "homing version",
    description: "Prints the version, like --version and -V.",
  },
  {
    name: "help",
    args: "[COMMAND]",
    summary: "this help, or a command's own",
    flags: [],
    positional: "command",
    example: "homing help run",
    description: "Prints the general help, or the help of one command.",
  },
];

export const SHELLS = ["bash", "zsh", "fish"] as const;

export const EXIT_CODES: ReadonlyArray<[code: number, meaning: string]> = [
  [0, "all records correct"],
  [1, "detection or a record failed"],
  [2, "config or usage error"],
  [75, "another run holds the lock"],
];

export function flagHelp(long: string): FlagHelp {
  const flag = [...FLAGS, ...GLOBAL_FLAGS].find((f) => f.long === long);
  if (!flag) throw new Error(`no flag --${long} in the help table`);
  return flag;
}

export function commandHelpOf(name: string): CommandHelp | undefined {
  return COMMAND_HELP.find((c) => c.name === name);
}

/** `-c, --config FILE` */
export function flagLabel(flag: FlagHelp): string {
  const long = `--${flag.long}${flag.value ? ` ${flag.value}` : ""}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

/** `[-c FILE] [--dry-run]` */
function synopsisFlags(command: CommandHelp): string {
  return command.flags
    .map((long) => {
      const flag = flagHelp(long);
      const name = flag.short ? `-${flag.short}` : `--${flag.long}`;
      return `[${name}${flag.value ? ` ${flag.value}` : ""}]`;
    })
    .join(" ");
}

export function synopsis(command: CommandHelp): string {
  return ["homing", command.name, command.args, synopsisFlags(command)].filter(Boolean).join(" ");
}

function optionLines(flags: readonly FlagHelp[]): string[] {
  const width = Math.max(...flags.map((f) => flagLabel(f).length)) + 2;
  return flags.map((f) => `  ${flagLabel(f).padEnd(width)}${f.summary}`);
}

const EXIT_LINE = `Exit codes: ${EXIT_CODES.map(([code, meaning]) => `${code} ${meaning}`).join(", ")}.`;

/** `homing --help` */
export function usageText(): string {
  const width = Math.max(...COMMAND_HELP.map((c) => c.name.length)) + 2;
  return [
    "homing: keeps your DNS names pointing at this network's public address",
    "",
    "Usage: homing COMMAND [OPTIONS]",
    "",
    "Commands:",
    ...COMMAND_HELP.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Options:",
    ...optionLines([...FLAGS, ...GLOBAL_FLAGS]),
    "",
    EXIT_LINE,
    'Run "homing help COMMAND" (or "homing COMMAND --help") for one command. Docs: README.md, man homing.',
  ].join("\n");
}

/** `homing run --help`, `homing help run` */
export function commandUsageText(name: string): string {
  const command = commandHelpOf(name);
  if (!command) return usageText();
  const own = command.flags.map(flagHelp);
  return [
    `Usage: ${synopsis(command)}`,
    "",
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    command.description,
    "",
    ...(own.length ? ["Options:", ...optionLines(own), ""] : []),
    "Common options:",
    ...optionLines(GLOBAL_FLAGS),
    "",
    "Example:",
    `  ${command.example}`,
  ].join("\n");
}
