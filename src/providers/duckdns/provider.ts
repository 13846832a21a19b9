import { parseDuration } from "../../core/duration.ts";
import type { ProviderRecord } from "../../core/records.ts";
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
  readonly capabilities: ProviderCapabilities = { list: false, change: "update-url" };
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

  lookup(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
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
    const update = (names: readonly string[], addresses: DuckDnsAddresses) =>
      this.#client.update(
        names.map((name) => duckSubdomain(name) as string),
        addresses,
        options.signal,
      );
    const sent = await sendInTurn(requests, changes.length, async (request) => {
      try {
        return await update(request.names, request.addresses);
      } catch (error) {
        if (!(error instanceof ProviderError && error.code === "KO" && request.names.length > 1)) throw error;
        // One KO for several subdomains names none of them: ask for each alone.
        const alone = await this.#askEach(request.names, (name) => update([name], request.addresses));
        if (!alone) throw error; // every one refused: the token is wrong
        for (const [name, result] of alone) {
          for (const index of perName.get(name)?.indexes ?? []) results[index] = result;
        }
        return {};
      }
    });
    // Names refused before sending, or re-asked alone, keep their own result.
    return results.map((result, index) =>
      result.error !== undefined ? result : (sent[index] as ChangeResult),
    );
  }

  /**
   * Sends each name alone. Undefined when none got through (the token is what DuckDNS refuses);
   * otherwise each name's result, a KO now pinned on that subdomain and halting only it.
   */
  async #askEach(
    names: readonly string[],
    send: (name: string) => Promise<unknown>,
  ): Promise<Map<string, ChangeResult> | undefined> {
    const results = new Map<string, ChangeResult>();
    for (const name of names) {
      try {
        await send(name);
        results.set(name, {});
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        results.set(name, { error });
      }
    }
    if ([...results.values()].every((result) => result.error !== undefined)) return undefined;
    for (const [name, result] of results) {
      if (!(result.error instanceof ProviderError && result.error.code === "KO")) continue;
      const message = `DuckDNS refused ${name} (KO) while the same token updated the other names: ${name} is not a subdomain of this account; add it at https://www.duckdns.org or fix the record name`;
      results.set(name, {
        error: new ProviderError(message, { kind: "permanent", provider: this.id, code: "KO", halt: "name" }),
      });
    }
    return results;
  }

  async remove(record: ProviderRecord): Promise<void> {
    throw new ProviderError(
      `DuckDNS cannot delete one family of ${record.name}: homing only sets addresses; clear it at https://www.duckdns.org`,
      { kind: "permanent", provider: this.id },
    );
  }
}
