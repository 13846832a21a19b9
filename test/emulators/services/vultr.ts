/**
 * Vultr DNS API v2 (reference: shared/reference/providers.md §14). Quirks modelled: the domain is
 * the zone id in the path (GET /domains/{domain} → 404 when absent); record lists are cursor-paged
 * (`per_page`, `cursor`, `meta.links.next`; served 2 to a page here) with no name filter; names are
 * relative ("" at the apex, "@" also taken); create answers 201 `{record}`, PATCH and DELETE answer
 * 204 with no body; errors are `{error, status}`.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;

const fail = (status: number, error: string): EmuReply => ({ status, json: { error, status } });

const shape = (zone: StoredZone, row: StoredRow) => ({
  id: `cb676a46-0000-4dfb-b839-${row.id.padStart(12, "0")}`,
  type: row.type,
  name: ZoneStore.relative(zone, row.name),
  data: row.value,
  priority: -1,
  ttl: row.ttl,
});

/** Vultr record ids are UUIDs; the store's id is their last group. */
const storeId = (uuid: string) => String(Number(uuid.split("-").pop()));

function body(request: EmuRequest): Record<string, unknown> {
  return (request.json ?? {}) as Record<string, unknown>;
}

function rowOf(store: ZoneStore, domain: string, record: string) {
  const zone = store.zone(domain);
  const row = zone?.rows.find((r) => r.id === storeId(record));
  return zone && row ? { zone, row } : undefined;
}

export const vultr: ServiceModule = {
  type: "vultr",
  label: "Vultr",
  secrets: () => ({ api_key: canarySecret().toUpperCase() }),
  config: (endpoint) => ({ endpoint }),
  base: "/v2",
  authHint: /check api_key/,
  auth: (request, secrets) =>
    request.headers.authorization === `Bearer ${secrets.api_key}`
      ? undefined
      : fail(401, "Invalid API token."),
  error: (status, message) => fail(status, message),
  lie: (request) => (request.method === "POST" ? { status: 201, json: { record: {} } } : { status: 204 }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/domains",
      handle: (_request, _params, store) => ({
        status: 200,
        json: { domains: [...store.zones.values()].map((z) => ({ domain: z.name, dns_sec: "disabled" })) },
      }),
    },
    {
      method: "GET",
      path: "/domains/:domain",
      handle(_request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone
          ? { status: 200, json: { domain: { domain: zone.name, dns_sec: "disabled" } } }
          : fail(404, "Not found");
      },
    },
    {
      method: "GET",
      path: "/domains/:domain/records",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return fail(404, "Not found");
        const size = Math.min(PAGE, Number(request.query.get("per_page") ?? 100));
        const cursor = request.query.get("cursor");
        const start = cursor ? Number(Buffer.from(cursor, "base64").toString()) : 0;
        const end = start + size;
        const next = end < zone.rows.length ? Buffer.from(String(end)).toString("base64") : "";
        return {
          status: 200,
          json: {
            records: zone.rows.slice(start, end).map((row) => shape(zone, row)),
            meta: { total: zone.rows.length, links: { next, prev: "" } },
          },
        };
      },
    },
    {
      method: "POST",
      path: "/domains/:domain/records",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return fail(404, "Not found");
        const { type, name = "", data, ttl = 300 } = body(request);
        if (typeof type !== "string" || typeof data !== "string") return fail(400, "Invalid record data");
        const row = store.add(zone, {
          name: ZoneStore.fqdn(zone, String(name)),
          type,
          value: data,
          ttl: Number(ttl),
        });
        return { status: 201, json: { record: shape(zone, row) } };
      },
    },
    {
      method: "PATCH",
      path: "/domains/:domain/records/:record",
      handle(request, { domain = "", record = "" }, store) {
        const found = rowOf(store, domain, record);
        if (!found) return fail(404, "Not found");
        const { name, data, ttl } = body(request);
        if (typeof name === "string") found.row.name = ZoneStore.fqdn(found.zone, name);
        if (typeof data === "string") found.row.value = data;
        if (ttl !== undefined) found.row.ttl = Number(ttl);
        return { status: 204 };
      },
    },
    {
      method: "DELETE",
      path: "/domains/:domain/records/:record",
      handle(_request, { domain = "", record = "" }, store) {
        const found = rowOf(store, domain, record);
        if (!found) return fail(404, "Not found");
        store.delete(found.row.id);
        return { status: 204 };
      },
    },
  ],
};
