/**
 * The questions of the interactive `homing init`, in the issue's order: the provider (every service
 * of the registration list), its settings and credentials (secrets hidden), the names and address
 * families, then detection. It asks through a `Prompter` and returns the answers; it writes nothing
 * (src/main.ts writes the files once every answer is in, so an interrupted run leaves none).
 */
import type { StarterDetection, StarterRecord } from "../config/starter.ts";
import { DEFAULT_SOURCES, quorumFor } from "../config/starter.ts";
import { describeBadHostname, normalizeName } from "../core/records.ts";
import { didYouMean } from "../core/suggest.ts";
import { parseSourceString } from "../detect/sources/index.ts";
import type { Prompter } from "./prompt.ts";
import { type InitService, settingValue } from "./providers.ts";

/** What the host offers as defaults (main reads it from the OS). */
export interface HostFacts {
  /** Interfaces holding a global IPv6 address. */
  ipv6Interfaces: readonly string[];
}

/** A secret's file: where it goes, and the typed value (undefined: use the file that is there). */
export interface SecretAnswer {
  key: string;
  path: string;
  value: string | undefined;
  /** The user said to replace the file that was there. */
  replace?: boolean;
}

export interface InitAnswers {
  service: InitService;
  /** The provider table's id (`[providers.<id>]`). */
  providerId: string;
  values: Record<string, string | number>;
  secrets: SecretAnswer[];
  records: StarterRecord[];
  detect: { ipv4: StarterDetection; ipv6: StarterDetection };
}

export interface WizardOptions {
  services: readonly InitService[];
  /** The terminal's width, for the service menu. */
  width: number;
  host: HostFacts;
  /** The file a provider's secret goes to, and whether one is there already. */
  secretFile(providerId: string, key: string): { path: string; exists: boolean };
  /** `@FILE` at a secret's prompt: the file's absolute path when it is a readable file. */
  existingFile(path: string): string | undefined;
}

/** A service by number (1-based), name (type or preset id) or display name; else what went wrong. */
export function pickService(
  text: string,
  services: readonly InitService[],
): { ok: true; service: InitService } | { ok: false; error: string } {
  const wanted = text.trim().toLowerCase();
  if (wanted === "") return { ok: false, error: "type a number or a name from the list" };
  if (/^\d+$/.test(wanted)) {
    const service = services[Number(wanted) - 1];
    return service
      ? { ok: true, service }
      : { ok: false, error: `no number ${wanted}: pick 1 to ${services.length}` };
  }
  const service =
    services.find((s) => s.name.toLowerCase() === wanted) ??
    services.find((s) => s.service.toLowerCase() === wanted);
  if (service) return { ok: true, service };
  const suggestion = didYouMean(wanted, [...services.map((s) => s.name), ...services.map((s) => s.service)]);
  return {
    ok: false,
    error: `no provider "${text.trim()}"${suggestion ? `; did you mean "${suggestion}"?` : ""} (a number or a name from the list)`,
  };
}

/** Names typed comma- or space-separated, normalised and deduplicated; else what is wrong. */
export function parseNames(text: string): { ok: true; names: string[] } | { ok: false; error: string } {
  const names = [
    ...new Set(
      text
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(normalizeName),
    ),
  ];
  if (names.length === 0) return { ok: false, error: "type at least one name, like home.example.com" };
  for (const name of names) {
    const problem = describeBadHostname(name);
    if (problem) return { ok: false, error: `"${name}": ${problem}` };
  }
  return { ok: true, names };
}

/** Source strings typed comma- or space-separated; empty = the defaults; else the first bad one. */
export function parseSources(text: string): { ok: true; sources: string[] } | { ok: false; error: string } {
  const sources = text.split(/[\s,]+/).filter(Boolean);
  if (sources.length === 0) return { ok: true, sources: [...DEFAULT_SOURCES] };
  for (const source of sources) {
    const parsed = parseSourceString(source);
    if (!parsed.ok) return { ok: false, error: parsed.error };
  }
  return { ok: true, sources: [...new Set(sources)] };
}

const FAMILY_CHOICES = [
  { label: "IPv4 only (A records)", ipv4: true, ipv6: false },
  { label: "IPv6 only (AAAA records)", ipv4: false, ipv6: true },
  { label: "both IPv4 and IPv6", ipv4: true, ipv6: true },
] as const;

/** The service list in columns: number, display name, and the name to type. */
export function serviceMenu(services: readonly InitService[], width: number): string {
  const plain = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
  const cells = services.map((s, index) => {
    const name = plain(s.service).startsWith(plain(s.name)) ? "" : ` [${s.name}]`;
    return `${String(index + 1).padStart(3)}) ${s.service}${name}`;
  });
  const cellWidth = Math.max(...cells.map((cell) => cell.length)) + 2;
  const columns = Math.max(1, Math.min(4, Math.floor(Math.max(width, 40) / cellWidth)));
  const rows = Math.ceil(cells.length / columns);
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    const line: string[] = [];
    for (let column = 0; column < columns; column++) {
      const cell = cells[column * rows + row];
      if (cell !== undefined) line.push(cell.padEnd(cellWidth));
    }
    lines.push(line.join("").trimEnd());
  }
  return lines.join("\n");
}

/** Asks until `parse` accepts the answer, saying what was wrong each time. */
async function askUntil<T>(
  prompter: Prompter,
  question: string,
  parse: (answer: string) => { ok: true; value: T } | { ok: false; error: string },
): Promise<T> {
  for (;;) {
    const result = parse(await prompter.ask(question));
    if (result.ok) return result.value;
    prompter.say(`  ${result.error}`);
  }
}

export async function askYesNo(prompter: Prompter, question: string, fallback: boolean): Promise<boolean> {
  return askUntil(prompter, `${question} [${fallback ? "Y/n" : "y/N"}] `, (answer) => {
    const word = answer.toLowerCase();
    if (word === "") return { ok: true, value: fallback };
    if (["y", "yes"].includes(word)) return { ok: true, value: true };
    if (["n", "no"].includes(word)) return { ok: true, value: false };
    return { ok: false, error: 'answer "y" or "n"' };
  });
}

async function askService(prompter: Prompter, options: WizardOptions): Promise<InitService> {
  prompter.say("Which service holds your DNS names? (dyndns2 services from No-IP on)");
  prompter.say(serviceMenu(options.services, options.width));
  return askUntil(prompter, "Provider (number or name): ", (answer) => {
    const picked = pickService(answer, options.services);
    return picked.ok ? { ok: true, value: picked.service } : picked;
  });
}

async function askSettings(
  prompter: Prompter,
  service: InitService,
): Promise<Record<string, string | number>> {
  const values: Record<string, string | number> = {};
  for (const setting of service.settings) {
    const hint = setting.required ? "" : " (Enter to leave it out)";
    if (setting.about) prompter.say(`  ${setting.about}`);
    const value = await askUntil<string | number | undefined>(
      prompter,
      `${setting.key}${hint}: `,
      (answer) => {
        if (answer === "")
          return setting.required
            ? { ok: false, error: `${setting.key} is required` }
            : { ok: true, value: undefined };
        const checked = settingValue(service.type, setting.key, answer);
        return checked.ok ? checked : { ok: false, error: `${setting.key}: ${checked.error}` };
      },
    );
    if (value !== undefined) values[setting.key] = value;
  }
  return values;
}

async function askSecrets(
  prompter: Prompter,
  service: InitService,
  providerId: string,
  options: WizardOptions,
): Promise<SecretAnswer[]> {
  const answers: SecretAnswer[] = [];
  for (const secret of service.secrets) {
    const file = options.secretFile(providerId, secret.key);
    if (file.exists) {
      const keep = await askYesNo(
        prompter,
        `${secret.key}: ${file.path} exists already. Use the ${secret.about ?? secret.key} in it?`,
        true,
      );
      if (keep) {
        answers.push({ key: secret.key, path: file.path, value: undefined });
        continue;
      }
      if (!(await askYesNo(prompter, `Replace ${file.path} with a new one?`, false))) {
        prompter.say(`  left out: ${secret.key}`);
        continue;
      }
    }
    const replace = file.exists ? { replace: true } : {};
    const hint = secret.required ? "" : ", Enter to leave it out";
    for (;;) {
      const value = await prompter.askHidden(
        `${secret.about ?? secret.key} (${secret.key}; hidden while you type${hint}): `,
      );
      const trimmed = value.trim();
      if (trimmed === "" && !secret.required) break;
      if (trimmed.startsWith("@")) {
        // A file that holds the secret already (a JSON key file, a key shared with another tool).
        const existing = options.existingFile(trimmed.slice(1));
        if (existing === undefined) {
          prompter.say(`  no readable file ${trimmed.slice(1)} (@FILE names a file that holds the secret)`);
          continue;
        }
        answers.push({ key: secret.key, path: existing, value: undefined });
        break;
      }
      if (trimmed === "") {
        prompter.say(`  ${secret.key} is required (nothing was typed)`);
        continue;
      }
      if (/[\r\n]/.test(trimmed)) {
        prompter.say(`  ${secret.key} must be one line`);
        continue;
      }
      answers.push({ key: secret.key, path: file.path, value: trimmed, ...replace });
      break;
    }
  }
  return answers;
}

async function askDetection(
  prompter: Prompter,
  family: "IPv4" | "IPv6",
  host: HostFacts,
): Promise<StarterDetection> {
  const examples =
    family === "IPv6" && host.ipv6Interfaces.length
      ? `"interface:${host.ipv6Interfaces[0]}" reads this host's address (interfaces with a global IPv6: ${host.ipv6Interfaces.join(", ")})`
      : '"upnp", "natpmp", "fritzbox" ask the router; "interface:ppp0" reads an interface';
  prompter.say(
    `How should homing find the public ${family} address? Enter for echo services (${DEFAULT_SOURCES.join(", ")}; two must agree),\n  or list sources: ${examples}, or https:// URLs.`,
  );
  const sources = await askUntil(
    prompter,
    `${family} sources [${DEFAULT_SOURCES.join(", ")}]: `,
    (answer) => {
      const parsed = parseSources(answer);
      return parsed.ok ? { ok: true, value: parsed.sources } : parsed;
    },
  );
  return { sources, quorum: quorumFor(sources) };
}

/** The whole conversation. Rejects with PromptAborted on Ctrl-C or the end of input. */
export async function askInit(prompter: Prompter, options: WizardOptions): Promise<InitAnswers> {
  const service = await askService(prompter, options);
  const providerId = service.id;
  const docs = `docs/providers/${service.type}.md`;
  prompter.say(`\n${service.service}: ${service.credentials ? `${service.credentials}.` : `see ${docs}.`}`);
  const values = await askSettings(prompter, service);
  if (service.secrets.length)
    prompter.say("Secrets are hidden while you type; @FILE uses a file that holds one already.");
  const secrets = await askSecrets(prompter, service, providerId, options);

  prompter.say("\nWhich names should point at this network? One or more, separated by commas.");
  const names = await askUntil(prompter, "Names: ", (answer) => {
    const parsed = parseNames(answer);
    return parsed.ok ? { ok: true, value: parsed.names } : parsed;
  });

  let families: { ipv4: boolean; ipv6: boolean } = FAMILY_CHOICES[0];
  if (!service.ipv6) prompter.say(`${service.service} takes IPv4 addresses only: A records.`);
  else {
    const fallback = options.host.ipv6Interfaces.length ? 3 : 1;
    prompter.say(
      `Which addresses? ${FAMILY_CHOICES.map((choice, index) => `${index + 1}) ${choice.label}`).join("  ")}`,
    );
    families = await askUntil(prompter, `Addresses [${fallback}]: `, (answer) => {
      const choice = FAMILY_CHOICES[(answer === "" ? fallback : Number(answer)) - 1];
      return choice ? { ok: true, value: choice } : { ok: false, error: "answer 1, 2 or 3" };
    });
  }
  const records = names.map((name) => ({ name, ipv4: families.ipv4, ipv6: families.ipv6 }));

  prompter.say("");
  const defaults: StarterDetection = { sources: DEFAULT_SOURCES, quorum: 2 };
  const ipv4 = families.ipv4 ? await askDetection(prompter, "IPv4", options.host) : defaults;
  const ipv6 = families.ipv6 ? await askDetection(prompter, "IPv6", options.host) : defaults;
  return { service, providerId, values, secrets, records, detect: { ipv4, ipv6 } };
}
