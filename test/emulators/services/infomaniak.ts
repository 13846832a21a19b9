/**
 * Infomaniak REST API v2, DNS (reference: shared/reference/providers.md §17b): Bearer token;
 * `GET 2/zones/{zone}/exists` → `{result: "success", data: true}`, an unknown zone → 404
 * `object_not_found`; records listed with `page`/`per_page` (two per page here, whatever is asked),
 * with `page`, `pages`, `total` beside `data`; `source` relative ("." at the apex; "" and "@"
 * accepted too, since the docs do not settle it), `source_idn` the full name, `target` the value;
 * POST creates and PUT edits by id, each answering the record; DELETE answers `data: true`. Errors:
 * `{result: "error", error: {code, description}}`.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;
const CODES: Record<number, string> = {
  401: "not_authorized",
  404: "object_not_found",
  429: "too_many_requests",
};
const fail = (status: number, description: string, code = CODES[status] ?? "internal_error"): EmuReply => ({
  status,
  json: { result: "error", error: { code, description } },
});
const ok = (data: unknown, extra: object = {}): EmuReply => ({
  status: 200,
  json: { result: "success", data, ...extra },
});

function record(zone: StoredZone, row: StoredRow) {
  const source = ZoneStore.relative(zone, row.name) || ".";
  return {
    id: Number(row.id),
    source,
    source_idn: row.name,
    type: row.type,
    target: row.value,
    ttl: row.ttl,
    updated_at: 1779826643,
  };
}

function body(request: EmuRequest) {
  const {
    source = "",
    type = "",
    target = "",
    ttl = 3600,
  } = (request.json ?? {}) as { source?: string; type?: string; target?: string; ttl?: number };
  return { source: source === "." ? "" : source, type, target, ttl };
}

const zoneFor = (store: ZoneStore, name: string) => store.zone(name) ?? fail(404, "Object not found");

export const infomaniak: ServiceModule = {
  type: "infomaniak",
  label: "Infomaniak",
  secrets: () => ({ token: `${canarySecret()}-${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  authHint: /providers\.infomaniak\.token/,
  auth: (request, secrets) =>
    request.headers.authorization === `Bearer ${secrets.token}`
      ? undefined
      : fail(401, "Authorization required"),
  error: (status, message) => fail(status, message),
  lie: () => ok(true),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/2/zones/:zone/exists",
      handle: (_request, { zone = "" }, store) =>
        store.zone(zone) ? ok(true) : fail(404, "Object not found"),
    },
    {
      method: "GET",
      path: "/2/zones/:zone/records",
      handle(request, { zone: name = "" }, store) {
        const zone = zoneFor(store, name);
        if ("status" in zone) return zone;
        const page = Number(request.query.get("page") ?? 1);
        const all = zone.rows.map((row) => record(zone, row));
        const pages = Math.max(1, Math.ceil(all.length / PAGE));
        return ok(all.slice((page - 1) * PAGE, page * PAGE), {
          page,
          pages,
          total: all.length,
          items_per_page: PAGE,
        });
      },
    },
    {
      method: "POST",
      path: "/2/zones/:zone/records",
      handle(request, { zone: name = "" }, store) {
        const zone = zoneFor(store, name);
        if ("status" in zone) return zone;
        const { source, type, target, ttl } = body(request);
        if (!type || !target) return fail(422, "Validation failed", "validation_failed");
        if (ttl < 300) return fail(422, "The ttl must be at least 300", "validation_failed");
        const row = store.add(zone, { name: ZoneStore.fqdn(zone, source), type, value: target, ttl });
        return ok(record(zone, row));
      },
    },
    {
      method: "PUT",
      path: "/2/zones/:zone/records/:id",
      handle(request, { zone: name = "", id = "" }, store) {
        const zone = zoneFor(store, name);
        if ("status" in zone) return zone;
        const row = zone.rows.find((r) => r.id === id);
        if (!row) return fail(404, "Object not found");
        const { target, ttl } = body(request);
        row.value = target;
        if ((request.json as { ttl?: number }).ttl !== undefined) row.ttl = ttl;
        return ok(record(zone, row));
      },
    },
    {
      method: "DELETE",
      path: "/2/zones/:zone/records/:id",
      handle: (_request, { id = "" }, store) => (store.delete(id) ? ok(true) : fail(404, "Object not found")),
    },
  ],
};
