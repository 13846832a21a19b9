import { sameAddress } from "../core/plan.ts";
import type { AddressRecordType, ProviderRecord } from "../core/records.ts";
import type { Secret } from "../core/secret.ts";
import { errorMessage, isAccountWide, PartialListError, ProviderError } from "../errors.ts";
import type { Logger } from "../platform/log.ts";

/**
 * How a change reaches the provider: `in-place` (Cloudflare PATCH of a record id) and `rrset` (one
 * atomic RFC 2136 UPDATE or PowerDNS PATCH of the set) go through `replace()`; `add-remove`
 * (DreamHost) adds the new value and removes the old ones only after the add is confirmed, so a
 * failure in between leaves an extra record, never a missing one; `update-url` (dyndns2, DuckDNS,
 * custom) sends every change of a round through `replaceMany()`.
 */
export type ChangeStrategy = "in-place" | "rrset" | "add-remove" | "update-url";

/**
 * What the engine reads to decide how to talk to a provider (docs/providers.md). It decides from
 * these fields only, never from which methods exist; `checkCapabilities`
 * (src/providers/capabilities.ts) checks at creation that the methods they need are there.
 */
export interface ProviderCapabilities {
  /** The engine lists the names (list()) before planning; false: it plans from state + DNS lookups (lookup()). */
  list: boolean;
  /** How a change is applied: in-place / rrset → replace(); add-remove → add() then remove(); update-url → replaceMany(). */
  change: ChangeStrategy;
  /**
   * How many changes may be in flight at once (default 1). Changes of different (name, type) are
   * independent; an API with generous limits gets a round of many changes done well inside the
   * run's deadline. DreamHost stays at 1: it allows ten adds per five minutes anyway.
   */
  maxConcurrency?: number;
}

/**
 * What an add's reply proved. `confirmed`: the service gave its documented confirmation (DreamHost
 * `record_added`, a NOERROR to a signed UPDATE, the created record echoed back). Anything else is
 * `unconfirmed`, with the reply quoted: the engine then re-lists before it believes the add, and never
 * removes an old value on the strength of an unconfirmed add ("a remove only after a confirmed add").
 */
export type AddResult = { confirmed: true } | { confirmed: false; reply: string };

export const CONFIRMED: AddResult = Object.freeze({ confirmed: true });

export interface CallOptions {
  signal: AbortSignal;
}

export interface RecordChange {
  name: string;
  type: AddressRecordType;
  /** Value to add, or undefined when it is already there. */
  add: string | undefined;
  /** Owned rows to remove, exactly as listed. */
  remove: ProviderRecord[];
}

/**
 * What a `replace` took away: every value that was at the (name, type) before and is gone after,
 * exactly as the provider held it. A provider that replaces a whole set (an RFC 2136 RRset, a
 * PowerDNS RRset) reports the whole old set here, including values homing never published, so the
 * report can name each one.
 */
export interface ReplaceResult {
  removed: string[];
}

/** The outcome of one change inside `replaceMany`: an error, or success (`unchanged`: the service already had it). */
export interface ChangeResult {
  error?: unknown;
  unchanged?: boolean;
}

/** An address of a managed (name, type) that is not changing this round. */
export interface UnchangedRecord {
  name: string;
  type: AddressRecordType;
  value: string;
}

export interface ReplaceManyOptions extends CallOptions {
  /**
   * The other managed records of the changing names, at their current (unchanged) address: a
   * protocol that sets both families at once (dyndns2 `myip=v4,v6`, where a lone IPv4 can clear
   * the AAAA) repeats them instead of dropping them.
   */
  unchanged: readonly UnchangedRecord[];
}

/** `homing check` passes the configured names, so providers that cannot list can resolve them. */
export interface VerifyOptions extends CallOptions {
  names?: readonly string[];
}

export interface DnsProvider {
  /** The user's id for this account, from `[providers.<id>]`. */
  readonly id: string;
  /** Human name of the service, for messages ("DreamHost"). */
  readonly label: string;
  readonly capabilities: ProviderCapabilities;
  /** How to describe rows homing does not own at a managed name (plan warnings). */
  readonly foreignRowHint: string;
  /**
   * What homing owns at a managed name here, for the warning that names a removed value homing did
   * not publish itself ("homing owns the whole A and AAAA set at each managed name"). The README's
   * "What homing owns at a name" says the same per provider.
   */
  readonly ownership?: string;
  /**
   * `list: true`: all rows at the given names (any type), in one read per account where the API
   * allows it. Names are normalised (lower case, no trailing dot).
   */
  list?(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]>;
  /**
   * `list: false`: the A and AAAA rows public DNS answers for the names (through the provider's
   * `resolver`), the guard of a provider that cannot be asked. A failure throws; the engine then
   * decides from the state file alone.
   */
  lookup?(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]>;
  /**
   * `add-remove`: adds one record. Resolves with what the reply proved: `confirmed` only for the
   * service's documented confirmation; any other success is `unconfirmed` and the engine re-lists
   * before trusting it.
   */
  add?(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult>;
  /** `add-remove`: removes one owned record. Resolves when it is gone (already gone counts). */
  remove?(record: ProviderRecord, options: CallOptions): Promise<void>;
  /**
   * `in-place` / `rrset`: one change, in place or atomically. Resolves with the values it removed
   * (which may differ from `change.remove`: rows that were already gone, or that the provider keeps).
   */
  replace?(change: RecordChange, options: CallOptions): Promise<ReplaceResult>;
  /**
   * `update-url`: every change of this round at once, so one request can carry several (IPv4 and
   * IPv6 of a name in one dyndns2 `myip=v4,v6`, several hostnames with the same address). Resolves
   * with one result per change, in order; it rejects only when nothing was sent.
   */
  replaceMany?(changes: readonly RecordChange[], options: ReplaceManyOptions): Promise<ChangeResult[]>;
  /**
   * Optional: a digest of the provider's config table and secret values (`configFingerprint`). A halt
   * (ProviderError.halt) lasts while it is unchanged; without it the engine digests the table alone.
   * Read it only to check or note a halt: computing it loads node:crypto, which an unchanged cron
   * run never needs (a getter over `lazyFingerprint`).
   */
  readonly fingerprint?: string;
  /** One read-only call that proves the credentials work; returns what it learned, for `homing check`. */
  verifyAccess(options: VerifyOptions): Promise<string>;
}

/**
 * Runs `task` for each key in turn and keeps each outcome apart: a key whose ProviderError concerns
 * it alone lands in `failed`, the others in `done`. An account-wide error (auth, rate limit, an
 * account halt) or anything that is not a ProviderError ends it at once.
 */
export async function settleEach<K, V>(
  keys: Iterable<K>,
  task: (key: K) => Promise<V>,
): Promise<{ done: Map<K, V>; failed: Map<K, unknown> }> {
  const done = new Map<K, V>();
  const failed = new Map<K, unknown>();
  for (const key of keys) {
    try {
      done.set(key, await task(key));
    } catch (error) {
      if (isAccountWide(error) || !(error instanceof ProviderError)) throw error;
      failed.set(key, error);
    }
  }
  return { done, failed };
}

/**
 * Lists name by name and gathers what it could read: a name that fails alone (its zone is not
 * visible, its query was refused) becomes a PartialListError entry, so the engine fails only that
 * name. An account-wide error fails the whole list at once.
 */
export async function listEachName(
  names: Iterable<string>,
  listOne: (name: string) => Promise<ProviderRecord[]>,
): Promise<ProviderRecord[]> {
  const all = [...names];
  const { done, failed } = await settleEach(all, listOne);
  const rows = [...done.values()].flat();
  if (failed.size > 0) throw PartialListError.of(rows, failed, all.length);
  return rows;
}

/**
 * The rule behind "a name never loses its record through us": a remove is only ever issued after a
 * confirmed add. An add (or an in-place update, or an RRset write) whose reply is not the service's
 * documented confirmation is believed only when a fresh list shows the new row; otherwise this throws,
 * nothing is removed, and the reply is quoted so the user can see what the service said.
 */
export async function confirmAdd(
  provider: Pick<DnsProvider, "id" | "label"> & {
    list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]>;
  },
  change: { name: string; type: AddressRecordType; remove: readonly ProviderRecord[] },
  value: string,
  reply: string,
  signal: AbortSignal,
): Promise<void> {
  const what = `${provider.label} answered the add of ${change.name} ${change.type} ${value} with ${reply}, which does not confirm it`;
  const kept = change.remove.length
    ? `nothing was removed, so ${change.name} keeps ${change.remove.map((row) => row.value).join(", ")}`
    : "nothing else was changed";
  let rows: ProviderRecord[];
  try {
    rows = await provider.list([change.name], { signal });
  } catch (error) {
    throw new ProviderError(
      `${what}, and the record list to check it failed (${errorMessage(error)}); ${kept}; homing tries again on the next run`,
      { kind: "transient", provider: provider.id, cause: error },
    );
  }
  const shown = rows.some(
    (row) =>
      row.name === change.name && row.type.toUpperCase() === change.type && sameAddress(row.value, value),
  );
  if (shown) return;
  throw new ProviderError(
    `${what}, and the record list does not show the new row; ${kept}; homing tries again on the next run`,
    { kind: "transient", provider: provider.id },
  );
}

/**
 * sha256 over the config table (JSON) and the secret values, hex, first 16 characters: enough to see
 * that the user changed something, never enough to recover a secret.
 */
export function configFingerprint(table: unknown, secrets: readonly string[]): string {
  // Loaded here, not at the top: node:crypto costs milliseconds, and a cron run with nothing to do
  // never gets this far.
  const { createHash } = process.getBuiltinModule("node:crypto");
  const hash = createHash("sha256");
  hash.update(JSON.stringify(table ?? null));
  for (const secret of secrets) hash.update(`\0${secret}`);
  return hash.digest("hex").slice(0, 16);
}

/**
 * `configFingerprint` computed on first use and kept: providers expose it as a `fingerprint` getter,
 * so node:crypto loads only in a run that checks or notes a halt (docs/design.md, "Startup budget").
 */
export function lazyFingerprint(table: unknown, secrets: () => readonly string[]): () => string {
  let fingerprint: string | undefined;
  return () => {
    fingerprint ??= configFingerprint(table, secrets());
    return fingerprint;
  };
}

export interface ProviderContext {
  logger: Logger;
  /** Waits, or rejects when the signal aborts. Injected so tests need not wait for real. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Reads a secret from the config (inline, `*_file`, or environment), warning on loose permissions. */
  secret: (key: string) => Promise<Secret>;
}
