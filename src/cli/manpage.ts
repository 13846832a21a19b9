/**
 * The man page, homing(1), in roff (man macros), generated from the command table
 * (src/cli/help.ts) by scripts/build.mjs into man/homing.1.
 */
import { COMMAND_HELP, EXIT_CODES, FLAGS, type FlagHelp, flagHelp, GLOBAL_FLAGS, synopsis } from "./help.ts";

/** Escapes text for roff: backslashes, hyphens of options, and a leading dot or quote. */
function roff(text: string): string {
  const escaped = text.replace(/\\/g, "\\e").replace(/-/g, "\\-");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

function flagTerm(flag: FlagHelp): string {
  const long = `\\fB\\-\\-${roff(flag.long)}\\fR${flag.value ? ` \\fI${roff(flag.value)}\\fR` : ""}`;
  return flag.short ? `\\fB\\-${flag.short}\\fR, ${long}` : long;
}

export function manPage(version: string, date: string): string {
  const lines = [
    `.TH HOMING 1 "${date}" "homing ${version}" "User Commands"`,
    ".SH NAME",
    "homing \\- keeps your DNS names pointing at this network's public address",
    ".SH SYNOPSIS",
    ...COMMAND_HELP.flatMap((c) => [".B", roff(synopsis(c)), ".br"]),
    ".SH DESCRIPTION",
    roff(
      "homing is a dynamic DNS client: it detects the public IPv4/IPv6 address with several independent sources and a quorum, and updates the configured records at the provider in the safest order the provider allows.",
    ),
    ".SH COMMANDS",
  ];
  for (const command of COMMAND_HELP) {
    lines.push(".TP", `\\fB${roff(command.name)}\\fR${command.args ? ` ${roff(command.args)}` : ""}`);
    lines.push(`${roff(command.summary)}.`, roff(command.description));
    if (command.flags.length)
      lines.push(
        ".br",
        `Options: ${command.flags.map((f) => `\\fB\\-\\-${roff(flagHelp(f).long)}\\fR`).join(", ")}.`,
      );
    lines.push(".br", `Example: \\fB${roff(command.example)}\\fR`);
  }
  lines.push(".SH OPTIONS");
  for (const flag of [...FLAGS, ...GLOBAL_FLAGS]) lines.push(".TP", flagTerm(flag), roff(flag.summary));
  lines.push(".SH EXIT STATUS");
  for (const [code, meaning] of EXIT_CODES) lines.push(".TP", `\\fB${code}\\fR`, roff(meaning));
  lines.push(
    ".SH FILES",
    ".TP",
    "\\fI/etc/homing/config.toml\\fR",
    roff("the system config; also ./homing.toml and $XDG_CONFIG_HOME/homing/config.toml"),
    ".SH ENVIRONMENT",
    ".TP",
    "\\fBHOMING_CONFIG\\fR",
    roff("the config file, when -c is not given; HOMING_* variables override config keys"),
    ".SH SEE ALSO",
    roff("README.md and docs/ in the homing package; homing completion bash|zsh|fish"),
  );
  return `${lines.join("\n")}\n`;
}
