/**
 * NameSilo API (reference: shared/reference/providers.md §19): GETs `/api/<operation>` with
 * `version=1&type=json&key=…`; HTTP 200 and `{reply: {code, detail, …}, request}` for errors too,
 * code 300 = success. Quirks modelled:
 * - `reply.code` is a number in some replies and a string in others (here: a string when listing);
 * - listings give fully qualified `host`s, string record ids and TTLs; TTL at least 3600;
 * - `dnsUpdateRecord` gives the record a new id (the reference says not to assume it is kept);
 * - codes: 110 invalid key, 200 domain not active / not yours, 280 DNS modification error.
 * Test-only: the 110 reply echoes the key it got in `detail`, so the bad-credentials scenario proves
 * every excerpt homing shows is redacted. The reply object comes before `request` so the malformed
 * fault breaks a record value, not the echoed caller address.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { ZoneStore } from "../kit/store.ts";

const answer = (request: EmuRequest, reply: Record<string, unknown>): EmuReply => ({
  status: 200,
  json: { reply, request: { operation: request.path.split("/").pop(), ip: "127.0.0.1" } },
});
const ok = (request: EmuRequest, extra: object = {}) =>
  answer(request, { code: 300, detail: "success", ...extra });
const fail = (request: EmuRequest, code: number, detail: string) => answer(request, { code, detail });

export const namesilo: ServiceModule = {
  type: "namesilo",
  label: "NameSilo",
  secrets: () => ({ api_key: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/api",
  authHint: /check api_key/,
  auth(request, secrets) {
    const key = request.query.get("key") ?? "";
    if (request.query.get("version") !== "1") return fail(request, 104, "Invalid API version");
    if (key === secrets.api_key) return undefined;
    return fail(request, 110, `Invalid API Key (${key})`);
  },
  error: (status, message) => ({ status, json: { reply: { code: 210, detail: message } } }),
  lie: (request) => ok(request),
  mutating: (request) => /\/dns(Add|Update|Delete)Record$/.test(request.path),
  routes: [
    {
      method: "GET",
      path: "/listDomains",
      handle: (request, _p, store) => ok(request, { domains: { domain: [...store.zones.keys()] } }),
    },
    {
      method: "GET",
      path: "/:operation",
      handle(request, { operation = "" }, store) {
        const q = (name: string) => request.query.get(name) ?? "";
        if (q("type") !== "json")
          return { status: 200, text: "<namesilo><reply><code>300</code></reply></namesilo>" };
        const zone = store.zone(q("domain"));
        if (!zone) return fail(request, 200, "Domain is not active, or does not belong to this user");
        const ttl = Number(q("rrttl") || 7207);
        if (/^dns(Add|Update)Record$/.test(operation) && ttl < 3600)
          return fail(request, 280, "TTL must be at least 3600");
        switch (operation) {
          case "dnsListRecords": {
            const resource_record = zone.rows.map((row) => ({
              record_id: row.id,
              type: row.type,
              host: row.name,
              value: row.value,
              ttl: String(row.ttl),
              distance: 0,
            }));
            return answer(request, { code: "300", detail: "success", resource_record });
          }
          case "dnsAddRecord": {
            const row = store.add(zone, {
              name: ZoneStore.fqdn(zone, q("rrhost")),
              type: q("rrtype"),
              value: q("rrvalue"),
              ttl,
            });
            return ok(request, { record_id: row.id });
          }
          case "dnsUpdateRecord": {
            const found = zone.rows.find((row) => row.id === q("rrid"));
            if (!found) return fail(request, 280, "Invalid record id");
            Object.assign(found, {
              id: store.nextId(),
              value: q("rrvalue"),
              ttl,
              name: ZoneStore.fqdn(zone, q("rrhost")),
            });
            return ok(request, { record_id: found.id });
          }
          case "dnsDeleteRecord":
            return store.delete(q("rrid")) ? ok(request) : fail(request, 280, "Invalid record id");
          default:
            return fail(request, 210, `Unknown operation ${operation}`);
        }
      },
    },
  ],
};
