/**
 * Domeneshop API v0 (reference: shared/reference/providers.md §28). Quirks modelled: Basic
 * token:secret; GET /domains is a bare array (no pages) with `services.dns`; a domain's records
 * are a bare array with a relative `host` ("@" at the apex; a fully qualified host is also taken,
 * as in lego's fixture); create answers 201 `{id}` only, PUT and DELETE answer 204 with no body;
 * errors are `{code, help}`; TTLs below 60 are refused.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

/** Domains in the account whose DNS is not Domeneshop's (`services.dns: false`). */
export const dnsElsewhere = new Set<string>();

const fail = (status: number, help: string, code = `E${status}`): EmuReply => ({
  status,
  json: { code, help },
});

const shape = (zone: StoredZone, row: StoredRow) => ({
  id: Number(row.id),
  host: ZoneStore.relative(zone, row.name) || "@",
  ttl: row.ttl,
  type: row.type,
  data: row.value,
});

function fields(request: EmuRequest): EmuReply | { host: string; type: string; data: string; ttl: number } {
  const { host = "@", type, data, ttl = 3600 } = (request.json ?? {}) as Record<string, unknown>;
  if (typeof type !== "string" || typeof data !== "string")
    return fail(400, "type and data are required", "bad_request");
  if (Number(ttl) < 60) return fail(400, "TTL must be at least 60", "bad_request");
  return { host: String(host), type, data, ttl: Number(ttl) };
}

export const domeneshop: ServiceModule = {
  type: "domeneshop",
  label: "Domeneshop",
  secrets: () => ({ token: canarySecret(), secret: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/v0",
  authHint: /check token and secret/,
  auth(request, secrets) {
    const expected = `Basic ${Buffer.from(`${secrets.token}:${secrets.secret}`).toString("base64")}`;
    return request.headers.authorization === expected
      ? undefined
      : fail(401, "Invalid credentials", "unauthorized");
  },
  error: (status, message) => fail(status, message),
  lie: (request) => (request.method === "POST" ? { status: 201, json: { id: 999999 } } : { status: 204 }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/domains",
      handle: (_request, _params, store) => ({
        status: 200,
        json: [...store.zones.values()].map((zone) => ({
          id: Number(zone.id),
          domain: zone.name,
          expiry_date: "2030-01-01",
          nameservers: ["ns1.hyp.net", "ns2.hyp.net", "ns3.hyp.net"],
          renew: true,
          services: { dns: !dnsElsewhere.has(zone.name), email: false, registrar: true, webhotel: "none" },
        })),
      }),
    },
    {
      method: "GET",
      path: "/domains/:id/dns",
      handle(_request, { id = "" }, store) {
        const zone = store.zone(id);
        return zone
          ? { status: 200, json: zone.rows.map((row) => shape(zone, row)) }
          : fail(404, "Domain not found", "not_found");
      },
    },
    {
      method: "POST",
      path: "/domains/:id/dns",
      handle(request, { id = "" }, store) {
        const zone = store.zone(id);
        if (!zone) return fail(404, "Domain not found", "not_found");
        const record = fields(request);
        if ("status" in record) return record;
        const row = store.add(zone, {
          name: ZoneStore.fqdn(zone, record.host),
          type: record.type,
          value: record.data,
          ttl: record.ttl,
        });
        return {
          status: 201,
          json: { id: Number(row.id) },
          headers: { location: `/v0/domains/${zone.id}/dns/${row.id}` },
        };
      },
    },
    {
      method: "PUT",
      path: "/domains/:id/dns/:record",
      handle(request, { id = "", record: recordId = "" }, store) {
        const zone = store.zone(id);
        const row = zone?.rows.find((r) => r.id === recordId);
        if (!zone || !row) return fail(404, "Record not found", "not_found");
        const record = fields(request);
        if ("status" in record) return record;
        Object.assign(row, {
          name: ZoneStore.fqdn(zone, record.host),
          type: record.type,
          value: record.data,
          ttl: record.ttl,
        });
        return { status: 204 };
      },
    },
    {
      method: "DELETE",
      path: "/domains/:id/dns/:record",
      handle(_request, { id = "", record = "" }, store) {
        if (!store.zone(id)?.rows.some((r) => r.id === record))
          return fail(404, "Record not found", "not_found");
        store.delete(record);
        return { status: 204 };
      },
    },
  ],
};
