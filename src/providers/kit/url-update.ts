/**
 * Update-URL providers on the kit: services that cannot list and only take "set this name to this
 * address" (Namecheap dynamic DNS, FreeDNS, …). `UrlUpdateProvider` does what they share once: the
 * DNS lookups that stand in for a list (`lookupRows`), `homing check` without an update, the
 * grouping of a round's changes into requests (`key`: changes with the same key travel in one
 * request), sending them in turn (an auth failure or a rate limit stops the rest), and refusing
 * deletes. A service supplies its `Api` (auth help, statuses, retries, redaction) and `send`, which
 * reads the reply strictly and answers each change of the request: a reply that is not the service's
 * documented confirmation is an error (`unconfirmed`), never a success.
 */
import type { ProviderRecord } from "../../core/records.ts";
import { ProviderError } from "../../errors.ts";
import type {
  CallOptions,
  ChangeResult,
  DnsProvider,
  ProviderCapabilities,
  RecordChange,
  ReplaceManyOptions,
  VerifyOptions,
} from "../provider.ts";
import { describeLookups, lookupRows, sendInTurn, UpdateUrlProvider } from "../update-url.ts";
import type { Api } from "./http.ts";

export interface UrlUpdateService {
  api: Api;
  /** DNS servers for the guard lookups (undefined: the system's). */
  servers: string[] | undefined;
  timeoutMs: number;
  /** Changes with the same key share one request (default: one request per change). */
  key?(change: RecordChange): string;
  /** A reason a change can never be sent (a name or family the service cannot take), before any request. */
  refuse?(change: RecordChange): ProviderError | undefined;
  /** Sends one request for these changes; the result of each, in order (or throws for all of them). */
  send(changes: readonly RecordChange[], signal: AbortSignal): Promise<ChangeResult[]>;
  /** For `homing check`: why no update is sent to prove the credentials. */
  checkNote: string;
  /** What to do instead of a delete (the service's web page). */
  removeHelp: string;
}

/** The error for a reply that is not the service's confirmation: the message says it "does not confirm". */
export function unconfirmed(api: Api, what: string, reply: string): ProviderError {
  return api.error(
    `${api.label} answered the update of ${what} with "${api.shown(reply, 100)}", which does not confirm it; homing tries again on the next run`,
    "transient",
  );
}

/** The error for a reply homing cannot read at all (not the service's format). */
export function unreadable(api: Api, what: string, why: string): ProviderError {
  return api.error(
    `${api.label} sent a reply homing cannot read when asked to update ${what}: ${api.shown(why, 100)}; homing tries again on the next run`,
    "transient",
  );
}

export class UrlUpdateProvider extends UpdateUrlProvider implements DnsProvider {
  readonly id: string;
  readonly label: string;
  readonly capabilities: ProviderCapabilities = { list: false, change: "update-url" };
  readonly foreignRowHint = "an address homing did not send";
  readonly #service: UrlUpdateService;

  constructor(service: UrlUpdateService) {
    super();
    this.#service = service;
    this.id = service.api.options.id;
    this.label = service.api.label;
  }

  #lookups(signal: AbortSignal) {
    const { servers, timeoutMs } = this.#service;
    return { providerId: this.id, servers, timeoutMs, signal };
  }

  lookup(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    return lookupRows(names, this.#lookups(options.signal));
  }

  async verifyAccess(options: VerifyOptions): Promise<string> {
    const names = options.names ?? [];
    const refused = names
      .map((name) => this.#service.refuse?.({ name, type: "A", add: "", remove: [] }))
      .find((error) => error !== undefined);
    if (refused) throw refused;
    const lookups = await describeLookups(names, this.#lookups(options.signal));
    return `${lookups}; no update was sent (${this.#service.checkNote})`;
  }

  async replaceMany(changes: readonly RecordChange[], options: ReplaceManyOptions): Promise<ChangeResult[]> {
    const service = this.#service;
    const early = changes.map((change) => service.refuse?.(change));
    const groups = new Map<string, { changes: RecordChange[]; indexes: number[] }>();
    changes.forEach((change, index) => {
      if (early[index]) return;
      const key = service.key?.(change) ?? `${index}`;
      const group = groups.get(key) ?? { changes: [], indexes: [] };
      group.changes.push(change);
      group.indexes.push(index);
      groups.set(key, group);
    });
    const results: ChangeResult[] = changes.map((_, index) => (early[index] ? { error: early[index] } : {}));
    // sendInTurn gives one result per request; a request's own per-change results are kept here.
    const own = new Map<number, ChangeResult>();
    const sent = await sendInTurn(groups.values(), changes.length, async (group) => {
      const answers = await service.send(group.changes, options.signal);
      for (const [at, index] of group.indexes.entries()) own.set(index, answers[at] ?? {});
      return {};
    });
    return results.map((result, index) =>
      result.error !== undefined ? result : (own.get(index) ?? sent[index] ?? {}),
    );
  }

  async remove(record: ProviderRecord): Promise<void> {
    throw new ProviderError(
      `${this.label} cannot delete ${record.name} ${record.type} ${record.value}: homing only sets addresses there; ${this.#service.removeHelp}`,
      { kind: "permanent", provider: this.id },
    );
  }
}
