/**
 * deSEC REST API (reference: shared/reference/providers.md §6b): `Authorization: Token …`; every
 * path ends with "/"; sets by subname ("" at the apex in bodies, "@" in paths) and type; errors
 * {"detail": …}, validation errors as field → messages. Quirks modelled:
 * - a per-domain `minimum_ttl` (`minimumTtl`, 3600 unless set): a smaller TTL is refused with 400;
 * - creating a set without a TTL is refused with 400;
 * - cursor pagination: past `desecPaging.size` sets (500 at deSEC, 2 here so it is exercised) a
 *   request without `cursor` is refused with 400 "Pagination required"; `cursor=` (empty) is the
 *   first page; pages carry `Link: <…?cursor=…>; rel="next"` (absolute URLs);
 * - bulk `PATCH /domains/{d}/rrsets/` creates, replaces, or (records: []) deletes sets and answers
 *   200 with the sets it saved.
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

export const desecPaging = { size: 2 };
export const minimumTtl = new WeakMap<ZoneStore, number>();

const fail = (status: number, detail: string): EmuReply => ({ status, json: { detail } });
const notFound = () => fail(404, "Not found.");

function sets(zone: StoredZone, name?: string, type?: string) {
  const out = new Map<
    string,
    { domain: string; subname: string; name: string; type: string; ttl: number; records: string[] }
  >();
  for (const row of zone.rows) {
    if ((name !== undefined && row.name !== name) || (type !== undefined && row.type !== type)) continue;
    const subname = ZoneStore.relative(zone, row.name);
    const set = out.get(`${row.name} ${row.type}`) ?? {
      domain: zone.name,
      subname,
      name: `${row.name}.`,
      type: row.type,
      ttl: row.ttl,
      records: [],
    };
    set.records.push(row.value);
    out.set(`${row.name} ${row.type}`, set);
  }
  return [...out.values()];
}

function page(request: EmuRequest, zone: StoredZone): EmuReply {
  const all = sets(zone);
  const cursor = request.query.get("cursor");
  const link = (at: number, rel: string) =>
    `<http://${request.headers.host}/api/v1/domains/${zone.name}/rrsets/?cursor=${at}>; rel="${rel}"`;
  if (all.length <= desecPaging.size && cursor === null) return { status: 200, json: all };
  if (cursor === null)
    return {
      status: 400,
      json: {
        detail:
          "Pagination required. You can query up to 500 items at a time ('cursor' parameter). Please use the `first` page link (see Link header).",
      },
      headers: { link: link(0, "first") },
    };
  const at = Number(cursor || 0);
  const links = [
    link(0, "first"),
    ...(at + desecPaging.size < all.length ? [link(at + desecPaging.size, "next")] : []),
  ];
  return { status: 200, json: all.slice(at, at + desecPaging.size), headers: { link: links.join(", ") } };
}

function patch(request: EmuRequest, store: ZoneStore, zone: StoredZone): EmuReply {
  const floor = minimumTtl.get(store) ?? 3600;
  const items = request.json as Array<{ subname?: string; type?: string; records?: string[]; ttl?: number }>;
  if (!Array.isArray(items)) return fail(400, "Expected a list of items.");
  for (const item of items) {
    const fq = ZoneStore.fqdn(zone, item.subname ?? "");
    const exists = sets(zone, fq, item.type).length > 0;
    if (item.ttl !== undefined && item.ttl < floor)
      return { status: 400, json: [{ ttl: [`Ensure this value is greater than or equal to ${floor}.`] }] };
    if (!exists && (item.records?.length ?? 0) > 0 && item.ttl === undefined)
      return { status: 400, json: [{ ttl: ["This field is required for new RRsets."] }] };
  }
  const saved = [];
  for (const item of items) {
    const fq = ZoneStore.fqdn(zone, item.subname ?? "");
    const ttl = item.ttl ?? sets(zone, fq, item.type)[0]?.ttl ?? floor;
    store.setRRset(zone, fq, item.type ?? "", item.records ?? [], ttl);
    for (const row of zone.rows) if (row.name === fq && row.type === item.type) row.ttl = ttl;
    saved.push(...sets(zone, fq, item.type));
  }
  return { status: 200, json: saved };
}

export const desec: ServiceModule = {
  type: "desec",
  label: "deSEC",
  secrets: () => ({ token: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/api/v1",
  authHint: /check token/,
  auth(request, secrets) {
    return request.headers.authorization === `Token ${secrets.token}`
      ? undefined
      : fail(401, "Invalid token.");
  },
  error: (status, message) =>
    fail(status, status === 429 ? "Request was throttled. Expected available in 120 seconds." : message),
  lie: () => ({ status: 200, json: [] }),
  mutating: (request) => request.method !== "GET",
  routes: [
    {
      method: "GET",
      path: "/domains/",
      handle: (_request, _params, store) => ({
        status: 200,
        json: [...store.zones.values()].map((z) => ({
          name: z.name,
          minimum_ttl: minimumTtl.get(store) ?? 3600,
        })),
      }),
    },
    {
      method: "GET",
      path: "/domains/:domain/",
      handle(_request, { domain = "" }, store) {
        const zone = store.zone(domain);
        if (!zone) return notFound();
        return {
          status: 200,
          json: {
            name: zone.name,
            minimum_ttl: minimumTtl.get(store) ?? 3600,
            created: "2024-01-01T00:00:00Z",
          },
        };
      },
    },
    {
      method: "GET",
      path: "/domains/:domain/rrsets/",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone ? page(request, zone) : notFound();
      },
    },
    {
      method: "GET",
      path: "/domains/:domain/rrsets/:subname/:type/",
      handle(_request, { domain = "", subname = "", type = "" }, store) {
        const zone = store.zone(domain);
        const [set] = zone ? sets(zone, ZoneStore.fqdn(zone, subname), type) : [];
        return set ? { status: 200, json: set } : notFound();
      },
    },
    {
      method: "PATCH",
      path: "/domains/:domain/rrsets/",
      handle(request, { domain = "" }, store) {
        const zone = store.zone(domain);
        return zone ? patch(request, store, zone) : notFound();
      },
    },
  ],
};
