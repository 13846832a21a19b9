/**
 * Netcup CCP DNS API (reference: shared/reference/providers.md §10): one endpoint, a POST
 * `{action, param}` per call, the envelope `{status, statuscode, shortmessage, longmessage,
 * responsedata}` with HTTP 200 for errors too, and `responsedata: ""` on errors. Quirks modelled:
 * - sessions: `login` gives an `apisessionid` that later calls carry; an unknown or expired session
 *   is statuscode 4001. `expireOnce` drops the first session after its first use (netcup drops idle
 *   sessions after about 15 minutes), so homing must log in again;
 * - the endpoint answers with or without the `?JSON` query (LEGO sends it, DU and ddclient do not);
 * - records: relative `hostname` ("@" apex), string ids, no TTL; `updateDnsRecords` with an id
 *   changes in place, without an id creates, with `deleterecord: true` deletes; the reply lists the
 *   whole zone.
 */
import { randomUUID } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

const reply = (action: string, responsedata: unknown = "", message = "ok"): EmuReply => ({
  status: 200,
  json: {
    serverrequestid: "srv",
    clientrequestid: "",
    action,
    status: "success",
    statuscode: 2000,
    shortmessage: message,
    longmessage: message,
    responsedata,
  },
});
const error = (
  status: number,
  statuscode: number,
  shortmessage: string,
  longmessage = shortmessage,
): EmuReply => ({
  status,
  json: {
    serverrequestid: "srv",
    clientrequestid: "",
    action: "",
    status: "error",
    statuscode,
    shortmessage,
    longmessage,
    responsedata: "",
  },
});

interface Call {
  action: string;
  param: Record<string, unknown>;
}
const callOf = (request: EmuRequest): Call => {
  const json = (request.json ?? {}) as Partial<Call>;
  return { action: String(json.action ?? ""), param: (json.param ?? {}) as Record<string, unknown> };
};

const rowsOf = (zone: StoredZone) =>
  zone.rows.map((row) => ({
    id: row.id,
    hostname: ZoneStore.relative(zone, row.name) || "@",
    type: row.type,
    priority: "0",
    destination: row.value,
    deleterecord: false,
    state: "yes",
  }));

export function netcupService(
  options: { expireOnce?: boolean } = {},
): ServiceModule & { logins: () => number } {
  const sessions = new Set<string>();
  let logins = 0;
  let expired = !options.expireOnce;
  return {
    type: "netcup",
    label: "Netcup",
    logins: () => logins,
    secrets: () => ({ api_key: canarySecret(), api_password: canarySecret() }),
    config: (endpoint) => ({ endpoint: `${endpoint.replace(/\/$/, "")}?JSON`, customer_number: "12345" }),
    base: "/run/webservice/servers/endpoint.php",
    authHint: /api_key, api_password and customer_number/,
    auth(request, secrets) {
      const { action, param } = callOf(request);
      if (action === "login") {
        if (
          param.customernumber === "12345" &&
          param.apikey === secrets.api_key &&
          param.apipassword === secrets.api_password
        ) {
          logins++;
          return undefined;
        }
        return error(200, 4013, "Validation Error.", "The login data is invalid.");
      }
      const sid = String(param.apisessionid ?? "");
      if (param.apikey !== secrets.api_key || !sessions.has(sid))
        return error(
          200,
          4001,
          "The session id is not in a valid format.",
          "Most likely the session expired. Please login again.",
        );
      if (!expired) {
        expired = true;
        sessions.delete(sid);
        return error(
          200,
          4001,
          "The session id is not in a valid format.",
          "Most likely the session expired. Please login again.",
        );
      }
      return undefined;
    },
    error: (status, message) => error(status, 4000, message),
    lie: (request) => reply(callOf(request).action, "", "DNS records successful updated"),
    mutating: (request) => callOf(request).action === "updateDnsRecords",
    routes: [
      {
        method: "POST",
        path: "",
        handle(request, _params, store) {
          const { action, param } = callOf(request);
          if (action === "login") {
            const id = randomUUID().replaceAll("-", "");
            sessions.add(id);
            return reply("login", { apisessionid: id }, "Login successful");
          }
          if (action === "logout") {
            sessions.delete(String(param.apisessionid));
            return reply("logout");
          }
          const zone = store.zone(String(param.domainname ?? ""));
          if (!zone) return error(200, 5029, "Can not get DNS records for zone.", "Domain not found.");
          if (action === "infoDnsRecords")
            return reply(action, { dnsrecords: rowsOf(zone) }, "DNS records found");
          if (action !== "updateDnsRecords")
            return error(200, 4013, "Validation Error.", `Unknown action ${action}.`);
          const set = (param.dnsrecordset ?? {}) as { dnsrecords?: Array<Record<string, unknown>> };
          for (const record of set.dnsrecords ?? []) {
            const {
              id,
              hostname = "",
              type = "",
              destination = "",
              deleterecord,
            } = record as Record<string, string | boolean | undefined>;
            if (id !== undefined) {
              const found = zone.rows.find((row) => row.id === String(id));
              if (!found) return error(200, 5030, "Validation Error.", `Record ${String(id)} not found.`);
              if (deleterecord === true) store.delete(found.id);
              else found.value = String(destination);
            } else if (deleterecord !== true) {
              store.add(zone, {
                name: ZoneStore.fqdn(zone, String(hostname)),
                type: String(type),
                value: String(destination),
                ttl: 86400,
              });
            }
          }
          return reply(action, { dnsrecords: rowsOf(zone) }, "DNS records successful updated");
        },
      },
    ],
  };
}

export const netcup = netcupService();
