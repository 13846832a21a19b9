/**
 * Mythic Beasts DNS API v2 (reference: shared/reference/providers.md §27): an OAuth2 token from
 * `/login` (client credentials, the key id and secret in HTTP Basic; `{error, error_description}` on
 * failure; tokens that last 666 s), then Bearer on `/dns/v2/…`. `GET zones` lists the zones the key
 * sees; `GET zones/{zone}/records` lists a zone whole; `PUT zones/{zone}/records/{host}/{type}`
 * replaces every record of that host and type and answers with counts only (`records_added`,
 * `records_removed`, `message`), never the values; DELETE the same path removes them. Hosts are
 * relative (`@` = apex). Errors are `{"error": "…"}`.
 */
import { createHash } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, ServiceModule } from "../kit/emulator.ts";
import { ZoneStore } from "../kit/store.ts";

const KEY_ID = "kq7m2xv9hwnb3d4c";
const fail = (status: number, message: string): EmuReply => ({ status, json: { error: message } });
const tokenFor = (basic: string) => createHash("sha256").update(basic).digest("hex").slice(0, 32);
const basicOf = (secrets: Record<string, string>) =>
  `Basic ${Buffer.from(`${KEY_ID}:${secrets.secret}`).toString("base64")}`;

export const mythicbeasts: ServiceModule = {
  type: "mythicbeasts",
  label: "Mythic Beasts",
  secrets: () => ({ secret: `${canarySecret()}_${canarySecret()}` }),
  config: (endpoint) => ({
    endpoint: `${endpoint}dns/v2/`,
    token_endpoint: `${endpoint}login`,
    key_id: KEY_ID,
  }),
  authHint: /key_id and secret/,
  auth(request, secrets) {
    if (request.path === "/login") {
      if (request.headers.authorization !== basicOf(secrets))
        return {
          status: 401,
          json: { error: "invalid_client", error_description: "Invalid API key or secret" },
        };
      if (request.form.get("grant_type") !== "client_credentials")
        return {
          status: 400,
          json: {
            error: "unsupported_grant_type",
            error_description: "grant_type must be client_credentials",
          },
        };
      return undefined;
    }
    if (request.headers.authorization === `Bearer ${tokenFor(basicOf(secrets))}`) return undefined;
    return fail(401, "Invalid or expired token");
  },
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: { message: "0 records added" } }),
  mutating: (request) => request.method === "PUT" || request.method === "DELETE",
  routes: [
    {
      method: "POST",
      path: "/login",
      handle: (request) => ({
        status: 200,
        json: {
          access_token: tokenFor(request.headers.authorization ?? ""),
          expires_in: 666,
          token_type: "bearer",
        },
      }),
    },
    {
      method: "GET",
      path: "/dns/v2/zones",
      handle: (_r, _p, store) => ({ status: 200, json: { zones: [...store.zones.keys()] } }),
    },
    {
      method: "GET",
      path: "/dns/v2/zones/:zone/records",
      handle(_request, { zone: name = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return fail(403, `API key does not have permission to access zone ${name}`);
        const records = zone.rows.map((row) => ({
          host: ZoneStore.relative(zone, row.name) || "@",
          type: row.type,
          data: row.value,
          ttl: row.ttl,
          zone: zone.name,
        }));
        return { status: 200, json: { records } };
      },
    },
    {
      method: "PUT",
      path: "/dns/v2/zones/:zone/records/:host/:type",
      handle(request, { zone: name = "", host = "", type = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return fail(403, `API key does not have permission to access zone ${name}`);
        const { records = [] } = (request.json ?? {}) as {
          records?: Array<{ host?: string; type?: string; data?: string; ttl?: number }>;
        };
        if (records.some((r) => (r.host ?? host) !== host || (r.type ?? type) !== type))
          return fail(400, "Records in the body must match the host and type of the URL");
        if (records.some((r) => (r.ttl ?? 300) < 60)) return fail(400, "TTL must be at least 60");
        const fq = ZoneStore.fqdn(zone, host);
        const removed = store.rows(fq, type).length;
        store.setRRset(
          zone,
          fq,
          type,
          records.map((r) => r.data ?? ""),
          records[0]?.ttl ?? 300,
        );
        for (const row of store.rows(fq, type)) row.ttl = records[0]?.ttl ?? 300;
        return {
          status: 200,
          json: {
            records_added: records.length,
            records_removed: removed,
            message: `${records.length} records added, ${removed} records removed`,
          },
        };
      },
    },
    {
      method: "DELETE",
      path: "/dns/v2/zones/:zone/records/:host/:type",
      handle(_request, { zone: name = "", host = "", type = "" }, store) {
        const zone = store.zone(name);
        if (!zone) return fail(403, `API key does not have permission to access zone ${name}`);
        const fq = ZoneStore.fqdn(zone, host);
        const removed = store.rows(fq, type).length;
        store.setRRset(zone, fq, type, []);
        return { status: 200, json: { records_removed: removed, message: `${removed} records removed` } };
      },
    },
  ],
};
