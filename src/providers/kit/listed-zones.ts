/**
 * Zones for the services that have no "which zones do I have" call but list a zone's records by
 * its name (Porkbun, Netcup, INWX, Loopia, NameSilo, Njalla, ClouDNS): each candidate parent is asked for its
 * records, a "no such domain" answer (`null`) moves on to the next, and the rows of the zone that
 * answered are kept for the run's list of that zone, so finding a zone and listing it is one call.
 */
import type { Api } from "./http.ts";
import type { Row } from "./rest.ts";
import { type Zone, Zones } from "./zones.ts";

export interface ListedZones {
  zones: Zones;
  /** The zone's rows: the ones its lookup fetched (once), else a fresh listing. */
  list(zone: Zone, names: ReadonlySet<string>, signal: AbortSignal): Promise<Row[]>;
}

export function listedZones(
  api: Api,
  /** The rows of the zone of this name, or null when the account has no such zone. */
  retrieve: (domain: string, signal: AbortSignal) => Promise<Row[] | null>,
  configured: string | undefined,
  help: string,
  /** Zones are registered domains, which never nest: probe shortest first (see ZoneSource). */
  registeredDomains = true,
): ListedZones {
  const fetched = new Map<string, Row[]>();
  const zones = new Zones(
    api,
    {
      async lookup(name, signal) {
        const rows = await retrieve(name, signal);
        if (rows === null) return null;
        fetched.set(name, rows);
        return { name, id: name };
      },
      registeredDomains,
    },
    configured,
    help,
  );
  return {
    zones,
    async list(zone, _names, signal) {
      const cached = fetched.get(zone.name);
      fetched.delete(zone.name);
      return cached ?? (await retrieve(zone.name, signal)) ?? [];
    },
  };
}

export { absoluteName } from "./names.ts";
