/**
 * ClouDNS HTTP API (reference: shared/reference/providers.md §21a): `/dns/<method>.json` with every
 * parameter in the query, `auth-id` or `sub-auth-id` plus `auth-password`; HTTP 200 with
 * `{status: "Success" | "Failed", statusDescription}`. Quirks modelled:
 * - `records-paged.json` gives an object keyed by record id (string numbers), or the literal `[]`
 *   when the page is empty; pages hold `rows-per-page` rows (10, 20, 30, 50 or 100 only);
 * - add-record takes the type as `record-type` (ClouDNS docs, LEGO) or `type` (ddns-go): both;
 * - only the listed TTLs are accepted; a sub-user may be limited to zones (`zonesOfSubUser`).
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { ZoneStore } from "../kit/store.ts";

const TTLS = new Set([
  60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000,
]);
const ok = (statusDescription: string, extra: object = {}): EmuReply => ({
  status: 200,
  json: { status: "Success", statusDescription, ...extra },
});
const failed = (statusDescription: string, status = 200): EmuReply => ({
  status,
  json: { status: "Failed", statusDescription },
});
const q = (request: EmuRequest, name: string) => request.query.get(name) ?? "";

export const SUB_AUTH_ID = "4321";

export const cloudns: ServiceModule = {
  type: "cloudns",
  label: "ClouDNS",
  secrets: () => ({ auth_password: canarySecret() }),
  config: (endpoint) => ({ endpoint: `${endpoint}dns/`, sub_auth_id: SUB_AUTH_ID }),
  authHint: /check sub_auth_id and auth_password/,
  auth(request, secrets) {
    const who = q(request, "sub-auth-id") || q(request, "auth-id");
    if (who === SUB_AUTH_ID && q(request, "auth-password") === secrets.auth_password) return undefined;
    return failed("Invalid authentication, incorrect auth-id or auth-password.");
  },
  error: (status, message) => failed(message, status),
  lie: () => ok("The record was modified successfully."),
  mutating: (request) => /\/(add|modify|delete)-record\.json$/.test(request.path),
  routes: [
    { method: "POST", path: "/login/login.json", handle: () => ok("Success login.") },
    {
      method: "GET",
      path: "/dns/records-paged.json",
      handle(request, _params, store) {
        const zone = store.zone(q(request, "domain-name"));
        if (!zone) return failed("Missing domain-name");
        const size = Number(q(request, "rows-per-page"));
        const page = Number(q(request, "page") || 1);
        if (![10, 20, 30, 50, 100].includes(size)) return failed("Invalid rows-per-page");
        const rows = zone.rows.slice((page - 1) * size, page * size);
        if (rows.length === 0) return { status: 200, json: [] };
        const out: Record<string, unknown> = {};
        for (const row of rows)
          out[row.id] = {
            id: row.id,
            type: row.type,
            host: ZoneStore.relative(zone, row.name),
            record: row.value,
            failover: "0",
            ttl: String(row.ttl),
            status: 1,
          };
        return { status: 200, json: out };
      },
    },
    {
      method: "POST",
      path: "/dns/:method",
      handle(request, { method = "" }, store) {
        const zone = store.zone(q(request, "domain-name"));
        if (!zone) return failed("Missing domain-name");
        const ttl = Number(q(request, "ttl"));
        if (method !== "delete-record.json" && !TTLS.has(ttl))
          return failed("Invalid TTL. Choose from the list of the values we support.");
        if (method === "add-record.json") {
          const type = q(request, "record-type") || q(request, "type");
          if (!type) return failed("Missing record-type");
          const row = store.add(zone, {
            name: ZoneStore.fqdn(zone, q(request, "host")),
            type,
            value: q(request, "record"),
            ttl,
          });
          return ok("The record was added successfully.", { data: { id: Number(row.id) } });
        }
        const row = zone.rows.find((r) => r.id === q(request, "record-id"));
        if (!row) return failed("Invalid record-id param.");
        if (method === "modify-record.json") {
          Object.assign(row, {
            value: q(request, "record"),
            ttl,
            name: ZoneStore.fqdn(zone, q(request, "host")),
          });
          return ok("The record was modified successfully.");
        }
        if (method === "delete-record.json") {
          store.delete(row.id);
          return ok("The record was deleted successfully.");
        }
        return failed(`Unknown method ${method}`);
      },
    },
  ],
};
