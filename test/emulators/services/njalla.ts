/**
 * Njalla API (reference: shared/reference/providers.md §20b): POST `{method, params}` to
 * `/api/1/` with `Authorization: Njalla <token>`; replies `{jsonrpc, id, result}` or an error
 * object. Quirks modelled:
 * - the error key: a rejected token is `{"Error": {code: 403, …}}` as in LEGO's fixture
 *   (auth_error.json); every other error uses the JSON-RPC spelling `error`;
 * - records: string ids, relative names ("@" apex), numeric TTLs; add-record and edit-record answer
 *   with the record; an unknown domain is error 404 "Domain not found" (assumed: not in the
 *   reference).
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const result = (value: unknown): EmuReply => ({
  status: 200,
  json: { jsonrpc: "2.0", id: "1", result: value },
});
const problem = (code: number, message: string, key = "error", status = 200): EmuReply => ({
  status,
  json: { jsonrpc: "2.0", [key]: { code, message } },
});
const rpc = (request: EmuRequest) => {
  const json = (request.json ?? {}) as { method?: string; params?: Record<string, unknown> };
  return { method: String(json.method ?? ""), params: json.params ?? {} };
};
const shown = (zone: StoredZone, row: StoredRow) => ({
  id: row.id,
  domain: zone.name,
  name: ZoneStore.relative(zone, row.name) || "@",
  type: row.type,
  content: row.value,
  ttl: row.ttl,
});

export const njalla: ServiceModule = {
  type: "njalla",
  label: "Njalla",
  secrets: () => ({ token: canarySecret().toLowerCase() }),
  config: (endpoint) => ({ endpoint }),
  base: "/api/1",
  authHint: /check token/,
  auth(request, secrets) {
    if (request.headers.authorization === `Njalla ${secrets.token}`) return undefined;
    return problem(403, "Invalid token.", "Error");
  },
  error: (status, message) => problem(status, message, "error", status),
  lie: () => result({}),
  mutating: (request) => /^(add|edit|remove)-record$/.test(rpc(request).method),
  routes: [
    {
      method: "POST",
      path: "/",
      handle(request, _params, store) {
        const { method, params } = rpc(request);
        if (method === "list-domains")
          return result({ domains: [...store.zones.keys()].map((name) => ({ name, status: "active" })) });
        const zone = store.zone(String(params.domain ?? ""));
        if (!zone) return problem(404, "Domain not found.");
        switch (method) {
          case "list-records":
            return result({ records: zone.rows.map((row) => shown(zone, row)) });
          case "add-record": {
            const row = store.add(zone, {
              name: ZoneStore.fqdn(zone, String(params.name ?? "")),
              type: String(params.type),
              value: String(params.content),
              ttl: Number(params.ttl ?? 10800),
            });
            return result(shown(zone, row));
          }
          case "edit-record": {
            const row = zone.rows.find((r) => r.id === String(params.id));
            if (!row) return problem(404, "Record not found.");
            if (params.content !== undefined) row.value = String(params.content);
            if (params.ttl !== undefined) row.ttl = Number(params.ttl);
            return result(shown(zone, row));
          }
          case "remove-record": {
            if (params.id === undefined) return problem(400, "missing ID");
            return store.delete(String(params.id)) ? result({}) : problem(404, "Record not found.");
          }
          default:
            return problem(400, `Unknown method ${method}`);
        }
      },
    },
  ],
};
