/**
 * The strategies a REST provider picks from, written once. A service module supplies only its
 * request/response mapping (`RestService`); `RestProvider` turns it into a DnsProvider:
 * - one list per zone for all of its names (calls grow with zones, never with records), each name
 *   failing alone when its zone is missing;
 * - `in-place`: the first stale row is updated to the new value, then the other stale rows are
 *   removed;
 * - `rrset`: the whole A or AAAA set at the name is written at once;
 * - `add-remove`: the engine adds, then removes.
 * In every strategy a write the service does not confirm (its reply does not show the new value) is
 * checked with a fresh list before anything is removed (`confirmAdd`).
 */
import { type AddressRecordType, normalizeName, type ProviderRecord } from "../../core/records.ts";
import { PartialListError } from "../../errors.ts";
import {
  type AddResult,
  type CallOptions,
  type ChangeStrategy,
  CONFIRMED,
  confirmAdd,
  type DnsProvider,
  type ProviderCapabilities,
  type RecordChange,
  type ReplaceResult,
  settleEach,
  type VerifyOptions,
} from "../provider.ts";
import type { Api } from "./http.ts";
import type { Zone, Zones } from "./zones.ts";

/** One row as the service lists it, at a name of the zone (fully qualified, normalised). */
export interface Row {
  id: string;
  name: string;
  type: string;
  value: string;
  ttl?: number;
  /** False for rows homing must never change (the service's own, another tool's). Default: true. */
  owned?: boolean;
}

/** Where a change goes: the zone, the name (fully qualified and relative to the zone), the type. */
export interface Place {
  zone: Zone;
  name: string;
  relative: string;
  type: AddressRecordType;
}

/** What a write proved: `true` when the reply shows the new value, else the reply, quoted. */
export type Proof = true | { reply: string };

export interface RestService {
  api: Api;
  zones: Zones;
  change: Exclude<ChangeStrategy, "update-url">;
  ownership?: string;
  foreignRowHint?: string;
  maxConcurrency?: number;
  /** Every row at these names of one zone (any type; extra names are dropped by the caller). */
  list(zone: Zone, names: ReadonlySet<string>, signal: AbortSignal): Promise<Row[]>;
  /** Creates one row. */
  create(place: Place, value: string, signal: AbortSignal): Promise<Proof>;
  /** Deletes one listed row (already gone counts as done). */
  remove(zone: Zone, row: Row, signal: AbortSignal): Promise<void>;
  /** `in-place`: sets a listed row to a new value. */
  update?(place: Place, row: Row, value: string, signal: AbortSignal): Promise<Proof>;
  /** `rrset`: replaces the whole set at the place with these values. */
  write?(place: Place, values: readonly string[], signal: AbortSignal): Promise<Proof>;
  /** One read-only call that proves the credentials; what it learned, for `homing check`. */
  verify(names: readonly string[], signal: AbortSignal): Promise<string>;
}

function isAddressType(type: string): type is AddressRecordType {
  return type === "A" || type === "AAAA";
}

export class RestProvider implements DnsProvider {
  readonly id: string;
  readonly label: string;
  readonly capabilities: ProviderCapabilities;
  readonly foreignRowHint: string;
  readonly ownership: string;
  readonly #service: RestService;
  /** Listed rows by id, for removes and updates. */
  readonly #rows = new Map<string, Row>();

  constructor(service: RestService) {
    this.#service = service;
    this.id = service.api.options.id;
    this.label = service.api.label;
    this.capabilities = {
      list: true,
      change: service.change,
      ...(service.maxConcurrency ? { maxConcurrency: service.maxConcurrency } : {}),
    };
    this.ownership =
      service.ownership ?? `homing owns every A and AAAA row at each managed name with ${this.label}`;
    this.foreignRowHint =
      service.foreignRowHint ?? `a record of another type, which homing leaves alone at ${this.label}`;
  }

  async list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    const unique = new Set(names.map(normalizeName));
    const zones = await settleEach(unique, (name) => this.#service.zones.of(name, options.signal));
    const byZone = new Map<string, { zone: Zone; names: Set<string> }>();
    for (const [name, { zone }] of zones.done) {
      const entry = byZone.get(zone.id) ?? { zone, names: new Set<string>() };
      entry.names.add(name);
      byZone.set(zone.id, entry);
    }
    const listed = await settleEach(byZone.values(), async ({ zone, names: wanted }) => {
      const rows = await this.#service.list(zone, wanted, options.signal);
      return rows.filter((row) => wanted.has(normalizeName(row.name)));
    });
    const failed = new Map(zones.failed);
    for (const [entry, why] of listed.failed) for (const name of entry.names) failed.set(name, why);
    const out: ProviderRecord[] = [];
    for (const row of [...listed.done.values()].flat()) {
      const name = normalizeName(row.name);
      const type = row.type.toUpperCase();
      this.#rows.set(row.id, { ...row, name, type });
      out.push({
        name,
        type,
        value: row.value,
        owned: isAddressType(type) && row.owned !== false,
        id: row.id,
        ...(row.ttl !== undefined ? { ttl: row.ttl } : {}),
      });
    }
    if (failed.size > 0) throw PartialListError.of(out, failed, unique.size);
    return out;
  }

  async #place(name: string, type: AddressRecordType, signal: AbortSignal): Promise<Place> {
    const { zone, relative } = await this.#service.zones.of(name, signal);
    return { zone, name: normalizeName(name), relative, type };
  }

  #row(record: ProviderRecord): Row {
    return this.#rows.get(record.id ?? "") ?? { ...record, id: record.id ?? "" };
  }

  static #result(proof: Proof): AddResult {
    return proof === true ? CONFIRMED : { confirmed: false, reply: proof.reply };
  }

  async add(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult> {
    const place = await this.#place(name, type, options.signal);
    return RestProvider.#result(await this.#service.create(place, value, options.signal));
  }

  async remove(record: ProviderRecord, options: CallOptions): Promise<void> {
    const { zone } = await this.#service.zones.of(record.name, options.signal);
    await this.#service.remove(zone, this.#row(record), options.signal);
    if (record.id !== undefined) this.#rows.delete(record.id);
  }

  /** Believes a write only when the reply or a fresh list shows the new value. */
  async #confirm(change: RecordChange, value: string, proof: Proof, signal: AbortSignal): Promise<void> {
    if (proof !== true) await confirmAdd(this, change, value, proof.reply, signal);
  }

  async replace(change: RecordChange, options: CallOptions): Promise<ReplaceResult> {
    const { signal } = options;
    const service = this.#service;
    const place = await this.#place(change.name, change.type, signal);
    if (service.change === "rrset" && service.write) {
      if (change.add === undefined && change.remove.length === 0) return { removed: [] };
      const removing = new Set(change.remove.map((row) => row.value));
      const kept = [...this.#rows.values()]
        .filter((row) => row.name === place.name && row.type === change.type && !removing.has(row.value))
        .map((row) => row.value);
      const values = change.add === undefined ? kept : [...new Set([...kept, change.add])];
      const proof = await service.write(place, values, signal);
      if (change.add !== undefined) await this.#confirm(change, change.add, proof, signal);
      return { removed: [...removing] };
    }
    let stale = [...change.remove];
    if (change.add !== undefined) {
      const first = stale[0];
      if (first && service.update) {
        await this.#confirm(
          change,
          change.add,
          await service.update(place, this.#row(first), change.add, signal),
          signal,
        );
        stale = stale.slice(1);
      } else {
        await this.#confirm(change, change.add, await service.create(place, change.add, signal), signal);
      }
    }
    for (const row of stale) await this.remove(row, options);
    return { removed: change.remove.map((row) => row.value) };
  }

  verifyAccess(options: VerifyOptions): Promise<string> {
    return this.#service.verify(options.names ?? [], options.signal);
  }
}
