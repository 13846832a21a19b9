/**
 * For services that only write whole record sets (GoDaddy, Gandi, deSEC, Hetzner Cloud, …): one
 * value added or removed = read the set as it is now, write it back with the value added or taken
 * out (an empty set is the service's delete). The kit's `rrset` strategy uses `write` directly for
 * changes; these are the `create` and `remove` every RestService must still supply.
 */
import type { AddressRecordType } from "../../core/records.ts";
import type { Place, Proof, RestService, Row } from "./rest.ts";
import { relativeName, type Zone } from "./zones.ts";

export interface SetAccess {
  /** The values of the set at a place now ([] when there is none). */
  read(place: Place, signal: AbortSignal): Promise<string[]>;
  /** Replaces the set with these values; [] deletes it. */
  write(place: Place, values: readonly string[], signal: AbortSignal): Promise<Proof>;
}

/** A service's name relative to a zone ("@", "" or labels) as a fully qualified name. */
export function fullName(label: string, zone: string): string {
  const relative = label.toLowerCase().replace(/\.$/, "");
  return relative === "@" || relative === "" ? zone : `${relative}.${zone}`;
}

/** The rows of one set, one per value; sets have no row ids, so a row's id is its type, name and value. */
export function setRows(name: string, type: string, values: readonly string[], ttl?: number | null): Row[] {
  return values.map((value) => ({
    id: `${type} ${name} ${value}`,
    name,
    type,
    value,
    ...(ttl ? { ttl } : {}),
  }));
}

/** The place of a listed row in its zone. */
export function placeOf(zone: Zone, row: Pick<Row, "name" | "type">): Place {
  return {
    zone,
    name: row.name,
    relative: relativeName(row.name, zone.name),
    type: row.type as AddressRecordType,
  };
}

/** `create` and `remove` written as read-then-write of the whole set. */
export function setEdits(access: SetAccess): Pick<RestService, "create" | "remove"> {
  return {
    async create(place, value, signal) {
      const values = await access.read(place, signal);
      return access.write(place, values.includes(value) ? values : [...values, value], signal);
    },
    async remove(zone, row, signal) {
      const place = placeOf(zone, row);
      const values = await access.read(place, signal);
      if (!values.includes(row.value)) return;
      await access.write(
        place,
        values.filter((value) => value !== row.value),
        signal,
      );
    },
  };
}
