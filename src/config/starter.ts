/**
 * The commented config `homing init` writes: the starter (every value shown is the default, the
 * provider's keys to fill in) and, from the answers of the interactive `homing init`, a config that
 * works as written. One generator for both, so the two cannot drift apart. Pure: text in, text out.
 */

/** A `[providers.<id>]` table, already rendered (src/cli/providers.ts `starterProvider`). */
export interface ProviderTable {
  id: string;
  table: string;
}

export interface StarterRecord {
  name: string;
  ipv4: boolean;
  ipv6: boolean;
}

/** One family's detection: the source strings (built-in names, URLs, shorthands) and the quorum. */
export interface StarterDetection {
  sources: readonly string[];
  quorum: number;
}

export interface StarterOptions {
  /** Default: the DreamHost example. */
  provider?: ProviderTable;
  /** Default: one example record, home.example.com, IPv4 only. */
  records?: readonly StarterRecord[];
  /** Default: the built-in echo services, two must agree. */
  detect?: { ipv4: StarterDetection; ipv6: StarterDetection };
  /** The first comment line (default: a pointer to the README). */
  heading?: string;
}

export const DEFAULT_SOURCES: readonly string[] = ["cloudflare", "ipify", "ipinfo"];
export const DEFAULT_DETECTION: StarterDetection = { sources: DEFAULT_SOURCES, quorum: 2 };

/** The sources' quorum for a list a user typed: two must agree when there are two or more. */
export function quorumFor(sources: readonly string[]): number {
  return Math.min(2, Math.max(1, sources.length));
}

const DREAMHOST_EXAMPLE: ProviderTable = {
  id: "dh",
  table: `# One table per provider account; "dh" is your own id for it. Other types: cloudflare, rfc2136,
# powerdns, dyndns2 (No-IP, Dyn, ...), duckdns, custom; README.md, "Providers", has each one's keys.
[providers.dh]
type = "dreamhost"
# A key from https://panel.dreamhost.com/?tree=home.api with the dns-* permissions.
# Put it in a file only you can read (chmod 600), or set HOMING_PROVIDERS_DH_API_KEY.
api_key_file = "/etc/homing/dreamhost.key"
# comment = "homing"        # stored on the records homing adds`,
};

const OTHER_PROVIDER_INTRO =
  "# One table per provider account; the id after providers. is your own name for it.\n" +
  "# `homing providers` lists every type; docs/providers/<type>.md has each one's keys.\n";

const q = (text: string): string => JSON.stringify(text);

function sourcesLine(detection: StarterDetection): string {
  return `sources = [${detection.sources.map(q).join(", ")}]`;
}

/** The whole commented config. Strings are TOML basic strings (JSON escapes are valid TOML). */
export function starterConfig(options: StarterOptions = {}): string {
  const provider = options.provider ?? DREAMHOST_EXAMPLE;
  const providerText = options.provider ? `${OTHER_PROVIDER_INTRO}${provider.table}` : provider.table;
  const records = options.records ?? [{ name: "home.example.com", ipv4: true, ipv6: false }];
  const detect = options.detect ?? { ipv4: DEFAULT_DETECTION, ipv6: DEFAULT_DETECTION };
  const recordTables = records.map((record) =>
    [
      "[[records]]",
      `name = ${q(record.name)}`,
      `provider = ${q(provider.id)}`,
      `ipv4 = ${record.ipv4}`,
      `ipv6 = ${record.ipv6}`,
    ].join("\n"),
  );
  return `${options.heading ?? '# homing configuration (TOML). Reference: README.md, "Configuration".'}
# Every key can also be set from the environment: HOMING_<PATH>, e.g. HOMING_DETECT_IPV4_QUORUM=2,
# HOMING_PROVIDERS_DH_API_KEY=... (secrets belong in files or the environment, never on the command line).

# Where homing keeps its state (last published addresses, back-offs) and its lock.
# Default: $STATE_DIRECTORY (systemd), else /var/lib/homing as root, else ~/.local/state/homing.
# state_dir = "/var/lib/homing"

# Re-check the provider after this long even if the address did not change.
recheck = "1h"
# Deadline for one whole run.
timeout = "2m"

[detect]
# Deadline of each detection request.
timeout = "5s"

[detect.ipv4]
# Built-in sources: cloudflare, ipify, icanhazip, ipinfo, ipinfo-json; or https:// URLs whose body is
# one address; or tables like { url = "https://example.net/json", format = "json", field = "ip" };
# or "interface:eth0", "upnp", "natpmp", "pcp", "fritzbox", "dns:cloudflare" (README.md, "Sources").
${sourcesLine(detect.ipv4)}
# At least this many sources must agree (and be the majority) before an address is published.
quorum = ${detect.ipv4.quorum}

[detect.ipv6]
${sourcesLine(detect.ipv6)}
quorum = ${detect.ipv6.quorum}

${providerText}

${recordTables.join("\n\n")}

# Only for "homing daemon" (a service); "homing run" from cron ignores these.
# [daemon]
# interval = "5m"               # or cron = "*/5 * * * *"
#
# [status]                      # status page, /healthz and /metrics; off unless listen is set
# listen = "127.0.0.1:8080"
#
# [notify]                      # ntfy://, gotify://, discord://, slack://, telegram://, smtp://, generic+https://
# urls_file = "/etc/homing/notify-urls"
`;
}

/** The starter `homing init` writes without `--provider`. */
export const STARTER_CONFIG = starterConfig();

/**
 * The starter config with another provider's table (from `starterProvider` in
 * src/cli/providers.ts) and, from `--name`, the record names.
 */
export function starterConfigFor(provider: ProviderTable, names: readonly string[] = []): string {
  return starterConfig({
    provider,
    ...(names.length ? { records: names.map((name) => ({ name, ipv4: true, ipv6: false })) } : {}),
  });
}
