/** The commented starter config `homing init` writes. Every value shown is the default. */
export const STARTER_CONFIG = `# homing configuration (TOML). Reference: README.md, "Configuration".
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
# one address; or tables like { url = "https://example.net/json", format = "json", field = "ip" }.
sources = ["cloudflare", "ipify", "ipinfo"]
# At least this many sources must agree (and be the majority) before an address is published.
quorum = 2

[detect.ipv6]
sources = ["cloudflare", "ipify", "ipinfo"]
quorum = 2

# One table per provider account; "dh" is your own id for it. Other types: cloudflare, rfc2136,
# powerdns, dyndns2 (No-IP, Dyn, ...), duckdns, custom; README.md, "Providers", has each one's keys.
[providers.dh]
type = "dreamhost"
# A key from https://panel.dreamhost.com/?tree=home.api with the dns-* permissions.
# Put it in a file only you can read (chmod 600), or set HOMING_PROVIDERS_DH_API_KEY.
api_key_file = "/etc/homing/dreamhost.key"
# comment = "homing"        # stored on the records homing adds

[[records]]
name = "home.example.com"
provider = "dh"
ipv4 = true
ipv6 = false

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

/**
 * The starter config with the DreamHost example replaced by another provider's table (from
 * `starterProvider` in src/cli/providers.ts).
 */
export function starterConfigFor(provider: { id: string; table: string }): string {
  const start = STARTER_CONFIG.indexOf("# One table per provider account");
  const end = STARTER_CONFIG.indexOf("[[records]]");
  const intro =
    "# One table per provider account; the id after providers. is your own name for it.\n" +
    "# `homing providers` lists every type; docs/providers/<type>.md has each one's keys.\n";
  return `${STARTER_CONFIG.slice(0, start)}${intro}${provider.table}\n\n${STARTER_CONFIG.slice(end).replace('provider = "dh"', `provider = "${provider.id}"`)}`;
}
