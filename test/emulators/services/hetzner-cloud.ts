/**
 * Hetzner Cloud DNS (reference: shared/reference/providers.md §5b): `Authorization: Bearer`;
 * zones by id or name; record sets with relative names ("@" at the apex), listed with
 * `page`/`per_page` and `meta.pagination.next_page` (this emulator pages at
 * `hetznerCloudPaging.size`, 2 by default); errors {"error": {code, message, details}}.
 * Quirk: every change is an asynchronous action (`running` → `success` | `error`) polled at
 * `GET /zones/actions/{id}` (DU) or `GET /actions/{id}` (LEGO): both are served. By default an
 * action stays running for one poll; `actionPlans` sets, per store, how many polls it stays
 * running and whether it ends in error (then the change is not applied).
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, Route, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

export const hetznerCloudPaging = { size: 2 };
export const actionPlans = new WeakMap<ZoneStore, { polls: number; error?: string }>();

interface Action {
  id: number;
  command: string;
  left: number;
  error?: string;
}
const actions = new WeakMap<ZoneStore, Map<number, Action>>();
let nextAction = 1;

const fail = (
  status: number,
  message: string,
  code = status === 404 ? "not_found" : "invalid_input",
): EmuReply => ({
  status,
  json: { error: { code, message, details: {} } },
});

function shownAction(action: Action) {
  const status = action.left > 0 ? "running" : action.error ? "error" : "success";
  const error = status === "error" ? { code: "action_failed", message: action.error } : null;
  const progress = status === "running" ? 50 : 100;
  return {
    id: action.id,
    command: action.command,
    status,
    progress,
    error,
    resources: [],
    started: "2025-01-01T00:00:00+00:00",
    finished: null,
  };
}

/** Starts an action; `apply` runs now unless the plan says the action fails. */
function start(store: ZoneStore, command: string, apply: () => void) {
  const plan = actionPlans.get(store) ?? { polls: 1 };
  if (!plan.error) apply();
  const action = {
    id: nextAction++,
    command,
    left: plan.polls,
    ...(plan.error ? { error: plan.error } : {}),
  };
  const map = actions.get(store) ?? new Map<number, Action>();
  map.set(action.id, action);
  actions.set(store, map);
  return shownAction(action);
}

function sets(zone: StoredZone, name?: string, type?: string) {
  const out = new Map<
    string,
    {
      name: string;
      type: string;
      ttl: number;
      records: Array<{ value: string; comment: string }>;
      zone: number;
    }
  >();
  for (const row of zone.rows) {
    if ((name !== undefined && row.name !== name) || (type !== undefined && row.type !== type)) continue;
    const set = out.get(`${row.name} ${row.type}`) ?? {
      name: ZoneStore.relative(zone, row.name) || "@",
      type: row.type,
      ttl: row.ttl,
      records: [],
      zone: Number(zone.id),
    };
    set.records.push({ value: row.value, comment: "" });
    out.set(`${row.name} ${row.type}`, set);
  }
  return [...out.values()];
}

const values = (request: EmuRequest) =>
  ((request.json as { records?: Array<{ value?: string }> } | undefined)?.records ?? []).map((r) =>
    String(r.value),
  );

const poll = (_request: EmuRequest, { id = "" }: Record<string, string>, store: ZoneStore): EmuReply => {
  const action = actions.get(store)?.get(Number(id));
  if (!action) return fail(404, `action ${id} not found`);
  const shown = shownAction(action);
  if (action.left > 0) action.left--;
  return { status: 200, json: { action: shown } };
};

const routes: Route[] = [
  { method: "GET", path: "/zones/actions/:id", handle: poll },
  { method: "GET", path: "/actions/:id", handle: poll },
  {
    method: "GET",
    path: "/zones",
    handle: (_request, _params, store) => ({
      status: 200,
      json: { zones: [...store.zones.values()].map((z) => ({ id: Number(z.id), name: z.name })), meta: {} },
    }),
  },
  {
    method: "GET",
    path: "/zones/:zone",
    handle(_request, { zone: wanted = "" }, store) {
      const zone = store.zone(wanted);
      return zone
        ? { status: 200, json: { zone: { id: Number(zone.id), name: zone.name, ttl: 3600 } } }
        : fail(404, "zone not found");
    },
  },
  {
    method: "GET",
    path: "/zones/:zone/rrsets",
    handle(request, { zone: wanted = "" }, store) {
      const zone = store.zone(wanted);
      if (!zone) return fail(404, "zone not found");
      const all = sets(zone);
      const size = Math.min(Number(request.query.get("per_page") ?? 25), hetznerCloudPaging.size);
      const page = Math.max(1, Number(request.query.get("page") ?? 1));
      const last = Math.max(1, Math.ceil(all.length / size));
      const pagination = {
        page,
        per_page: size,
        previous_page: page > 1 ? page - 1 : null,
        next_page: page < last ? page + 1 : null,
        last_page: last,
        total_entries: all.length,
      };
      return {
        status: 200,
        json: { rrsets: all.slice((page - 1) * size, page * size), meta: { pagination } },
      };
    },
  },
  {
    method: "GET",
    path: "/zones/:zone/rrsets/:name/:type",
    handle(_request, { zone: wanted = "", name = "", type = "" }, store) {
      const zone = store.zone(wanted);
      const [set] = zone ? sets(zone, ZoneStore.fqdn(zone, name), type) : [];
      return set ? { status: 200, json: { rrset: set } } : fail(404, "rrset not found");
    },
  },
  {
    method: "POST",
    path: "/zones/:zone/rrsets",
    handle(request, { zone: wanted = "" }, store) {
      const zone = store.zone(wanted);
      if (!zone) return fail(404, "zone not found");
      const body = (request.json ?? {}) as { name?: string; type?: string; ttl?: number };
      const fq = ZoneStore.fqdn(zone, body.name ?? "");
      if (!body.type) return fail(400, "type is required");
      if (sets(zone, fq, body.type).length > 0) return fail(409, "rrset already exists", "uniqueness_error");
      const action = start(store, "create_rrset", () =>
        store.setRRset(zone, fq, body.type ?? "", values(request), body.ttl ?? 3600),
      );
      return { status: 201, json: { rrset: sets(zone, fq, body.type)[0] ?? null, action } };
    },
  },
  {
    method: "POST",
    path: "/zones/:zone/rrsets/:name/:type/actions/set_records",
    handle(request, { zone: wanted = "", name = "", type = "" }, store) {
      const zone = store.zone(wanted);
      if (!zone) return fail(404, "zone not found");
      const fq = ZoneStore.fqdn(zone, name);
      if (sets(zone, fq, type).length === 0) return fail(404, "rrset not found");
      const ttl = zone.rows.find((row) => row.name === fq && row.type === type)?.ttl;
      return {
        status: 201,
        json: {
          action: start(store, "set_rrset_records", () =>
            store.setRRset(zone, fq, type, values(request), ttl),
          ),
        },
      };
    },
  },
  {
    method: "DELETE",
    path: "/zones/:zone/rrsets/:name/:type",
    handle(_request, { zone: wanted = "", name = "", type = "" }, store) {
      const zone = store.zone(wanted);
      if (!zone) return fail(404, "zone not found");
      const fq = ZoneStore.fqdn(zone, name);
      if (sets(zone, fq, type).length === 0) return fail(404, "rrset not found");
      return {
        status: 201,
        json: { action: start(store, "delete_rrset", () => store.setRRset(zone, fq, type, [])) },
      };
    },
  },
];

export const hetznerCloud: ServiceModule = {
  type: "hetzner-cloud",
  label: "Hetzner Cloud",
  secrets: () => ({ token: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/v1",
  authHint: /check token/,
  auth(request, secrets) {
    if (request.headers.authorization === `Bearer ${secrets.token}`) return undefined;
    return fail(401, "unable to authenticate", "unauthorized");
  },
  error: (status, message) =>
    fail(
      status,
      message,
      status === 429 ? "rate_limit_exceeded" : status >= 500 ? "unavailable" : "invalid_input",
    ),
  lie: () => ({
    status: 201,
    json: {
      action: {
        id: 999_999,
        command: "set_rrset_records",
        status: "success",
        progress: 100,
        error: null,
        resources: [],
      },
    },
  }),
  mutating: (request) => request.method !== "GET",
  routes,
};
