/**
 * Bunny DNS (reference: shared/reference/providers.md §26). Quirks modelled: `AccessKey` header;
 * PascalCase JSON; the zone list is paged (`page`, `perPage`, `HasMoreItems`; 2 to a page here)
 * and takes `search`; GET /dnszone/{id} holds every record; record `Type` is an integer enum
 * (A = 0, AAAA = 1, CNAME = 2, TXT = 3, MX = 4, …); `Name` is relative ("" at the apex); PUT
 * creates (201 with the record), POST to a record id updates (204, no body), DELETE answers 204;
 * errors are `{ErrorKey, Field, Message}`.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;
const TYPES = [
  "A",
  "AAAA",
  "CNAME",
  "TXT",
  "MX",
  "Redirect",
  "Flatten",
  "PullZone",
  "SRV",
  "CAA",
  "PTR",
  "Script",
  "NS",
];

const fail = (status: number, message: string, field = ""): EmuReply => ({
  status,
  json: { ErrorKey: status === 401 ? "unauthorized" : "validation_error", Field: field, Message: message },
});

const shape = (zone: StoredZone, row: StoredRow) => ({
  Id: Number(row.id),
  Type: TYPES.findIndex((t) => t.toUpperCase() === row.type),
  Ttl: row.ttl,
  Value: row.value,
  Name: ZoneStore.relative(zone, row.name),
  Weight: 0,
  Priority: row.type === "MX" ? 10 : 0,
  Disabled: false,
});

function fields(request: EmuRequest) {
  const { Type, Name = "", Value, Ttl } = (request.json ?? {}) as Record<string, unknown>;
  const type = typeof Type === "number" ? TYPES[Type]?.toUpperCase() : undefined;
  return { type, name: String(Name), value: typeof Value === "string" ? Value : undefined, ttl: Ttl };
}

export const bunny: ServiceModule = {
  type: "bunny",
  label: "Bunny DNS",
  secrets: () => ({ api_key: `${canarySecret()}-${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  authHint: /check api_key/,
  auth: (request, secrets) =>
    request.headers.accesskey === secrets.api_key
      ? undefined
      : fail(401, "The request authorization failed."),
  error: (status, message) => fail(status, message),
  lie: (request) => (request.method === "PUT" ? { status: 201, json: {} } : { status: 204 }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/dnszone",
      handle(request, _params, store) {
        const search = request.query.get("search") ?? "";
        const zones = [...store.zones.values()].filter((zone) => zone.name.includes(search));
        const page = Math.max(1, Number(request.query.get("page") ?? 1));
        const size = Math.min(PAGE, Number(request.query.get("perPage") ?? 1000));
        const items = zones
          .slice((page - 1) * size, page * size)
          .map((zone) => ({ Id: Number(zone.id), Domain: zone.name }));
        return {
          status: 200,
          json: {
            Items: items,
            CurrentPage: page,
            TotalItems: zones.length,
            HasMoreItems: page * size < zones.length,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/dnszone/:id",
      handle(_request, { id = "" }, store) {
        const zone = store.zone(id);
        if (!zone) return fail(404, "The requested DNS zone was not found");
        return {
          status: 200,
          json: { Id: Number(zone.id), Domain: zone.name, Records: zone.rows.map((r) => shape(zone, r)) },
        };
      },
    },
    {
      method: "PUT",
      path: "/dnszone/:id/records",
      handle(request, { id = "" }, store) {
        const zone = store.zone(id);
        if (!zone) return fail(404, "The requested DNS zone was not found");
        const { type, name, value, ttl = 300 } = fields(request);
        if (!type || value === undefined) return fail(400, "The record is not valid", "Value");
        const row = store.add(zone, { name: ZoneStore.fqdn(zone, name), type, value, ttl: Number(ttl) });
        return { status: 201, json: shape(zone, row) };
      },
    },
    {
      method: "POST",
      path: "/dnszone/:id/records/:record",
      handle(request, { id = "", record = "" }, store) {
        const zone = store.zone(id);
        const row = zone?.rows.find((r) => r.id === record);
        if (!zone || !row) return fail(404, "The requested DNS record was not found");
        const { value, ttl } = fields(request);
        if (value !== undefined) row.value = value;
        if (ttl !== undefined) row.ttl = Number(ttl);
        return { status: 204 };
      },
    },
    {
      method: "DELETE",
      path: "/dnszone/:id/records/:record",
      handle(_request, { id = "", record = "" }, store) {
        if (!store.zone(id)?.rows.some((r) => r.id === record))
          return fail(404, "The requested DNS record was not found");
        store.delete(record);
        return { status: 204 };
      },
    },
  ],
};
