/**
 * Porkbun API v3 (reference: shared/reference/providers.md §1): every call a POST with both keys in
 * the JSON body; envelope {status, message}; records with string ids and TTLs and fully qualified
 * names; a domain answers only when its "API ACCESS" switch is on (`apiAccessOff`).
 */

import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, ServiceModule } from "../kit/emulator.ts";
import { ZoneStore } from "../kit/store.ts";

/** Domains whose API ACCESS switch is off. */
export const apiAccessOff = new Set<string>();

const ok = (extra: object = {}): EmuReply => ({ status: 200, json: { status: "SUCCESS", ...extra } });
const fail = (status: number, message: string): EmuReply => ({ status, json: { status: "ERROR", message } });

function body(request: { json: unknown }): Record<string, string> {
  return (request.json ?? {}) as Record<string, string>;
}

function zoneFor(store: ZoneStore, domain: string): EmuReply | ReturnType<ZoneStore["zone"]> {
  if (apiAccessOff.has(domain)) return fail(400, "Domain is not opted in to API access.");
  return store.zone(domain) ?? fail(400, "Invalid domain.");
}

export const porkbun: ServiceModule = {
  type: "porkbun",
  label: "Porkbun",
  secrets: () => ({ api_key: `pk1_${canarySecret()}`, secret_api_key: `sk1_${canarySecret()}` }),
  config: (endpoint) => ({ endpoint }),
  base: "/api/json/v3",
  authHint: /api_key and secret_api_key/,
  auth(request, secrets) {
    const { apikey, secretapikey } = body(request);
    if (apikey === secrets.api_key && secretapikey === secrets.secret_api_key) return undefined;
    return fail(400, "Invalid API key. (001)");
  },
  error: (status, message) => fail(status, message),
  lie: () => ok(),
  mutating: (request) => /\/dns\/(create|edit|delete)/.test(request.path),
  routes: [
    { method: "POST", path: "/ping", handle: () => ok({ yourIp: "127.0.0.1" }) },
    {
      method: "POST",
      path: "/dns/retrieve/:domain",
      handle(_request, { domain = "" }, store) {
        const zone = zoneFor(store, domain);
        if (!zone || "status" in zone) return zone as EmuReply;
        return ok({
          records: zone.rows.map((row) => ({
            id: row.id,
            name: row.name,
            type: row.type,
            content: row.value,
            ttl: String(row.ttl),
            prio: "0",
            notes: "",
          })),
        });
      },
    },
    {
      method: "POST",
      path: "/dns/create/:domain",
      handle(request, { domain = "" }, store) {
        const zone = zoneFor(store, domain);
        if (!zone || "status" in zone) return zone as EmuReply;
        const { name = "", type = "", content = "", ttl = "600" } = body(request);
        if (Number(ttl) < 300) return fail(400, "TTL must be at least 300.");
        const row = store.add(zone, {
          name: ZoneStore.fqdn(zone, name),
          type,
          value: content,
          ttl: Number(ttl),
        });
        return ok({ id: Number(row.id) });
      },
    },
    {
      method: "POST",
      path: "/dns/edit/:domain/:id",
      handle(request, { domain = "", id = "" }, store) {
        const zone = zoneFor(store, domain);
        if (!zone || "status" in zone) return zone as EmuReply;
        const row = zone.rows.find((r) => r.id === id);
        if (!row) return fail(400, "Invalid record id.");
        const { content = "", ttl } = body(request);
        row.value = content;
        if (ttl) row.ttl = Number(ttl);
        return ok();
      },
    },
    {
      method: "POST",
      path: "/dns/delete/:domain/:id",
      handle(_request, { domain = "", id = "" }, store) {
        const zone = zoneFor(store, domain);
        if (!zone || "status" in zone) return zone as EmuReply;
        return store.delete(id) ? ok() : fail(400, "Invalid record id.");
      },
    },
  ],
};
