/**
 * IONOS Hosting DNS API v1 (reference: shared/reference/providers.md §11). Quirks modelled:
 * `X-API-Key: <prefix>.<secret>`; GET /zones is a bare array (no pages) with UUID ids; GET
 * /zones/{id} holds every record with a fully qualified `name` (and takes the `recordName`,
 * `recordType` filters); POST /zones/{id}/records takes an array and answers 201 with the created
 * records; PUT by id answers 200 with the record; errors are an array of `{code, message}`.
 */
import { randomUUID } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const fail = (
  status: number,
  message: string,
  code = status === 401 ? "UNAUTHORIZED" : "INVALID_DATA",
): EmuReply => ({
  status,
  json: [{ code, message }],
});

/** The store's ids, spelled as IONOS's UUIDs. */
const uuid = (id: string) => `f6821d2f-2ff3-4762-99bd-${id.padStart(12, "0")}`;
const storeId = (id: string) => String(Number(id.split("-").pop()));

const shape = (zone: StoredZone, row: StoredRow) => ({
  id: uuid(row.id),
  name: row.name,
  rootName: zone.name,
  type: row.type,
  content: row.value,
  changeDate: "2026-01-01T00:00:00.000Z",
  ttl: row.ttl,
  prio: 0,
  disabled: false,
});

function zoneOf(store: ZoneStore, id: string) {
  return [...store.zones.values()].find((zone) => uuid(zone.id) === id);
}

function fields(request: EmuRequest): Record<string, unknown> {
  return (request.json ?? {}) as Record<string, unknown>;
}

export const ionos: ServiceModule = {
  type: "ionos",
  label: "IONOS",
  secrets: () => ({ api_key: `${randomUUID().replaceAll("-", "")}.${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  base: "/dns/v1",
  authHint: /check api_key/,
  auth: (request, secrets) =>
    request.headers["x-api-key"] === secrets.api_key
      ? undefined
      : fail(401, "The customer is not authorized to do this operation."),
  error: (status, message) => fail(status, message),
  lie: (request) => (request.method === "POST" ? { status: 201, json: [] } : { status: 200 }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/zones",
      handle: (_request, _params, store) => ({
        status: 200,
        json: [...store.zones.values()].map((zone) => ({
          id: uuid(zone.id),
          name: zone.name,
          type: "NATIVE",
        })),
      }),
    },
    {
      method: "GET",
      path: "/zones/:zone",
      handle(request, { zone: id = "" }, store) {
        const zone = zoneOf(store, id);
        if (!zone) return fail(404, "Zone not found", "NOT_FOUND");
        const name = request.query.get("recordName");
        const type = request.query.get("recordType");
        const rows = zone.rows.filter((r) => (!name || r.name === name) && (!type || r.type === type));
        return {
          status: 200,
          json: { id, name: zone.name, type: "NATIVE", records: rows.map((r) => shape(zone, r)) },
        };
      },
    },
    {
      method: "POST",
      path: "/zones/:zone/records",
      handle(request, { zone: id = "" }, store) {
        const zone = zoneOf(store, id);
        if (!zone) return fail(404, "Zone not found", "NOT_FOUND");
        if (!Array.isArray(request.json)) return fail(400, "The request body must be an array of records");
        const created = (request.json as Array<Record<string, unknown>>).map((record) =>
          store.add(zone, {
            name: ZoneStore.fqdn(zone, String(record.name ?? "")),
            type: String(record.type),
            value: String(record.content),
            ttl: Number(record.ttl ?? 3600),
          }),
        );
        return { status: 201, json: created.map((row) => shape(zone, row)) };
      },
    },
    {
      method: "PUT",
      path: "/zones/:zone/records/:record",
      handle(request, { zone: id = "", record = "" }, store) {
        const zone = zoneOf(store, id);
        const row = zone?.rows.find((r) => r.id === storeId(record));
        if (!zone || !row) return fail(404, "Record not found", "NOT_FOUND");
        const { content, ttl } = fields(request);
        if (typeof content === "string") row.value = content;
        if (ttl !== undefined) row.ttl = Number(ttl);
        return { status: 200, json: shape(zone, row) };
      },
    },
    {
      method: "DELETE",
      path: "/zones/:zone/records/:record",
      handle(_request, { zone: id = "", record = "" }, store) {
        const zone = zoneOf(store, id);
        if (!zone?.rows.some((r) => r.id === storeId(record)))
          return fail(404, "Record not found", "NOT_FOUND");
        store.delete(storeId(record));
        return { status: 200 };
      },
    },
  ],
};
