/**
 * For services that only write whole record sets and whose listing homing does not keep (GoDaddy,
 * Gandi, deSEC, Hetzner Cloud): one value added or removed = read the set as it is now, write it
 * back with the value added or taken out (an empty set is the service's delete). The edit itself is
 * `RecordSets.service` (rrsets.ts), given a fresh read.
 */
import { absoluteName } from "./names.ts";
import type { Place, Proof, RestService, Row } from "./rest.ts";
import { RecordSets } from "./rrsets.ts";

export interface SetAccess {
  /** The values of the set at a place now ([] when there is none). */
  read(place: Place, signal: AbortSignal): Promise<string[]>;
  /** Replaces the set with these values; [] deletes it. */
  write(place: Place, values: readonly string[], signal: AbortSignal): Promise<Proof>;
}

/** A service's name relative to a zone ("@", "" or labels) as a fully qualified name. */
export const fullName = absoluteName;

/** The rows of one set, one per value; sets have no row ids, so a row's id is its name, type and value. */
export function setRows(name: string, type: string, values: readonly string[], ttl?: number | null): Row[] {
  return new RecordSets().listed({ name, id: name }, name, type, {
    values,
    ...(ttl ? { ttl } : {}),
  });
}

/** `create` and `remove` written as read-then-write of the whole set. */
export function setEdits(access: SetAccess): Pick<RestService, "create" | "remove"> {
  const { create, remove } = new RecordSets().service(
    (place, values, _known, signal) => access.write(place as Place, values, signal),
    (place, signal) => access.read(place as Place, signal),
  );
  return { create, remove };
}
