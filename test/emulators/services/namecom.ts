/**
 * Name.com API (reference: shared/reference/providers.md §15). Both API generations are served with
 * the same record shape: v4 (`/v4/...`) and the Core API (`/core/v1/...`) — the reference's sources
 * disagree on which one clients use. Quirks modelled: Basic username:token; the domain list and
 * record lists are paged (`page`, `perPage`, `nextPage`, `lastPage`; 2 to a page here); like the
 * real service (protobuf JSON), empty fields are left out: the apex `host`, an empty `records`,
 * `nextPage` on the last page; TTLs below 300 are refused; errors are `{message, details}`.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, Route, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;
export const NAMECOM_USER = "homing-user";

const fail = (status: number, message: string, details?: string): EmuReply => ({
  status,
  json: details ? { message, details } : { message },
});

function shape(zone: StoredZone, row: StoredRow) {
  const host = ZoneStore.relative(zone, row.name);
  return {
    id: Number(row.id),
    domainName: zone.name,
    ...(host ? { host } : {}),
    fqdn: `${row.name}.`,
    type: row.type,
    answer: row.value,
    ttl: row.ttl,
  };
}

function paged<T>(request: EmuRequest, key: string, items: T[]): EmuReply {
  const page = Math.max(1, Number(request.query.get("page") ?? 1));
  const size = Math.min(PAGE, Number(request.query.get("perPage") ?? 1000));
  const last = Math.max(1, Math.ceil(items.length / size));
  const slice = items.slice((page - 1) * size, page * size);
  return {
    status: 200,
    json: {
      ...(slice.length ? { [key]: slice } : {}),
      ...(page < last ? { nextPage: page + 1 } : {}),
      lastPage: last,
    },
  };
}

function body(request: EmuRequest): Record<string, unknown> {
  return (request.json ?? {}) as Record<string, unknown>;
}

function write(request: EmuRequest, zone: StoredZone, store: ZoneStore, row?: StoredRow): EmuReply {
  const { host = "", type, answer, ttl = 300 } = body(request);
  if (typeof type !== "string" || typeof answer !== "string")
    return fail(400, "Invalid Argument", "answer is required");
  if (Number(ttl) < 300) return fail(400, "Invalid Argument", "TTL must be at least 300");
  const fields = { name: ZoneStore.fqdn(zone, String(host)), type, value: answer, ttl: Number(ttl) };
  const saved = row ? Object.assign(row, fields) : store.add(zone, fields);
  return { status: 200, json: shape(zone, saved) };
}

const routes = (prefix: string): Route[] => [
  {
    method: "GET",
    path: `${prefix}/domains`,
    handle: (request, _params, store) =>
      paged(
        request,
        "domains",
        [...store.zones.values()].map((z) => ({ domainName: z.name, locked: true })),
      ),
  },
  {
    method: "GET",
    path: `${prefix}/domains/:domain/records`,
    handle(request, { domain = "" }, store) {
      const zone = store.zone(domain);
      return zone
        ? paged(
            request,
            "records",
            zone.rows.map((row) => shape(zone, row)),
          )
        : fail(404, "Not Found");
    },
  },
  {
    method: "POST",
    path: `${prefix}/domains/:domain/records`,
    handle(request, { domain = "" }, store) {
      const zone = store.zone(domain);
      return zone ? write(request, zone, store) : fail(404, "Not Found");
    },
  },
  {
    method: "PUT",
    path: `${prefix}/domains/:domain/records/:id`,
    handle(request, { domain = "", id = "" }, store) {
      const zone = store.zone(domain);
      const row = zone?.rows.find((r) => r.id === id);
      return zone && row ? write(request, zone, store, row) : fail(404, "Not Found");
    },
  },
  {
    method: "DELETE",
    path: `${prefix}/domains/:domain/records/:id`,
    handle(_request, { domain = "", id = "" }, store) {
      if (!store.zone(domain)?.rows.some((r) => r.id === id)) return fail(404, "Not Found");
      store.delete(id);
      return { status: 200, json: {} };
    },
  },
];

export const namecom: ServiceModule = {
  type: "namecom",
  label: "Name.com",
  secrets: () => ({ token: canarySecret() }),
  config: (endpoint) => ({ endpoint: `${endpoint}v4/`, username: NAMECOM_USER }),
  authHint: /check username and token/,
  auth(request, secrets) {
    const expected = `Basic ${Buffer.from(`${NAMECOM_USER}:${secrets.token}`).toString("base64")}`;
    return request.headers.authorization === expected ? undefined : fail(401, "Unauthenticated");
  },
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: {} }),
  mutating: (request) => request.method !== "GET",
  routes: [...routes("/v4"), ...routes("/core/v1")],
};

/** The same service reached through the Core API base instead of v4. */
export const namecomCore: ServiceModule = {
  ...namecom,
  config: (endpoint) => ({ endpoint: `${endpoint}core/v1/`, username: NAMECOM_USER }),
};
