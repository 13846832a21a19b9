/**
 * Spaceship API v1 (reference: shared/reference/providers.md §25): `X-API-Key` + `X-API-Secret`;
 * `GET dns/records/{domain}` needs `take` and `skip` (400 without them) and pages at most two records
 * here, with `total`; a domain not on Spaceship DNS answers 404 "SOA record for domain … not found.";
 * records have no ids: `address` for A/AAAA, `value` for TXT, `exchange`/`preference` for MX, `@` at
 * the apex. `PUT dns/records/{domain}` with `force: true` replaces the records of each name and type
 * it carries (without `force`, a name and type that already has records is a 422 conflict) and
 * answers 204 without a body; `DELETE` takes an array of records and answers 204. Errors are
 * `{detail, data: [{field, details}]}` with a `Spaceship-Error-Code` header.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredRow, type StoredZone, ZoneStore } from "../kit/store.ts";

const PAGE = 2;
const fail = (status: number, detail: string, code = "Error"): EmuReply => ({
  status,
  json: { detail, data: [] },
  headers: { "spaceship-error-code": code },
});

interface Item {
  type?: string;
  name?: string;
  address?: string;
  value?: string;
  exchange?: string;
  ttl?: number;
}

function item(zone: StoredZone, row: StoredRow) {
  const base = {
    type: row.type,
    name: ZoneStore.relative(zone, row.name) || "@",
    ttl: row.ttl,
    group: { type: "custom" },
  };
  if (row.type === "A" || row.type === "AAAA") return { ...base, address: row.value };
  if (row.type === "MX") return { ...base, exchange: row.value.split(" ")[1], preference: 10 };
  return { ...base, value: row.value };
}

function zoneFor(store: ZoneStore, domain: string): StoredZone | EmuReply {
  return store.zone(domain) ?? fail(404, `SOA record for domain ${domain} not found.`, "NotFound");
}

const itemValue = (i: Item) => i.address ?? i.value ?? (i.exchange ? `10 ${i.exchange}` : "");
const items = (request: EmuRequest) => (request.json ?? []) as Item[];

export const spaceship: ServiceModule = {
  type: "spaceship",
  label: "Spaceship",
  secrets: () => ({ api_key: canarySecret(), api_secret: canarySecret() }),
  config: (endpoint) => ({ endpoint }),
  base: "/api/v1",
  authHint: /api_key and api_secret/,
  auth(request, secrets) {
    if (
      request.headers["x-api-key"] === secrets.api_key &&
      request.headers["x-api-secret"] === secrets.api_secret
    )
      return undefined;
    return fail(401, "Unauthorized", "Unauthorized");
  },
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 204, text: "" }),
  mutating: (request) => request.method === "PUT" || request.method === "DELETE",
  routes: [
    {
      method: "GET",
      path: "/dns/records/:domain",
      handle(request, { domain = "" }, store) {
        const take = Number(request.query.get("take"));
        const skip = Number(request.query.get("skip"));
        if (
          !request.query.has("take") ||
          !request.query.has("skip") ||
          !(take >= 1 && take <= 500) ||
          !(skip >= 0)
        )
          return fail(400, "take and skip are required (take 1 to 500)", "ValidationError");
        const zone = zoneFor(store, domain);
        if ("status" in zone) return zone;
        const all = zone.rows.map((row) => item(zone, row));
        return {
          status: 200,
          json: { items: all.slice(skip, skip + Math.min(take, PAGE)), total: all.length },
        };
      },
    },
    {
      method: "PUT",
      path: "/dns/records/:domain",
      handle(request, { domain = "" }, store) {
        const zone = zoneFor(store, domain);
        if ("status" in zone) return zone;
        const { force = false, items: list = [] } = (request.json ?? {}) as {
          force?: boolean;
          items?: Item[];
        };
        const groups = new Map<string, Item[]>();
        for (const i of list) {
          if ((i.ttl ?? 3600) < 60 || (i.ttl ?? 3600) > 3600)
            return fail(422, "ttl must be between 60 and 3600", "ValidationError");
          const key = `${ZoneStore.fqdn(zone, i.name ?? "")} ${i.type}`;
          groups.set(key, [...(groups.get(key) ?? []), i]);
        }
        for (const [key, group] of groups) {
          const [name = "", type = ""] = key.split(" ");
          if (!force && store.rows(name, type).length > 0)
            return fail(422, `Conflicting ${type} record at ${name}`, "Conflict");
          store.setRRset(zone, name, type, group.map(itemValue), group[0]?.ttl ?? 3600);
        }
        return { status: 204, text: "" };
      },
    },
    {
      method: "DELETE",
      path: "/dns/records/:domain",
      handle(request, { domain = "" }, store) {
        const zone = zoneFor(store, domain);
        if ("status" in zone) return zone;
        for (const i of items(request)) {
          const name = ZoneStore.fqdn(zone, i.name ?? "");
          const row = zone.rows.find((r) => r.name === name && r.type === i.type && r.value === itemValue(i));
          if (row) store.delete(row.id);
        }
        return { status: 204, text: "" };
      },
    },
  ],
};
