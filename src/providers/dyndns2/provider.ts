import { parseDuration } from "../../core/duration.ts";
import type { AddressRecordType, ProviderRecord } from "../../core/records.ts";
import { ConfigError, ProviderError } from "../../errors.ts";
import {
  type CallOptions,
  type ChangeResult,
  type DnsProvider,
  lazyFingerprint,
  type ProviderCapabilities,
  type ProviderContext,
  type RecordChange,
  type ReplaceManyOptions,
  type VerifyOptions,
} from "../provider.ts";
import { describeLookups, lookupRows, resolverServers, UpdateUrlProvider } from "../update-url.ts";
import { Dyndns2Client, type HostAnswer, stopsAccount } from "./client.ts";
import {
  type DualStackMode,
  DYNDNS2_PRESETS,
  type Dyndns2Config,
  type Dyndns2Preset,
  type Dyndns2PresetName,
} from "./schema.ts";

/** Dyn's documented limit of hostnames per request (numhost beyond it). */
const MAX_HOSTS_PER_REQUEST = 20;

/** One update request: the hostnames that get the same address parameters. */
interface UpdateRequest {
  hostnames: string[];
  query: Record<string, string>;
  /** For each hostname, the indexes of the changes this request carries out. */
  changes: number[][];
}

export interface PlanOptions {
  /** Hostnames per request (1 where the login is the hostname). */
  maxHosts?: number;
  /** myipv6 mode: what a family that does not change is sent as; "repeat": its current address. */
  unchangedFamily?: "no" | "preserve" | "repeat";
}

/**
 * Groups a round's changes into as few requests as the protocol allows: per name, the address
 * parameters for `mode` (repeating unchanged families where one address alone would clear the
 * other), then names with identical parameters share a request (`hostname=a,b`).
 */
export function planRequests(
  changes: readonly RecordChange[],
  unchanged: ReplaceManyOptions["unchanged"],
  mode: DualStackMode,
  options: PlanOptions = {},
): UpdateRequest[] {
  const maxHosts = options.maxHosts ?? MAX_HOSTS_PER_REQUEST;
  const keep = options.unchangedFamily ?? "no";
  const perName = new Map<string, Array<{ type: AddressRecordType; value: string; index?: number }>>();
  changes.forEach((change, index) => {
    const list = perName.get(change.name) ?? [];
    list.push({ type: change.type, value: change.add as string, index });
    perName.set(change.name, list);
  });
  for (const other of unchanged) {
    const list = perName.get(other.name);
    if (list && !list.some((entry) => entry.type === other.type))
      list.push({ type: other.type, value: other.value });
  }
  const parts: Array<{ name: string; query: Record<string, string>; changes: number[] }> = [];
  for (const [name, entries] of perName) {
    const changed = entries.filter((entry) => entry.index !== undefined);
    const indexes = changed.map((entry) => entry.index as number);
    const ipv4 = entries.find((entry) => entry.type === "A");
    const ipv6 = entries.find((entry) => entry.type === "AAAA");
    if (mode === "combined") {
      const myip = [ipv4?.value, ipv6?.value].filter((value) => value !== undefined).join(",");
      parts.push({ name, query: { myip }, changes: indexes });
    } else if (mode === "myipv6") {
      // "repeat" (INWX): an omitted family is cleared there, so both current addresses go out.
      const v4 = (keep === "repeat" ? entries : changed).find((entry) => entry.type === "A");
      const v6 = (keep === "repeat" ? entries : changed).find((entry) => entry.type === "AAAA");
      const query: Record<string, string> = {};
      if (v4 || keep !== "repeat") query.myip = v4?.value ?? keep;
      if (v6 || keep !== "repeat") query.myipv6 = v6?.value ?? keep;
      parts.push({ name, query, changes: indexes });
    } else {
      for (const entry of changed) {
        parts.push({ name, query: { myip: entry.value }, changes: [entry.index as number] });
      }
    }
  }
  const requests: UpdateRequest[] = [];
  for (const part of parts) {
    const key = JSON.stringify(part.query);
    const open = requests.find(
      (request) =>
        JSON.stringify(request.query) === key &&
        request.hostnames.length < maxHosts &&
        !request.hostnames.includes(part.name),
    );
    if (open) {
      open.hostnames.push(part.name);
      open.changes.push(part.changes);
    } else {
      requests.push({ hostnames: [part.name], query: part.query, changes: [part.changes] });
    }
  }
  return requests;
}

/**
 * dyndns2 (No-IP, Dynu, DNS-O-Matic, OVH DynHost, ChangeIP, Strato, Dyn, any `server`): an update
 * URL and nothing else. There is no list call and repeated no-change updates get accounts banned,
 * so the engine guards every update with the state file and a DNS lookup; this class only sends
 * the updates it decides on, combining IPv4 and IPv6 (and names with the same addresses) where the
 * service allows it.
 */
export class Dyndns2Provider extends UpdateUrlProvider implements DnsProvider {
  readonly id: string;
  readonly label: string;
  readonly capabilities: ProviderCapabilities = { list: false, change: "update-url" };
  readonly foreignRowHint = "an address homing did not send";
  readonly #fingerprint: () => string;
  readonly #client: Dyndns2Client;
  readonly #mode: DualStackMode;
  readonly #plan: PlanOptions;
  readonly #servers: string[] | undefined;
  readonly #timeoutMs: number;
  readonly #server: URL;
  readonly #username: string | undefined;
  readonly #passwordOrigin: string;

  private constructor(fields: {
    id: string;
    label: string;
    fingerprint: () => string;
    client: Dyndns2Client;
    mode: DualStackMode;
    plan: PlanOptions;
    servers: string[] | undefined;
    timeoutMs: number;
    server: URL;
    username: string | undefined;
    passwordOrigin: string;
  }) {
    super();
    this.id = fields.id;
    this.label = fields.label;
    this.#fingerprint = fields.fingerprint;
    this.#client = fields.client;
    this.#mode = fields.mode;
    this.#plan = fields.plan;
    this.#servers = fields.servers;
    this.#timeoutMs = fields.timeoutMs;
    this.#server = fields.server;
    this.#username = fields.username;
    this.#passwordOrigin = fields.passwordOrigin;
  }

  static async create(id: string, config: Dyndns2Config, context: ProviderContext): Promise<Dyndns2Provider> {
    const label = `providers.${id}`;
    const preset: Dyndns2Preset | undefined = config.preset
      ? DYNDNS2_PRESETS[config.preset as Dyndns2PresetName]
      : undefined;
    if (config.server !== undefined && config.endpoint !== undefined && config.server !== config.endpoint)
      throw new ConfigError([`${label}: server and endpoint are the same setting; keep one`]);
    const own = config.server ?? config.endpoint;
    const serverText = own ?? preset?.server;
    if (!serverText) {
      throw new ConfigError([
        `${label}: set preset (${Object.keys(DYNDNS2_PRESETS).join(", ")}) or server = "https://…/nic/update"`,
      ]);
    }
    const parse = (text: string, key: string): URL => {
      try {
        return new URL(text);
      } catch {
        throw new ConfigError([`${label}.${key}: "${text}" is not a URL`]);
      }
    };
    const server = parse(
      serverText,
      config.server === undefined && config.endpoint !== undefined ? "endpoint" : "server",
    );
    // A preset's IPv6 host only goes with its own server: a `server` of your own takes both families.
    const serverIpv6Text = config.server_ipv6 ?? (own === undefined ? preset?.serverIpv6 : undefined);
    const serverIpv6 = serverIpv6Text === undefined ? undefined : parse(serverIpv6Text, "server_ipv6");
    const loginIsHostname = preset?.loginIsHostname === true;
    const username = config.username ?? preset?.username;
    if (username === undefined && !loginIsHostname) {
      throw new ConfigError([
        `${label}.username: required${preset ? ` (${preset.label}: ${preset.credentials})` : ""}`,
      ]);
    }
    const servers = resolverServers(config.resolver, label);
    const password = await context.secret("password");
    const timeoutMs = parseDuration(config.timeout) ?? 30_000;
    const name = preset?.label ?? `dyndns2 server ${server.host}`;
    const client = new Dyndns2Client({
      id,
      label: name,
      server,
      serverIpv6,
      params: preset?.params ?? {},
      username,
      password,
      credentials:
        preset?.credentials ?? `check the username and password the service gave for dynamic DNS updates`,
      timeoutMs,
      context,
      noContent: preset?.noContent,
      statuses: preset?.statuses,
      replies: preset?.replies,
    });
    return new Dyndns2Provider({
      id,
      label: name,
      fingerprint: lazyFingerprint(config, () => [password.reveal()]),
      client,
      mode: config.dual_stack ?? preset?.dualStack ?? "combined",
      plan: {
        // The login is the hostname: one hostname per request, each with its own login.
        ...(username === undefined ? { maxHosts: 1 } : {}),
        ...(preset?.unchangedFamily ? { unchangedFamily: preset.unchangedFamily } : {}),
      },
      servers,
      timeoutMs,
      server,
      username,
      passwordOrigin: password.origin,
    });
  }

  get fingerprint(): string {
    return this.#fingerprint();
  }

  lookup(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    return lookupRows(names, {
      providerId: this.id,
      servers: this.#servers,
      timeoutMs: this.#timeoutMs,
      signal: options.signal,
    });
  }

  /** No read-only call exists: this checks what can be checked without sending an update. */
  async verifyAccess(options: VerifyOptions): Promise<string> {
    const lookups = await describeLookups(options.names ?? [], {
      providerId: this.id,
      servers: this.#servers,
      timeoutMs: this.#timeoutMs,
      signal: options.signal,
    });
    return (
      `update URL ${this.#server.origin}${this.#server.pathname}, username ${this.#username === undefined ? "each hostname" : `"${this.#username}"`}, password from ${this.#passwordOrigin}; ` +
      `${lookups}; no update was sent (dyndns2 has no read-only call: the first real update proves the credentials)`
    );
  }

  async replaceMany(changes: readonly RecordChange[], options: ReplaceManyOptions): Promise<ChangeResult[]> {
    const results: ChangeResult[] = changes.map(() => ({}));
    let stopped: ProviderError | undefined;
    for (const request of planRequests(changes, options.unchanged, this.#mode, this.#plan)) {
      let answers: HostAnswer[];
      if (stopped) {
        answers = request.hostnames.map(() => ({ ok: false, error: stopped as ProviderError }));
      } else {
        answers = await this.#send(request.hostnames, request.query, options.signal);
        // One refusal for several hostnames names none of them: ask for each alone, so a nohost
        // halts only the hostname it is about and the others still get their update.
        if (answers.some((answer) => !answer.ok && answer.shared && !stopsAccount(answer.error))) {
          answers = [];
          for (const host of request.hostnames) {
            // A nochg now may be the shared request's own update taking effect: it counts as sent.
            const [answer] = await this.#send([host], request.query, options.signal);
            answers.push(answer?.ok ? { ...answer, unchanged: false } : (answer as HostAnswer));
          }
        }
      }
      request.changes.forEach((indexes, position) => {
        const answer = answers[position] as HostAnswer;
        if (!answer.ok && stopsAccount(answer.error)) stopped ??= answer.error;
        for (const index of indexes) {
          results[index] = answer.ok ? { unchanged: answer.unchanged } : { error: answer.error };
        }
      });
    }
    return results;
  }

  async #send(
    hostnames: readonly string[],
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<HostAnswer[]> {
    try {
      return await this.#client.update(hostnames, query, signal);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return hostnames.map(() => ({ ok: false, error }));
    }
  }

  async remove(record: ProviderRecord): Promise<void> {
    throw new ProviderError(
      `${this.label} cannot delete ${record.name} ${record.type}: dyndns2 only sets addresses; remove it at the service`,
      { kind: "permanent", provider: this.id },
    );
  }
}
