/**
 * Names as services write them relative to a zone: "" or "@" at the apex, else a label (or labels)
 * to put in front of the zone. The inverse of `relativeName` (zones.ts).
 */
import { normalizeName } from "../../core/records.ts";

/**
 * The fully qualified, normalised name of a name as a service lists it: "" and "@" are the apex, a
 * relative label is put in front of the zone, and a name already inside the zone (with or without a
 * final dot) is kept.
 */
export function absoluteName(name: string, zone: string): string {
  const wanted = normalizeName(name);
  if (wanted === "" || wanted === "@") return zone;
  return wanted === zone || wanted.endsWith(`.${zone}`) ? wanted : `${wanted}.${zone}`;
}
