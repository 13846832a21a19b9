/**
 * Scaleway Domains and DNS API v2beta1 (reference: shared/reference/providers.md §18). Quirks
 * modelled: `X-Auth-Token`; zones (`dns_zones`, `domain` + `subdomain`) and records are paged
 * (`page`, `page_size`, `total_count`; 2 to a page here); names are relative ("" at the apex);
 * every change is PATCH /dns-zones/{zone}/records with `changes`: `add`, `set` (replaces every
 * record matching `id_fields`, creating when none), `delete` (by `id` or `id_fields`), `clear`;
 * it answers 200 with the records it touched; errors are `{message, type}`.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;
const TYPES: Record<number, string> = {
  400: "invalid_arguments",
  401: "denied_authentication",
  403: "permissions_denied",
  404: "not_found",
  429: "quotas_exceeded",
};

const fail = (status: number, message: string): EmuReply => ({
  status,
  json: { message, type: TYPES[status] ?? "unknown_error" },
});

const shape = (zone: StoredZone, row: StoredRow) => ({
  id: `6b9c47a2-0000-4c1e-a2b0-${row.id.padStart(12, "0")}`,
  name: ZoneStore.relative(zone, row.name),
  type: row.type,
  data: row.value,
  ttl: row.ttl,
  priority: 0,
  comment: null,
});
const storeId = (id: string) => String(Number(id.split("-").pop()));

function paged(request: EmuRequest, key: string, items: unknown[]): EmuReply {
  const page = Math.max(1, Number(request.query.get("page") ?? 1));
  const size = Math.min(PAGE, Number(request.query.get("page_size") ?? 20));
  return {
    status: 200,
    json: { [key]: items.slice((page - 1) * size, page * size), total_count: items.length },
  };
}

interface IdFields {
  name?: string;
  type?: string;
}
interface Change {
  add?: { records: Array<{ name?: string; type: string; data: string; ttl?: number }> };
  set?: { id_fields: IdFields; records: Array<{ name?: string; data: string; ttl?: number }> };
  delete?: { id?: string; id_fields?: IdFields };
  clear?: unknown;
}

const matches = (zone: StoredZone, fields: IdFields) => (row: StoredRow) =>
  row.name === ZoneStore.fqdn(zone, fields.name ?? "") &&
  (fields.type === undefined || row.type === fields.type);

function apply(zone: StoredZone, store: ZoneStore, change: Change): StoredRow[] | EmuReply {
  if (change.add)
    return change.add.records.map((r) =>
      store.add(zone, {
        name: ZoneStore.fqdn(zone, r.name ?? ""),
        type: r.type,
        value: r.data,
        ttl: r.ttl ?? 3600,
      }),
    );
  if (change.set) {
    const { id_fields: fields, records } = change.set;
    if (!fields.type) return fail(400, "id_fields.type is required");
    const name = ZoneStore.fqdn(zone, fields.name ?? "");
    store.setRRset(
      zone,
      name,
      fields.type,
      records.map((r) => r.data),
    );
    const rows = zone.rows.filter(matches(zone, fields));
    for (const row of rows) row.ttl = records.find((r) => r.data === row.value)?.ttl ?? 3600;
    return rows;
  }
  if (change.delete) {
    const { id, id_fields } = change.delete;
    const rows = id
      ? zone.rows.filter((r) => r.id === storeId(id))
      : zone.rows.filter(matches(zone, id_fields ?? {}));
    if (id && rows.length === 0) return fail(404, "record not found");
    zone.rows = zone.rows.filter((row) => !rows.includes(row));
    return [];
  }
  if (change.clear !== undefined) {
    zone.rows = [];
    return [];
  }
  return fail(400, "unknown change");
}

export const scaleway: ServiceModule = {
  type: "scaleway",
  label: "Scaleway",
  secrets: () => ({ secret_key: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/domain/v2beta1",
  authHint: /check secret_key/,
  auth: (request, secrets) =>
    request.headers["x-auth-token"] === secrets.secret_key
      ? undefined
      : fail(401, "authentication is denied"),
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: { records: [] } }),
  mutating: (request) => request.method === "PATCH",
  routes: [
    {
      method: "GET",
      path: "/dns-zones",
      handle(request, _params, store) {
        // A delegated sub-zone is listed as its registered domain plus a `subdomain`.
        const zones = [...store.zones.values()].map((zone) => {
          const labels = zone.name.split(".");
          return {
            domain: labels.slice(-2).join("."),
            subdomain: labels.slice(0, -2).join("."),
            status: "active",
          };
        });
        return paged(request, "dns_zones", zones);
      },
    },
    {
      method: "GET",
      path: "/dns-zones/:zone/records",
      handle(request, { zone: name = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return fail(404, "dns zone not found");
        const wanted = request.query.get("name");
        const type = request.query.get("type");
        const rows = zone.rows.filter(
          (r) =>
            (wanted === null || r.name === ZoneStore.fqdn(zone, wanted)) &&
            (type === null || r.type === type),
        );
        return paged(
          request,
          "records",
          rows.map((row) => shape(zone, row)),
        );
      },
    },
    {
      method: "PATCH",
      path: "/dns-zones/:zone/records",
      handle(request, { zone: name = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return fail(404, "dns zone not found");
        const { changes } = (request.json ?? {}) as { changes?: Change[] };
        if (!Array.isArray(changes)) return fail(400, "changes is required");
        const touched: StoredRow[] = [];
        for (const change of changes) {
          const result = apply(zone, store, change);
          if (!Array.isArray(result)) return result;
          touched.push(...result);
        }
        return { status: 200, json: { records: touched.map((row) => shape(zone, row)) } };
      },
    },
  ],
};
