/**
 * Loopia API, XML-RPC (reference: shared/reference/providers.md §29b): one URL, `<methodCall>`s
 * whose first two params are the API user and password. Quirks modelled:
 * - replies are status strings ("OK", "AUTH_ERROR", "UNKNOWN_ERROR", "DOMAIN_OCCUPIED"), even for
 *   list methods, where a failure is an array holding the one status string;
 * - a method the API user is not permitted is an XML-RPC `<fault>` (faultCode 623);
 * - records are listed per subdomain (`getZoneRecords(domain, subdomain)`, apex "@") as structs
 *   `{type, ttl, priority, rdata, record_id}` with integer ids; a subdomain must exist (addSubdomain,
 *   or records already at it) before addZoneRecord takes a record.
 */
import { type RpcValue, readXmlRpcCall, xmlRpcResponse } from "../../../src/providers/kit/xmlrpc.ts";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

const USER = "homing@loopiaapi";
const xml = (value: RpcValue, status = 200): EmuReply => ({
  status,
  text: xmlRpcResponse({ value }),
  headers: { "content-type": "text/xml" },
});
const fault = (code: number, message: string, status = 200): EmuReply => ({
  status,
  text: xmlRpcResponse({ fault: { faultCode: code, faultString: message } }),
  headers: { "content-type": "text/xml" },
});
const call = (request: EmuRequest) => {
  try {
    return readXmlRpcCall(request.body);
  } catch {
    return { method: "", params: [] as RpcValue[] };
  }
};
const LISTS = new Set(["getDomains", "getSubdomains", "getZoneRecords"]);

/** Subdomains added without records yet, per zone. */
const added = new Map<StoredZone, Set<string>>();
const exists = (zone: StoredZone, sub: string) =>
  sub === "@" ||
  added.get(zone)?.has(sub) ||
  zone.rows.some((row) => ZoneStore.relative(zone, row.name) === sub);

export const loopia: ServiceModule = {
  type: "loopia",
  label: "Loopia",
  secrets: () => ({ password: canarySecret() }),
  config: (endpoint) => ({ endpoint: endpoint.replace(/\/$/, ""), username: USER }),
  base: "/RPCSERV",
  authHint: /check username and password/,
  auth(request, secrets) {
    const { method, params } = call(request);
    if (params[0] === USER && params[1] === secrets.password) return undefined;
    return xml(LISTS.has(method) ? ["AUTH_ERROR"] : "AUTH_ERROR");
  },
  error: (status, message) => fault(500, message, status),
  lie: () => xml("OK"),
  malform: (reply) => ({
    ...reply,
    text: (reply.text ?? "").replace(/<string>[\d.:a-f]+<\/string>/, "<int>12345</int>"),
  }),
  mutating: (request) => /^(add|update|remove)(Zone|Sub)/.test(call(request).method),
  routes: [
    {
      method: "POST",
      path: "",
      handle(request, _params, store) {
        const { method, params } = call(request);
        const [, , domain = "", sub = "", third] = params as [string, string, string?, string?, RpcValue?];
        if (method === "getDomains")
          return xml(
            [...store.zones.values()].map((z) => ({
              domain: z.name,
              paid: 1,
              registered: 1,
              renewal_status: "NORMAL",
              expiration_date: "2030-01-01",
              reference_no: 1,
            })),
          );
        const zone = store.zone(domain);
        if (!zone) return xml(LISTS.has(method) ? ["UNKNOWN_ERROR"] : "UNKNOWN_ERROR");
        const fqdn = ZoneStore.fqdn(zone, sub);
        switch (method) {
          case "getZoneRecords":
            return xml(
              zone.rows
                .filter((row) => row.name === fqdn)
                .map((row) => ({
                  type: row.type,
                  ttl: row.ttl,
                  priority: row.type === "MX" ? 10 : 0,
                  rdata: row.type === "MX" ? row.value.replace(/^10 /, "") : row.value,
                  record_id: Number(row.id),
                })),
            );
          case "addSubdomain": {
            if (exists(zone, sub)) return xml("DOMAIN_OCCUPIED");
            added.set(zone, (added.get(zone) ?? new Set()).add(sub));
            return xml("OK");
          }
          case "addZoneRecord": {
            if (!exists(zone, sub)) return xml("UNKNOWN_ERROR");
            const r = third as Record<string, RpcValue>;
            if (Number(r.ttl) < 300) return xml("BAD_INDATA");
            store.add(zone, { name: fqdn, type: String(r.type), value: String(r.rdata), ttl: Number(r.ttl) });
            return xml("OK");
          }
          case "updateZoneRecord": {
            const r = third as Record<string, RpcValue>;
            const row = zone.rows.find((x) => x.id === String(r.record_id) && x.name === fqdn);
            if (!row) return xml("UNKNOWN_ERROR");
            row.value = String(r.rdata);
            row.ttl = Number(r.ttl);
            return xml("OK");
          }
          case "removeZoneRecord": {
            const row = zone.rows.find((x) => x.id === String(third) && x.name === fqdn);
            if (!row) return xml("UNKNOWN_ERROR");
            store.delete(row.id);
            return xml("OK");
          }
          default:
            return fault(623, `Method ${method} not allowed`);
        }
      },
    },
  ],
};
