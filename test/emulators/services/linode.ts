/**
 * Linode (Akamai Cloud) Domains API v4 (reference: shared/reference/providers.md §8). Quirks
 * modelled: the zone is found with a JSON `X-Filter` header on GET /domains; lists are paged
 * (`page`, `page_size`, body `page`/`pages`/`results`; served 2 to a page here so paging is
 * exercised); record names are relative ("" at the apex) with integer ids; `ttl_sec` is rounded to
 * the nearest of Linode's fixed steps (0 = the domain default); errors are `{errors:[{field, reason}]}`.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;

/** Domains switched off in Cloud Manager (`status: "disabled"`). */
export const disabledDomains = new Set<string>();
const STEPS = [300, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 345600, 604800, 1209600, 2419200];

const fail = (status: number, reason: string, field?: string): EmuReply => ({
  status,
  json: { errors: [field ? { field, reason } : { reason }] },
});

function paged<T>(request: EmuRequest, items: T[]): EmuReply {
  const page = Math.max(1, Number(request.query.get("page") ?? 1));
  const size = Math.min(PAGE, Number(request.query.get("page_size") ?? 100));
  const pages = Math.max(1, Math.ceil(items.length / size));
  return {
    status: 200,
    json: { data: items.slice((page - 1) * size, page * size), page, pages, results: items.length },
  };
}

const roundTtl = (ttl: number) =>
  ttl === 0 ? 0 : STEPS.reduce((best, step) => (Math.abs(step - ttl) < Math.abs(best - ttl) ? step : best));

function shape(zone: StoredZone, row: StoredRow) {
  return {
    id: Number(row.id),
    type: row.type,
    name: ZoneStore.relative(zone, row.name),
    target: row.value,
    ttl_sec: row.ttl,
    priority: 0,
    weight: 0,
    port: 0,
    service: null,
    protocol: null,
    tag: null,
  };
}

const domain = (zone: StoredZone) => ({
  id: Number(zone.id),
  domain: zone.name,
  type: "master",
  status: disabledDomains.has(zone.name) ? "disabled" : "active",
});

function body(request: EmuRequest): Record<string, unknown> {
  return (request.json ?? {}) as Record<string, unknown>;
}

export const linode: ServiceModule = {
  type: "linode",
  label: "Linode",
  secrets: () => ({ token: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/v4",
  authHint: /check token/,
  auth: (request, secrets) =>
    request.headers.authorization === `Bearer ${secrets.token}` ? undefined : fail(401, "Invalid Token"),
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: {} }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/domains",
      handle(request, _params, store) {
        let filter: { domain?: string } = {};
        try {
          filter = JSON.parse(request.headers["x-filter"] ?? "{}");
        } catch {
          return fail(400, "Invalid JSON in X-Filter");
        }
        const zones = [...store.zones.values()].filter(
          (z) => filter.domain === undefined || z.name === filter.domain,
        );
        return paged(request, zones.map(domain));
      },
    },
    {
      method: "GET",
      path: "/domains/:id/records",
      handle(request, { id = "" }, store) {
        const zone = store.zone(id);
        if (!zone) return fail(404, "Not found");
        return paged(
          request,
          zone.rows.map((row) => shape(zone, row)),
        );
      },
    },
    {
      method: "POST",
      path: "/domains/:id/records",
      handle(request, { id = "" }, store) {
        const zone = store.zone(id);
        if (!zone) return fail(404, "Not found");
        const { type, name = "", target, ttl_sec = 0 } = body(request);
        if (typeof type !== "string" || typeof target !== "string") return fail(400, "is required", "target");
        const row = store.add(zone, {
          name: ZoneStore.fqdn(zone, String(name)),
          type,
          value: target,
          ttl: roundTtl(Number(ttl_sec)),
        });
        return { status: 200, json: shape(zone, row) };
      },
    },
    {
      method: "PUT",
      path: "/domains/:id/records/:record",
      handle(request, { id = "", record = "" }, store) {
        const zone = store.zone(id);
        const row = zone?.rows.find((r) => r.id === record);
        if (!zone || !row) return fail(404, "Not found");
        const { target, ttl_sec } = body(request);
        if (typeof target === "string") row.value = target;
        if (ttl_sec !== undefined) row.ttl = roundTtl(Number(ttl_sec));
        return { status: 200, json: shape(zone, row) };
      },
    },
    {
      method: "DELETE",
      path: "/domains/:id/records/:record",
      handle(_request, { id = "", record = "" }, store) {
        const zone = store.zone(id);
        if (!zone?.rows.some((r) => r.id === record)) return fail(404, "Not found");
        store.delete(record);
        return { status: 200, json: {} };
      },
    },
  ],
};
