/**
 * For services that write a whole record set at once (name + type → values: Google Cloud DNS, Azure,
 * Mythic Beasts' PUT): what each set held when last listed or written, so that adding one value or
 * removing one row is a write of the whole set, and a write can carry what the service needs from
 * the listing (the set's TTL, an etag). `service(write)` gives a `RestService`'s create, remove and
 * write from one `write` of the whole set.
 */
import type { AddressRecordType } from "../../core/records.ts";
import { normalizeName } from "../../core/records.ts";
import type { Place, Proof, RestService, Row } from "./rest.ts";
import { relativeName, type Zone } from "./zones.ts";

export interface KnownSet {
  values: readonly string[];
  ttl?: number | undefined;
  /** The service's version of the set (Azure's etag), for a conditional write. */
  tag?: string | undefined;
}

/** Where a whole set is written: the zone, the fully qualified name, the type. */
export type SetPlace = Pick<Place, "zone" | "name" | "relative" | "type">;

export type WriteSet = (
  place: SetPlace,
  values: readonly string[],
  known: KnownSet | undefined,
  signal: AbortSignal,
) => Promise<Proof>;

export class RecordSets {
  readonly #sets = new Map<string, KnownSet>();

  #key(zone: Zone, name: string, type: string): string {
    return `${zone.id} ${normalizeName(name)} ${type.toUpperCase()}`;
  }

  /** Notes a set as listed; its rows, one per value (id: "name TYPE value"). */
  listed(zone: Zone, name: string, type: string, set: KnownSet): Row[] {
    const fq = normalizeName(name);
    this.#sets.set(this.#key(zone, fq, type), set);
    return set.values.map((value) => ({
      id: `${fq} ${type} ${value}`,
      name: fq,
      type,
      value,
      ...(set.ttl === undefined ? {} : { ttl: set.ttl }),
    }));
  }

  get(zone: Zone, name: string, type: string): KnownSet | undefined {
    return this.#sets.get(this.#key(zone, name, type));
  }

  /**
   * create / remove / write of a RestService, each one `write` of the whole set. The set's current
   * values come from the last listing or write, or from `read` when given (a fresh read of the set
   * before each edit, for services whose listing homing does not keep).
   */
  service(
    write: WriteSet,
    read?: (place: SetPlace, signal: AbortSignal) => Promise<readonly string[]>,
  ): Pick<RestService, "create" | "remove" | "write"> {
    const current = async (place: SetPlace, signal: AbortSignal, fallback: readonly string[]) =>
      read ? await read(place, signal) : (this.get(place.zone, place.name, place.type)?.values ?? fallback);
    const whole = async (place: SetPlace, values: readonly string[], signal: AbortSignal) => {
      const key = this.#key(place.zone, place.name, place.type);
      const known = this.#sets.get(key);
      const proof = await write(place, values, known, signal);
      if (proof === true) {
        if (values.length === 0) this.#sets.delete(key);
        // The write may have noted the set from its reply (`listed`: a new etag); keep that.
        else this.#sets.set(key, { ...(this.#sets.get(key) ?? known), values: [...values] });
      }
      return proof;
    };
    return {
      write: whole,
      create: async (place, value, signal) => {
        const known = await current(place, signal, []);
        return whole(place, known.includes(value) ? known : [...known, value], signal);
      },
      remove: async (zone, row, signal) => {
        const place = {
          zone,
          name: row.name,
          relative: relativeName(row.name, zone.name),
          type: row.type as AddressRecordType,
        };
        const known = await current(place, signal, [row.value]);
        if (!known.includes(row.value)) return;
        await whole(
          place,
          known.filter((value) => value !== row.value),
          signal,
        );
      },
    };
  }
}
