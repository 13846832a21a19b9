/**
 * Gandi LiveDNS v5 (reference: shared/reference/providers.md §4): records are sets by name and
 * type with relative names ("@" at the apex); error envelope {code, message, object, cause}.
 * Quirks: PUT of a set answers 201 {"message":"DNS Record Created"} without the values; POST of a
 * set that exists is 409; TTLs below 300 are refused (400); credentials are accepted in the three
 * documented forms: `Authorization: Bearer <PAT>`, `Authorization: Apikey <key>` (LEGO) and
 * `X-Api-Key: <key>` (DU).
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

const fail = (status: number, message: string): EmuReply => ({
  status,
  json: { code: status, message, object: "HTTPError", cause: status === 404 ? "Not Found" : "Error" },
});

function rrsets(zone: StoredZone, name?: string, type?: string) {
  const sets = new Map<
    string,
    { rrset_name: string; rrset_type: string; rrset_ttl: number; rrset_values: string[] }
  >();
  for (const row of zone.rows) {
    if ((name !== undefined && row.name !== name) || (type !== undefined && row.type !== type)) continue;
    const key = `${row.name} ${row.type}`;
    const set = sets.get(key) ?? {
      rrset_name: ZoneStore.relative(zone, row.name) || "@",
      rrset_type: row.type,
      rrset_ttl: row.ttl,
      rrset_values: [],
    };
    set.rrset_values.push(row.value);
    sets.set(key, set);
  }
  return [...sets.values()];
}

function put(request: EmuRequest, store: ZoneStore, zone: StoredZone, name: string, type: string): EmuReply {
  const body = (request.json ?? {}) as { rrset_values?: unknown; rrset_ttl?: number };
  if (!Array.isArray(body.rrset_values)) return fail(400, "rrset_values: required");
  if (body.rrset_ttl !== undefined && body.rrset_ttl < 300)
    return fail(400, "rrset_ttl: must be at least 300");
  store.setRRset(
    zone,
    ZoneStore.fqdn(zone, name),
    type,
    body.rrset_values.map(String),
    body.rrset_ttl ?? 10800,
  );
  return { status: 201, json: { message: "DNS Record Created" } };
}

export const gandi: ServiceModule = {
  type: "gandi",
  label: "Gandi",
  secrets: () => ({ token: `pat_${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  base: "/v5/livedns",
  authHint: /check (token|api_key)/,
  auth(request, secrets) {
    const header = request.headers.authorization ?? "";
    const key = secrets.api_key;
    if (secrets.token !== undefined && header === `Bearer ${secrets.token}`) return undefined;
    if (key !== undefined && (header === `Apikey ${key}` || request.headers["x-api-key"] === key))
      return undefined;
    return fail(401, "The server could not verify that you authorized to access the document you requested.");
  },
  error: (status, message) => fail(status, message),
  lie: (request) =>
    request.method === "DELETE"
      ? { status: 204, text: "" }
      : { status: 201, json: { message: "DNS Record Created" } },
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/domains",
      handle: (_request, _params, zones) => ({
        status: 200,
        json: [...zones.zones.values()].map((zone) => ({ fqdn: zone.name })),
      }),
    },
    {
      method: "GET",
      path: "/domains/:fqdn",
      handle(_request, { fqdn = "" }, zones) {
        const zone = zones.zone(fqdn);
        if (!zone) return fail(404, "The resource could not be found.");
        const records = `https://api.gandi.net/v5/livedns/domains/${zone.name}/records`;
        return {
          status: 200,
          json: { fqdn: zone.name, automatic_snapshots: true, domain_records_href: records },
        };
      },
    },
    {
      method: "GET",
      path: "/domains/:fqdn/records",
      handle(_request, { fqdn = "" }, zones) {
        const zone = zones.zone(fqdn);
        return zone ? { status: 200, json: rrsets(zone) } : fail(404, "The resource could not be found.");
      },
    },
    {
      method: "GET",
      path: "/domains/:fqdn/records/:name",
      handle(_request, { fqdn = "", name = "" }, zones) {
        const zone = zones.zone(fqdn);
        if (!zone) return fail(404, "The resource could not be found.");
        return { status: 200, json: rrsets(zone, ZoneStore.fqdn(zone, name)) };
      },
    },
    {
      method: "GET",
      path: "/domains/:fqdn/records/:name/:type",
      handle(_request, { fqdn = "", name = "", type = "" }, zones) {
        const zone = zones.zone(fqdn);
        const [set] = zone ? rrsets(zone, ZoneStore.fqdn(zone, name), type) : [];
        return set ? { status: 200, json: set } : fail(404, "The resource could not be found.");
      },
    },
    {
      method: "PUT",
      path: "/domains/:fqdn/records/:name/:type",
      handle(request, { fqdn = "", name = "", type = "" }, zones) {
        const zone = zones.zone(fqdn);
        return zone ? put(request, zones, zone, name, type) : fail(404, "The resource could not be found.");
      },
    },
    {
      method: "POST",
      path: "/domains/:fqdn/records/:name/:type",
      handle(request, { fqdn = "", name = "", type = "" }, zones) {
        const zone = zones.zone(fqdn);
        if (!zone) return fail(404, "The resource could not be found.");
        if (rrsets(zone, ZoneStore.fqdn(zone, name), type).length > 0)
          return fail(409, "A record already exists");
        return put(request, zones, zone, name, type);
      },
    },
    {
      method: "DELETE",
      path: "/domains/:fqdn/records/:name/:type",
      handle(_request, { fqdn = "", name = "", type = "" }, zones) {
        const zone = zones.zone(fqdn);
        if (!zone || rrsets(zone, ZoneStore.fqdn(zone, name), type).length === 0)
          return fail(404, "The resource could not be found.");
        zones.setRRset(zone, ZoneStore.fqdn(zone, name), type, []);
        return { status: 204, text: "" };
      },
    },
  ],
};
