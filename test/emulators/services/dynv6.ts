/**
 * dynv6 REST API v2 (reference: shared/reference/providers.md §12b): Bearer token; GET /zones,
 * PATCH /zones/{id}; GET/POST /zones/{id}/records, PATCH/DELETE /zones/{id}/records/{recordId};
 * numeric ids; record names relative to the zone; no paging. Quirk modelled: the apex's A and AAAA
 * are the zone's `ipv4address` and `ipv6prefix`, not records. The error body is not documented in
 * the reference: `{"error": …}` is assumed (homing also reads `message`).
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const fail = (status: number, error: string): EmuReply => ({ status, json: { error } });
const APEX = { A: "ipv4address", AAAA: "ipv6prefix" } as const;

const isApex = (zone: StoredZone, row: StoredRow) =>
  row.name === zone.name && (row.type === "A" || row.type === "AAAA");

function zoneJson(zone: StoredZone) {
  const apex = (type: string) =>
    zone.rows.find((row) => row.name === zone.name && row.type === type)?.value ?? "";
  return { id: Number(zone.id), name: zone.name, ipv4address: apex("A"), ipv6prefix: apex("AAAA") };
}

function recordJson(zone: StoredZone, row: StoredRow) {
  return {
    id: Number(row.id),
    zoneID: Number(zone.id),
    name: ZoneStore.relative(zone, row.name),
    type: row.type,
    data: row.value,
  };
}

function withZone(store: ZoneStore, id: string, then: (zone: StoredZone) => EmuReply): EmuReply {
  const zone = [...store.zones.values()].find((z) => z.id === id);
  return zone ? then(zone) : fail(404, "zone not found");
}

export const dynv6: ServiceModule = {
  type: "dynv6",
  label: "dynv6",
  secrets: () => ({ token: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/api/v2",
  authHint: /check token .*dynv6\.com\/keys/,
  auth: (request, secrets) =>
    request.headers.authorization === `Bearer ${secrets.token}`
      ? undefined
      : fail(401, "invalid authentication token"),
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: {} }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/zones",
      handle: (_r, _p, store) => ({ status: 200, json: [...store.zones.values()].map(zoneJson) }),
    },
    {
      method: "PATCH",
      path: "/zones/:id",
      handle: (request, { id = "" }, store) =>
        withZone(store, id, (zone) => {
          const body = (request.json ?? {}) as Record<string, string>;
          for (const type of ["A", "AAAA"] as const) {
            const value = body[APEX[type]];
            if (typeof value === "string") store.setRRset(zone, zone.name, type, value ? [value] : []);
          }
          return { status: 200, json: zoneJson(zone) };
        }),
    },
    {
      method: "GET",
      path: "/zones/:id/records",
      handle: (_request, { id = "" }, store) =>
        withZone(store, id, (zone) => ({
          status: 200,
          json: zone.rows.filter((row) => !isApex(zone, row)).map((row) => recordJson(zone, row)),
        })),
    },
    {
      method: "POST",
      path: "/zones/:id/records",
      handle: (request, { id = "" }, store) =>
        withZone(store, id, (zone) => {
          const { name = "", type = "", data = "" } = (request.json ?? {}) as Record<string, string>;
          if (!type || !data) return fail(422, "type and data are required");
          const row = store.add(zone, { name: ZoneStore.fqdn(zone, name), type, value: data, ttl: 60 });
          return { status: 200, json: recordJson(zone, row) };
        }),
    },
    {
      method: "PATCH",
      path: "/zones/:id/records/:rid",
      handle: (request, { id = "", rid = "" }, store) =>
        withZone(store, id, (zone) => {
          const row = zone.rows.find((r) => r.id === rid);
          if (!row) return fail(404, "record not found");
          const { data } = (request.json ?? {}) as Record<string, string>;
          if (data) row.value = data;
          return { status: 200, json: recordJson(zone, row) };
        }),
    },
    {
      method: "DELETE",
      path: "/zones/:id/records/:rid",
      handle: (_request, { id = "", rid = "" }, store) =>
        withZone(store, id, (zone) => {
          if (!zone.rows.some((r) => r.id === rid)) return fail(404, "record not found");
          store.delete(rid);
          return { status: 204, text: "" };
        }),
    },
  ],
};
