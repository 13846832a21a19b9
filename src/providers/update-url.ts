/**
 * What the update-URL providers (dyndns2, DuckDNS, custom) share: they cannot list, so `lookup()`
 * answers from a DNS lookup of each name (docs/providers.md, "Providers that cannot list"), and
 * `homing check` can only validate the config and resolve the names, never send an update.
 */
import * as v from "valibot";
import type { AddressRecordType, ProviderRecord } from "../core/records.ts";
import { ConfigError, ProviderError } from "../errors.ts";
import { describeBadServer, describeServers, resolveAddresses } from "../platform/resolve.ts";
import {
  type AddResult,
  type CallOptions,
  type ChangeResult,
  CONFIRMED,
  type RecordChange,
  type ReplaceManyOptions,
  type ReplaceResult,
} from "./provider.ts";

declare const HOMING_VERSION: string;

/** The `resolver` key of every provider that cannot list. */
export const resolverSetting = v.optional(
  v.pipe(
    v.union([v.string(), v.array(v.string())]),
    v.description(
      'DNS server(s) for the lookups that guard updates, like "127.0.0.1:5353" or ["1.1.1.1", "9.9.9.9"] (default: the system resolver)',
    ),
  ),
);

/** Lookups are a guard, not the update: they get a short deadline of their own. */
const LOOKUP_TIMEOUT_MS = 5000;

/** `resolver` as a server list (undefined: the system's), or a ConfigError naming the bad entry. */
export function resolverServers(setting: string | string[] | undefined, label: string): string[] | undefined {
  if (setting === undefined) return undefined;
  const servers = (Array.isArray(setting) ? setting : [setting]).map((s) => s.trim()).filter((s) => s);
  const problems = servers
    .map((server) => describeBadServer(server))
    .filter((problem): problem is string => problem !== undefined)
    .map((problem) => `${label}.resolver: ${problem}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return servers.length > 0 ? servers : undefined;
}

/** "homing/0.1.0 (dynamic DNS client; linux)": dyndns2 services refuse clients without a descriptive agent. */
export function userAgent(): string {
  const version = typeof HOMING_VERSION === "string" ? HOMING_VERSION : "dev";
  return `homing/${version} (dynamic DNS client; ${process.platform})`;
}

export interface LookupOptions {
  providerId: string;
  servers: readonly string[] | undefined;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * The A and AAAA rows DNS answers for each name (owned: homing is the only writer these services
 * have). A failed lookup throws a transient ProviderError; the engine then decides from the state.
 */
export async function lookupRows(
  names: readonly string[],
  options: LookupOptions,
): Promise<ProviderRecord[]> {
  const timeoutMs = Math.min(options.timeoutMs, LOOKUP_TIMEOUT_MS);
  const lookups = names.flatMap((name) =>
    (["A", "AAAA"] as const).map(async (type: AddressRecordType) => {
      const values = await resolveAddresses(name, type, {
        servers: options.servers,
        timeoutMs,
        signal: options.signal,
      });
      return values.map((value) => ({ name, type, value, owned: true }));
    }),
  );
  try {
    return (await Promise.all(lookups)).flat();
  } catch (error) {
    throw new ProviderError(error instanceof Error ? error.message : String(error), {
      kind: "transient",
      provider: options.providerId,
      cause: error,
    });
  }
}

/** For `homing check`: what each name answers, one clause per name, or why the lookup failed. */
export async function describeLookups(names: readonly string[], options: LookupOptions): Promise<string> {
  const where = describeServers(options.servers);
  if (names.length === 0) return `lookups go to ${where}`;
  const rows = await lookupRows(names, options);
  const parts = names.map((name) => {
    const answer = (["A", "AAAA"] as const).map((type) => {
      const values = rows.filter((row) => row.name === name && row.type === type).map((row) => row.value);
      return `${type} ${values.length > 0 ? values.join(", ") : "none"}`;
    });
    return `${name} ${answer.join(", ")}`;
  });
  return `DNS (${where}) answers ${parts.join("; ")}`;
}

/**
 * Sends planned requests one after the other and gives each change its result. After an auth
 * failure or a rate limit, the remaining requests are not sent: they fail with that same error.
 */
export async function sendInTurn<P extends { indexes: readonly number[] }>(
  planned: Iterable<P>,
  count: number,
  send: (request: P) => Promise<ChangeResult>,
): Promise<ChangeResult[]> {
  const results: ChangeResult[] = Array.from({ length: count }, () => ({}));
  let stopped: ProviderError | undefined;
  for (const request of planned) {
    let result: ChangeResult;
    if (stopped) result = { error: stopped };
    else {
      try {
        result = await send(request);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        if (error.kind === "auth" || error.kind === "rate_limited") stopped = error;
        result = { error };
      }
    }
    for (const index of request.indexes) results[index] = result;
  }
  return results;
}

/**
 * What every update-URL provider does the same way: a single change is a batch of one, and an add
 * is a change with nothing to remove. Subclasses implement `replaceMany` (and say in `remove` why
 * an update URL cannot delete).
 */
export abstract class UpdateUrlProvider {
  abstract readonly id: string;
  abstract replaceMany(
    changes: readonly RecordChange[],
    options: ReplaceManyOptions,
  ): Promise<ChangeResult[]>;

  /** The service swaps the one address it holds; what that was is the report's `previous` (state or DNS). */
  async replace(change: RecordChange, options: CallOptions): Promise<ReplaceResult> {
    const [result] = await this.replaceMany([change], { ...options, unchanged: [] });
    if (result?.error !== undefined) throw result.error;
    return { removed: [] };
  }

  /** The service's acceptance answer (`good`, `OK`, the configured success text) is its confirmation. */
  async add(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult> {
    await this.replace({ name, type, add: value, remove: [] }, options);
    return CONFIRMED;
  }
}
