/**
 * GoDaddy Domains API v1 (reference: shared/reference/providers.md §3): `Authorization: sso-key
 * key:secret`; error envelope {code, message, fields?}; records with relative names ("@" at the
 * apex) and no ids; `PUT /v1/domains/{d}/records/{type}/{name}` replaces the set and answers 200
 * with an empty body; `PATCH /v1/domains/{d}/records` adds; `DELETE …/{type}/{name}` answers 204.
 * Quirks: TTLs below 600 are refused (422 INVALID_BODY); accounts with fewer than 10 domains and no
 * Discount Domain Club plan get 403 ACCESS_DENIED on every call (`accessDenied`, by API key); the
 * zone listing takes `offset` and `limit`.
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

/** API keys of accounts GoDaddy keeps out of its API (fewer than 10 domains, no Domain Club). */
export const accessDenied = new Set<string>();

const CODES: Record<number, string> = {
  400: "INVALID_BODY",
  401: "UNABLE_TO_AUTHENTICATE",
  403: "ACCESS_DENIED",
  404: "NOT_FOUND",
  422: "INVALID_BODY",
  429: "TOO_MANY_REQUESTS",
};
const fail = (
  status: number,
  message: string,
  code = CODES[status] ?? "INTERNAL_SERVER_ERROR",
): EmuReply => ({
  status,
  json: { code, message, ...(status === 429 ? { retryAfterSec: 60 } : {}) },
});

interface Sent {
  data?: string;
  ttl?: number;
  name?: string;
  type?: string;
}

function rowsOf(zone: StoredZone, type?: string, name?: string) {
  return zone.rows
    .filter((row) => (type === undefined || row.type === type) && (name === undefined || row.name === name))
    .map((row) => ({
      data: row.value,
      name: ZoneStore.relative(zone, row.name) || "@",
      ttl: row.ttl,
      type: row.type,
    }));
}

function sent(request: EmuRequest): Sent[] | EmuReply {
  const body = request.json;
  if (!Array.isArray(body)) return fail(422, "Request body doesn't fulfill schema, see details in `fields`");
  for (const record of body as Sent[])
    if (record.ttl !== undefined && record.ttl < 600)
      return fail(422, "ttl must be at least 600", "INVALID_BODY");
  return body as Sent[];
}

const noDomain = (domain: string) => fail(404, `Domain ${domain} not found`);

export const godaddy: ServiceModule = {
  type: "godaddy",
  label: "GoDaddy",
  secrets: () => ({ api_key: `dLf${canarySecret()}`, api_secret: `S3c${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  authHint: /api_key and api_secret/,
  auth(request, secrets) {
    const header = request.headers.authorization ?? "";
    if (header !== `sso-key ${secrets.api_key}:${secrets.api_secret}`)
      return fail(401, "Unable to authenticate the request");
    if (accessDenied.has(secrets.api_key ?? "")) return fail(403, "Authenticated user is not allowed access");
    return undefined;
  },
  error: (status, message) => fail(status, message),
  lie: (request) => (request.method === "DELETE" ? { status: 204, text: "" } : { status: 200, text: "" }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/v1/domains",
      handle: (_request, _params, store) => ({
        status: 200,
        json: [...store.zones.values()].map((zone) => ({ domain: zone.name, status: "ACTIVE" })),
      }),
    },
    {
      method: "GET",
      path: "/v1/domains/:domain",
      handle(_request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone ? { status: 200, json: { domain: zone.name, status: "ACTIVE" } } : noDomain(domain);
      },
    },
    {
      method: "GET",
      path: "/v1/domains/:domain/records",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return noDomain(domain);
        const offset = Number(request.query.get("offset") ?? 0);
        const limit = Number(request.query.get("limit") ?? Number.MAX_SAFE_INTEGER);
        return { status: 200, json: rowsOf(zone).slice(offset, offset + limit) };
      },
    },
    {
      method: "GET",
      path: "/v1/domains/:domain/records/:type/:name",
      handle(_request, { domain = "", type = "", name = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return noDomain(domain);
        return { status: 200, json: rowsOf(zone, type, ZoneStore.fqdn(zone, name)) };
      },
    },
    {
      method: "PUT",
      path: "/v1/domains/:domain/records/:type/:name",
      handle(request, { domain = "", type = "", name = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return noDomain(domain);
        const records = sent(request);
        if (!Array.isArray(records)) return records;
        const fq = ZoneStore.fqdn(zone, name);
        store.setRRset(
          zone,
          fq,
          type,
          records.map((r) => r.data ?? ""),
          records[0]?.ttl ?? 3600,
        );
        return { status: 200, text: "" };
      },
    },
    {
      method: "PATCH",
      path: "/v1/domains/:domain/records",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return noDomain(domain);
        const records = sent(request);
        if (!Array.isArray(records)) return records;
        for (const r of records)
          store.add(zone, {
            name: ZoneStore.fqdn(zone, r.name ?? ""),
            type: r.type ?? "",
            value: r.data ?? "",
            ttl: r.ttl ?? 3600,
          });
        return { status: 200, text: "" };
      },
    },
    {
      method: "DELETE",
      path: "/v1/domains/:domain/records/:type/:name",
      handle(_request, { domain = "", type = "", name = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return noDomain(domain);
        const fq = ZoneStore.fqdn(zone, name);
        if (rowsOf(zone, type, fq).length === 0) return fail(404, "Not found");
        store.setRRset(zone, fq, type, []);
        return { status: 204, text: "" };
      },
    },
  ],
};
