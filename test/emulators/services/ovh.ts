/**
 * OVHcloud API 1.0 (reference: shared/reference/providers.md §24). Quirks modelled:
 * - every call but GET /auth/time is signed: "$1$" + SHA-1 of AS+CK+METHOD+full URL+body+timestamp,
 *   recomputed here from the request as received (the URL from Host and the raw target);
 * - OVH's clock runs `SKEW_S` seconds ahead of this host's, and a timestamp more than a minute off
 *   OVH's clock is refused (QUERY_TIME_OUT): a client must sign with GET /auth/time's clock;
 * - GET …/record?subDomain= answers ids only (apex: subDomain empty); each record is read by id;
 * - PUT by id answers null; nothing is served until POST …/refresh (the log shows whether it came);
 * - errors {errorCode?, httpCode?, message} or {class, message}.
 */
import { createHash } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

export const APPLICATION_KEY = "7kbG7Bk7S9Nt7ZSV";
/** How far OVH's clock is ahead of this host's. */
export const SKEW_S = 1000;

const ok = (json: unknown): EmuReply =>
  json === null
    ? { status: 200, text: "null", headers: { "content-type": "application/json" } }
    : { status: 200, json };
const fail = (status: number, message: string, errorCode?: string): EmuReply => ({
  status,
  json: errorCode
    ? { errorCode, httpCode: `${status}`, message }
    : { class: status === 404 ? "Client::NotFound" : "Client::BadRequest", message },
  headers: { "x-ovh-queryid": "EU.ext-1.abc" },
});
const serverTime = () => Math.round(Date.now() / 1000) + SKEW_S;

/** The `$1$` signature of the request as received (OVH "First steps with the API", signing). */
function expected(request: EmuRequest, secrets: Record<string, string>): string {
  const url = `http://${request.headers.host}${request.target ?? request.path}`;
  const text = [
    secrets.application_secret,
    secrets.consumer_key,
    request.method,
    url,
    request.body,
    request.headers["x-ovh-timestamp"],
  ].join("+");
  return `$1$${createHash("sha1").update(text, "utf8").digest("hex")}`;
}

const view = (zone: StoredZone, row: StoredRow) => ({
  id: Number(row.id),
  zone: zone.name,
  subDomain: ZoneStore.relative(zone, row.name),
  fieldType: row.type,
  target: row.value,
  ttl: row.ttl,
});

function recordOf(store: ZoneStore, zoneName: string, id: string) {
  const zone = store.zone(zoneName);
  const row = zone?.rows.find((r) => r.id === id);
  return zone && row ? { zone, row } : undefined;
}
const missing = (zone: string) => fail(404, `This service does not exist: ${zone}`);

export const ovh: ServiceModule = {
  type: "ovh",
  label: "OVHcloud",
  secrets: () => ({ application_secret: canarySecret(), consumer_key: canarySecret() }),
  config: (endpoint) => ({ endpoint, application_key: APPLICATION_KEY }),
  base: "/1.0",
  authHint: /application_secret and consumer_key/,
  auth(request, secrets) {
    if (request.path === "/1.0/auth/time") return undefined;
    if (request.headers["x-ovh-application"] !== APPLICATION_KEY)
      return fail(403, "Invalid application key", "INVALID_KEY");
    if (request.headers["x-ovh-consumer"] !== secrets.consumer_key)
      return fail(403, "This credential does not exist", "INVALID_CREDENTIAL");
    if (Math.abs(Number(request.headers["x-ovh-timestamp"]) - serverTime()) > 60)
      return fail(400, "Query out of time", "QUERY_TIME_OUT");
    if (request.headers["x-ovh-signature"] !== expected(request, secrets))
      return fail(400, "Invalid signature", "INVALID_SIGNATURE");
    return undefined;
  },
  error: (status, message) => fail(status, message),
  lie: () => ok(null),
  mutating: (request) => request.method !== "GET",
  routes: [
    { method: "GET", path: "/auth/time", handle: () => ({ status: 200, text: String(serverTime()) }) },
    {
      method: "GET",
      path: "/auth/currentCredential",
      handle: () => ok({ status: "validated", rules: [{ method: "GET", path: "/domain/zone/*" }] }),
    },
    {
      method: "GET",
      path: "/domain/zone/:zone",
      handle: (_request, { zone = "" }, store) =>
        store.zone(zone) ? ok({ name: zone, dnssecSupported: true, hasDnsAnycast: false }) : missing(zone),
    },
    {
      method: "GET",
      path: "/domain/zone/:zone/record",
      handle(request, { zone: name = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return missing(name);
        const sub = request.query.get("subDomain");
        const type = request.query.get("fieldType");
        const rows = zone.rows.filter(
          (r) =>
            (sub === null || ZoneStore.relative(zone, r.name) === sub.toLowerCase()) &&
            (!type || r.type === type),
        );
        return ok(rows.map((r) => Number(r.id)));
      },
    },
    {
      method: "GET",
      path: "/domain/zone/:zone/record/:id",
      handle(_request, { zone = "", id = "" }, store) {
        const found = recordOf(store, zone, id);
        return found ? ok(view(found.zone, found.row)) : missing(`${zone}/record/${id}`);
      },
    },
    {
      method: "POST",
      path: "/domain/zone/:zone/record",
      handle(request, { zone: name = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return missing(name);
        const {
          fieldType,
          subDomain = "",
          target,
          ttl = 0,
        } = (request.json ?? {}) as Record<string, string | number | undefined>;
        if (typeof fieldType !== "string" || typeof target !== "string")
          return fail(400, "Missing parameter: fieldType or target");
        const row = store.add(zone, {
          name: ZoneStore.fqdn(zone, String(subDomain)),
          type: fieldType,
          value: target,
          ttl: Number(ttl) || 3600,
        });
        return ok(view(zone, row));
      },
    },
    {
      method: "PUT",
      path: "/domain/zone/:zone/record/:id",
      handle(request, { zone = "", id = "" }, store) {
        const found = recordOf(store, zone, id);
        if (!found) return missing(`${zone}/record/${id}`);
        const { target, ttl } = (request.json ?? {}) as { target?: string; ttl?: number };
        if (target !== undefined) found.row.value = target;
        if (ttl !== undefined) found.row.ttl = ttl;
        return ok(null);
      },
    },
    {
      method: "DELETE",
      path: "/domain/zone/:zone/record/:id",
      handle: (_request, { zone = "", id = "" }, store) =>
        recordOf(store, zone, id) && store.delete(id) ? ok(null) : missing(`${zone}/record/${id}`),
    },
    {
      method: "POST",
      path: "/domain/zone/:zone/refresh",
      handle(_request, { zone = "" }, store) {
        if (!store.zone(zone)) return missing(zone);
        return ok(null);
      },
    },
  ],
};
