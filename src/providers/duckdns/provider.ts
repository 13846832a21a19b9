import { parseDuration } from "../../core/duration.ts";
import type { ProviderRecord } from "../../core/records.ts";
import { ConfigError, ProviderError } from "../../errors.ts";
import {
  type CallOptions,
  type ChangeResult,
  type DnsProvider,
  lazyFingerprint,
  type ProviderContext,
  type RecordChange,
  type ReplaceManyOptions,
  type VerifyOptions,
} from "../provider.ts";
import {
  describeLookups,
  lookupRows,
  resolverServers,
  sendInTurn,
  UpdateUrlProvider,
} from "../update-url.ts";
import { type DuckDnsAddresses, DuckDnsClient } from "./client.ts";
import type { DuckDnsConfig } from "./schema.ts";

const SUBDOMAIN = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.duckdns\.org$/;
const MAX_DOMAINS_PER_REQUEST = 20;

/** The DuckDNS subdomain of a record name ("home" for home.duckdns.org), or undefined. */
export function duckSubdomain(name: string): string | undefined {
  return SUBDOMAIN.exec(name)?.[1];
}

/**
 * DuckDNS: one token, subdomains of duckdns.org, an update URL that sets IPv4 (`ip`) and IPv6
 * (`ipv6`) in one request. No list call: the engine guards updates with the state file and a DNS
 * lookup. Both families of a name always travel together (an unchanged one repeated), and names
 * with the same addresses share one request.
 */
export class DuckDnsProvider extends UpdateUrlProvider implements DnsProvider {
  readonly id: string;
  readonly label = "DuckDNS";
  readonly capabilities = { canList: false, atomicReplace: false, updateInPlace: false };
  readonly foreignRowHint = "an address homing did not send";
  readonly #fingerprint: () => string;
  readonly #client: DuckDnsClient;
  readonly #servers: string[] | undefined;
  readonly #timeoutMs: number;
  readonly #tokenOrigin: string;

  private constructor(
    id: string,
    fingerprint: () => string,
    client: DuckDnsClient,
    servers: string[] | undefined,
    timeoutMs: number,
    tokenOrigin: string,
  ) {
    super();
    this.id = id;
    this.#fingerprint = fingerprint;
    this.#client = client;
    this.#servers = servers;
    this.#timeoutMs = timeoutMs;
    this.#tokenOrigin = tokenOrigin;
  }

  static async create(id: string, config: DuckDnsConfig, context: ProviderContext): Promise<DuckDnsProvider> {
    let endpoint: URL;
    try {
      endpoint = new URL(config.endpoint);
    } catch {
      throw new ConfigError([`providers.${id}.endpoint: "${config.endpoint}" is not a URL`]);
    }
    const servers = resolverServers(config.resolver, `providers.${id}`);
    const token = await context.secret("token");
    const timeoutMs = parseDuration(config.timeout) ?? 30_000;
    const client = new DuckDnsClient({ id, endpoint, token, timeoutMs, context });
    return new DuckDnsProvider(
      id,
      lazyFingerprint(config, () => [token.reveal()]),
      client,
      servers,
      timeoutMs,
      token.origin,
    );
  }

  get fingerprint(): string {
    return this.#fingerprint();
  }

  #lookupOptions(signal: AbortSignal) {
    return { providerId: this.id, servers: this.#servers, timeoutMs: this.#timeoutMs, signal };
  }

  list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    return lookupRows(names, this.#lookupOptions(options.signal));
  }

  async verifyAccess(options: VerifyOptions): Promise<string> {
    const names = options.names ?? [];
    const wrong = names.filter((name) => duckSubdomain(name) === undefined);
    if (wrong.length > 0) throw this.#notDuck(wrong.join(", "));
    const lookups = await describeLookups(names, this.#lookupOptions(options.signal));
    return `token from ${this.#tokenOrigin}; ${lookups}; no update was sent (DuckDNS has no read-only call: the first real update proves the token)`;
  }

  #notDuck(name: string): ProviderError {
    return new ProviderError(
      `DuckDNS only updates names like <subdomain>.duckdns.org, not ${name}: use the subdomain itself (deeper names follow it automatically)`,
      { kind: "permanent", provider: this.id },
    );
  }

  async replaceMany(changes: readonly RecordChange[], options: ReplaceManyOptions): Promise<ChangeResult[]> {
    const results: ChangeResult[] = changes.map(() => ({}));
    const perName = new Map<string, { addresses: DuckDnsAddresses; indexes: number[] }>();
    changes.forEach((change, index) => {
      if (duckSubdomain(change.name) === undefined) {
        results[index] = { error: this.#notDuck(change.name) };
        return;
      }
      const entry = perName.get(change.name) ?? { addresses: {}, indexes: [] };
      entry.addresses[change.type === "A" ? "ip" : "ipv6"] = change.add as string;
      entry.indexes.push(index);
      perName.set(change.name, entry);
    });
    for (const other of options.unchanged) {
      const entry = perName.get(other.name);
      const key = other.type === "A" ? "ip" : "ipv6";
      if (entry && entry.addresses[key] === undefined) entry.addresses[key] = other.value;
    }
    const requests: Array<{ names: string[]; addresses: DuckDnsAddresses; indexes: number[] }> = [];
    for (const [name, { addresses, indexes }] of perName) {
      const key = JSON.stringify(addresses);
      const open = requests.find(
        (r) => JSON.stringify(r.addresses) === key && r.names.length < MAX_DOMAINS_PER_REQUEST,
      );
      if (open) {
        open.names.push(name);
        open.indexes.push(...indexes);
      } else requests.push({ names: [name], addresses, indexes: [...indexes] });
    }
    const sent = await sendInTurn(requests, changes.length, (request) =>
      this.#client.update(
        request.names.map((name) => duckSubdomain(name) as string),
        request.addresses,
        options.signal,
      ),
    );
    // Names refused before sending keep their own error.
    return results.map((result, index) =>
      result.error !== undefined ? result : (sent[index] as ChangeResult),
    );
  }

  async remove(record: ProviderRecord): Promise<void> {
    throw new ProviderError(
      `DuckDNS cannot delete one family of ${record.name}: homing only sets addresses; clear it at https://www.duckdns.org`,
      { kind: "permanent", provider: this.id },
    );
  }
}
