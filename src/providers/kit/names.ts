/**
 * Names as services write them relative to a zone: "" or "@" at the apex, else a label (or labels)
 * to put in front of the zone. The inverse of `relativeName` (zones.ts).
 */
import { normalizeName } from "../../core/records.ts";

/** The fully qualified, normalised name of `relative` in `zone` ("" and "@" are the apex). */
export function absoluteName(relative: string, zone: string): string {
  const label = normalizeName(relative);
  return label === "" || label === "@" ? zone : `${label}.${zone}`;
}
