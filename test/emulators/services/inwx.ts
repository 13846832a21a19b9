/**
 * INWX DomRobot API, JSON-RPC variant (reference: shared/reference/providers.md §16b): one URL, a
 * POST `{method, params}` per call, the envelope `{code, msg, reason?, resData?}` with HTTP 200
 * for errors too; codes 1000–1500 succeed. Quirks modelled:
 * - `account.login` sets the `domrobot` session cookie that every later call must carry (2002
 *   without it); `expireOnce` drops the first session after one use;
 * - `tfa`: an account with two-factor authentication logs in with `resData.tfa` set and stays
 *   locked until `account.unlock` with a one-time code (which homing cannot give);
 * - `nameserver.info` lists the whole zone with fully qualified names and integer ids; an unknown
 *   domain is 2303 (object does not exist); updateRecord and deleteRecord answer with no resData.
 */
import { randomUUID } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { ZoneStore } from "../kit/store.ts";

const done = (resData?: unknown, headers?: Record<string, string>): EmuReply => ({
  status: 200,
  json: { code: 1000, msg: "Command completed successfully", ...(resData === undefined ? {} : { resData }) },
  ...(headers ? { headers } : {}),
});
const fail = (code: number, msg: string, status = 200): EmuReply => ({ status, json: { code, msg } });

const rpc = (request: EmuRequest) => {
  const json = (request.json ?? {}) as { method?: string; params?: Record<string, unknown> };
  return { method: String(json.method ?? ""), params: json.params ?? {} };
};
const sessionOf = (request: EmuRequest) =>
  /(?:^|;\s*)domrobot=([^;]+)/.exec(request.headers.cookie ?? "")?.[1] ?? "";

export function inwxService(
  options: { expireOnce?: boolean; tfa?: boolean } = {},
): ServiceModule & { logins: () => number } {
  const sessions = new Set<string>();
  let logins = 0;
  let expired = !options.expireOnce;
  return {
    type: "inwx",
    label: "INWX",
    logins: () => logins,
    secrets: () => ({ password: canarySecret() }),
    config: (endpoint) => ({ endpoint, username: "homing-user" }),
    base: "/jsonrpc",
    authHint: /check username and password/,
    auth(request, secrets) {
      const { method, params } = rpc(request);
      if (method === "account.login") {
        if (params.user === "homing-user" && params.pass === secrets.password) return undefined;
        return fail(2200, "Authentication error");
      }
      const id = sessionOf(request);
      if (!sessions.has(id) || options.tfa) return fail(2002, "Command use error");
      if (!expired) {
        expired = true;
        sessions.delete(id);
        return fail(2002, "Command use error");
      }
      return undefined;
    },
    error: (status, message) => fail(2400, message, status),
    lie: () => done(),
    mutating: (request) => /^nameserver\.(create|update|delete)Record$/.test(rpc(request).method),
    routes: [
      {
        method: "POST",
        path: "/",
        handle(request, _params, store) {
          const { method, params } = rpc(request);
          if (method === "account.login") {
            logins++;
            const id = randomUUID();
            sessions.add(id);
            return done(
              { customerId: 1, accountId: 1, tfa: options.tfa ? "GOOGLE-AUTH" : "0" },
              {
                "set-cookie": `domrobot=${id}; path=/; HttpOnly`,
              },
            );
          }
          if (method === "nameserver.info") {
            const zone = store.zone(String(params.domain ?? ""));
            if (!zone) return fail(2303, "Object does not exist");
            const record = zone.rows.map((row) => ({
              id: Number(row.id),
              name: row.name,
              type: row.type,
              content: row.value,
              ttl: row.ttl,
              prio: 0,
            }));
            return done({
              roId: Number(zone.id),
              domain: zone.name,
              type: "MASTER",
              count: record.length,
              record,
            });
          }
          if (method === "nameserver.createRecord") {
            const zone = store.zone(String(params.domain ?? ""));
            if (!zone) return fail(2303, "Object does not exist");
            const ttl = Number(params.ttl ?? 3600);
            if (ttl < 300) return fail(2005, "Parameter value range error", 200);
            const row = store.add(zone, {
              name: ZoneStore.fqdn(zone, String(params.name ?? "")),
              type: String(params.type),
              value: String(params.content),
              ttl,
            });
            return done({ id: Number(row.id) });
          }
          const found = store.find(String(params.id ?? ""));
          if (!found) return fail(2303, "Object does not exist");
          if (method === "nameserver.updateRecord") {
            if (params.content !== undefined) found.row.value = String(params.content);
            if (params.ttl !== undefined) found.row.ttl = Number(params.ttl);
            return done();
          }
          if (method === "nameserver.deleteRecord") {
            store.delete(found.row.id);
            return done();
          }
          return fail(2000, "Unknown command");
        },
      },
    ],
  };
}

export const inwx = inwxService();
