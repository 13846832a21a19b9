/**
 * Hetzner DNS Console API, legacy (reference: shared/reference/providers.md §5a):
 * `Auth-API-Token` header; `GET /zones?name=` (404 when none); `GET /records?zone_id=` paged with
 * `page`/`per_page` and `meta.pagination` (this emulator pages at `hetznerPaging.size`, 2 by
 * default, so paging is exercised; Hetzner's own largest page is 100), 404 when the zone has no
 * records; relative names ("@" at the apex); `POST /records`, `PUT /records/{id}` answer
 * {record}; `DELETE /records/{id}`. Errors: {"error": {"message", "code"}}; a bad token gets
 * 401 {"message": "Invalid authentication credentials"}.
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

export const hetznerPaging = { size: 2 };

const fail = (status: number, message: string): EmuReply => ({
  status,
  json: { error: { message, code: status } },
});

function paged<T>(items: T[], request: EmuRequest) {
  const size = Math.min(Number(request.query.get("per_page") ?? 100), hetznerPaging.size);
  const page = Math.max(1, Number(request.query.get("page") ?? 1));
  const last = Math.max(1, Math.ceil(items.length / size));
  const meta = {
    pagination: {
      page,
      per_page: size,
      previous_page: page - 1 || null,
      next_page: page < last ? page + 1 : null,
      last_page: last,
      total_entries: items.length,
    },
  };
  return { items: items.slice((page - 1) * size, page * size), meta };
}

const shown = (zone: StoredZone, row: StoredRow) => ({
  id: row.id,
  zone_id: zone.id,
  name: ZoneStore.relative(zone, row.name) || "@",
  type: row.type,
  value: row.value,
  ttl: row.ttl,
  created: "2024-01-01 00:00:00.000 +0000 UTC",
  modified: "2024-01-01 00:00:00.000 +0000 UTC",
});

function save(request: EmuRequest, store: ZoneStore, id?: string): EmuReply {
  const body = (request.json ?? {}) as {
    zone_id?: string;
    type?: string;
    name?: string;
    value?: string;
    ttl?: number;
  };
  const zone = store.zone(String(body.zone_id ?? ""));
  if (!zone || !body.type || body.name === undefined || !body.value) return fail(422, "invalid record");
  const name = ZoneStore.fqdn(zone, body.name);
  let row: StoredRow | undefined;
  if (id === undefined)
    row = store.add(zone, { name, type: body.type, value: body.value, ttl: body.ttl ?? 86400 });
  else {
    row = zone.rows.find((r) => r.id === id);
    if (!row) return fail(404, "record not found");
    Object.assign(row, { name, type: body.type, value: body.value, ...(body.ttl ? { ttl: body.ttl } : {}) });
  }
  return { status: 200, json: { record: shown(zone, row) } };
}

export const hetzner: ServiceModule = {
  type: "hetzner",
  label: "Hetzner DNS",
  secrets: () => ({ api_token: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/api/v1",
  authHint: /check api_token/,
  auth(request, secrets) {
    if (request.headers["auth-api-token"] === secrets.api_token) return undefined;
    return { status: 401, json: { message: "Invalid authentication credentials" } };
  },
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: { record: {} } }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/zones",
      handle(request, _params, store) {
        const wanted = request.query.get("name");
        const all = [...store.zones.values()].filter((z) => wanted === null || z.name === wanted);
        if (all.length === 0) return fail(404, "zone not found");
        const { items, meta } = paged(all, request);
        return {
          status: 200,
          json: { zones: items.map((z) => ({ id: z.id, name: z.name, ttl: 86400 })), meta },
        };
      },
    },
    {
      method: "GET",
      path: "/records",
      handle(request, _params, store) {
        const zone = store.zone(request.query.get("zone_id") ?? "");
        if (!zone) return fail(404, "zone not found");
        if (zone.rows.length === 0) return fail(404, "records not found");
        const { items, meta } = paged(zone.rows, request);
        return { status: 200, json: { records: items.map((row) => shown(zone, row)), meta } };
      },
    },
    { method: "POST", path: "/records", handle: (request, _params, store) => save(request, store) },
    {
      method: "PUT",
      path: "/records/:id",
      handle: (request, { id = "" }, store) => save(request, store, id),
    },
    {
      method: "DELETE",
      path: "/records/:id",
      handle: (_request, { id = "" }, store) =>
        store.delete(id) ? { status: 200, json: {} } : fail(404, "record not found"),
    },
  ],
};
