/**
 * DigitalOcean Domains API v2 (reference: shared/reference/providers.md §7): `Authorization:
 * Bearer`; records with relative names ("@" at the apex) and integer ids; errors {id, message}.
 * Quirks modelled: the list's `name` filter matches only the fully qualified name (a relative one
 * finds nothing, silently); `page`/`per_page` paging with absolute `links.pages.next` URLs and
 * `meta.total` (this emulator pages at `digitaloceanPaging.size`, 2 by default; DigitalOcean's
 * largest page is 200); create answers 201, delete 204.
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

export const digitaloceanPaging = { size: 2 };

const IDS: Record<number, string> = {
  401: "Unauthorized",
  404: "not_found",
  422: "unprocessable_entity",
  429: "too_many_requests",
};
const fail = (status: number, message: string): EmuReply => ({
  status,
  json: { id: IDS[status] ?? (status >= 500 ? "server_error" : "bad_request"), message },
});

const shown = (zone: StoredZone, row: StoredRow) => ({
  id: Number(row.id),
  type: row.type,
  name: ZoneStore.relative(zone, row.name) || "@",
  data: row.value,
  priority: null,
  port: null,
  ttl: row.ttl,
  weight: null,
  flags: null,
  tag: null,
});

function list(request: EmuRequest, zone: StoredZone): EmuReply {
  const name = request.query.get("name");
  const type = request.query.get("type");
  const rows = zone.rows.filter(
    (row) => (name === null || row.name === name) && (type === null || row.type === type),
  );
  const size = Math.min(Number(request.query.get("per_page") ?? 20), digitaloceanPaging.size, 200);
  const page = Math.max(1, Number(request.query.get("page") ?? 1));
  const last = Math.max(1, Math.ceil(rows.length / size));
  const url = (at: number) => {
    const next = new URLSearchParams(request.query);
    next.set("page", String(at));
    return `http://${request.headers.host}/v2/domains/${zone.name}/records?${next}`;
  };
  const pages = page < last ? { next: url(page + 1), last: url(last) } : {};
  return {
    status: 200,
    json: {
      domain_records: rows.slice((page - 1) * size, page * size).map((row) => shown(zone, row)),
      links: { pages },
      meta: { total: rows.length },
    },
  };
}

function save(request: EmuRequest, store: ZoneStore, zone: StoredZone, id?: string): EmuReply {
  const body = (request.json ?? {}) as { type?: string; name?: string; data?: string; ttl?: number };
  if (!body.type || body.name === undefined || !body.data)
    return fail(422, "Data needs to be a valid IP address.");
  if (body.ttl !== undefined && body.ttl < 30) return fail(422, "TTL must be at least 30.");
  const name = ZoneStore.fqdn(zone, body.name);
  if (id === undefined) {
    const row = store.add(zone, { name, type: body.type, value: body.data, ttl: body.ttl ?? 1800 });
    return { status: 201, json: { domain_record: shown(zone, row) } };
  }
  const row = zone.rows.find((r) => r.id === id);
  if (!row) return fail(404, "The resource you were accessing could not be found.");
  Object.assign(row, { name, type: body.type, value: body.data, ...(body.ttl ? { ttl: body.ttl } : {}) });
  return { status: 200, json: { domain_record: shown(zone, row) } };
}

const missing = () => fail(404, "The resource you were accessing could not be found.");

export const digitalocean: ServiceModule = {
  type: "digitalocean",
  label: "DigitalOcean",
  secrets: () => ({ token: `dop_v1_${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  base: "/v2",
  authHint: /check token/,
  auth(request, secrets) {
    return request.headers.authorization === `Bearer ${secrets.token}`
      ? undefined
      : fail(401, "Unable to authenticate you");
  },
  error: (status, message) => fail(status, message),
  lie: (request) =>
    request.method === "DELETE"
      ? { status: 204, text: "" }
      : { status: request.method === "POST" ? 201 : 200, json: {} },
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/domains",
      handle: (_request, _params, store) => ({
        status: 200,
        json: {
          domains: [...store.zones.values()].map((z) => ({ name: z.name, ttl: 1800 })),
          links: {},
          meta: { total: store.zones.size },
        },
      }),
    },
    {
      method: "GET",
      path: "/domains/:domain",
      handle(_request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone
          ? { status: 200, json: { domain: { name: zone.name, ttl: 1800, zone_file: "" } } }
          : missing();
      },
    },
    {
      method: "GET",
      path: "/domains/:domain/records",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone ? list(request, zone) : missing();
      },
    },
    {
      method: "POST",
      path: "/domains/:domain/records",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone ? save(request, store, zone) : missing();
      },
    },
    {
      method: "PUT",
      path: "/domains/:domain/records/:id",
      handle(request, { domain = "", id = "" }, store) {
        const zone = store.zone(domain);
        return zone ? save(request, store, zone, id) : missing();
      },
    },
    {
      method: "DELETE",
      path: "/domains/:domain/records/:id",
      handle(_request, { domain = "", id = "" }, store) {
        const zone = store.zone(domain);
        if (!zone?.rows.some((row) => row.id === id)) return missing();
        store.delete(id);
        return { status: 204, text: "" };
      },
    },
  ],
};
