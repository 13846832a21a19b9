/**
 * Namecheap's Dynamic DNS endpoint (reference: shared/reference/providers.md §2): GET
 * /update?host=&domain=&password=&ip=, always HTTP 200 with an XML `interface-response`. Quirks
 * modelled: the per-domain password (a wrong one is "Passwords do not match", still HTTP 200); the
 * host must pre-exist as an A record ("No Records updated. A record not Found;"); IPv4 only; the
 * declaration claims encoding="utf-16" while the bytes are ASCII (clients must ignore it).
 */
import { randomBytes } from "node:crypto";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { ZoneStore } from "../kit/store.ts";

const DECLARATION = '<?xml version="1.0" encoding="utf-16"?>';

function xml(body: string): EmuReply {
  return {
    status: 200,
    text: `${DECLARATION}\r\n<interface-response><Command>SETDNSHOST</Command><Language>eng</Language>${body}<Server>PHX01SBAPIEXT05</Server><Site>DynamicDNS</Site><IsSuccess>true</IsSuccess></interface-response>`,
    headers: { "content-type": "text/html; charset=utf-8" },
  };
}

function success(ip: string): EmuReply {
  return xml(
    `<IP>${ip}</IP><ErrCount>0</ErrCount><ResponseCount>0</ResponseCount><Done>true</Done><debug><![CDATA[]]></debug>`,
  );
}

function failure(message: string, number = "380091"): EmuReply {
  return xml(
    `<ErrCount>1</ErrCount><errors><Err1>${message}</Err1></errors><ResponseCount>1</ResponseCount><responses><response><ResponseNumber>${number}</ResponseNumber><ResponseString>${message}</ResponseString></response></responses><Done>true</Done><debug><![CDATA[]]></debug>`,
  );
}

export const namecheap: ServiceModule = {
  type: "namecheap",
  label: "Namecheap",
  secrets: () => ({ password: randomBytes(16).toString("hex") }),
  config: (endpoint) => ({ endpoint: `${endpoint}update` }),
  authHint: /Dynamic DNS password/,
  auth(request: EmuRequest, secrets) {
    return request.query.get("password") === secrets.password
      ? undefined
      : failure("Passwords do not match", "304156");
  },
  error: (status, message) => ({ status, text: `<html><body><h1>${status}</h1>${message}</body></html>` }),
  // ErrCount 0 and Done, but no IP: nothing shows which address (if any) was set.
  lie: () => xml("<ErrCount>0</ErrCount><ResponseCount>0</ResponseCount><Done>true</Done>"),
  mutating: (request) => request.path === "/update",
  routes: [
    {
      method: "GET",
      path: "/update",
      handle(request, _params, store) {
        const zone = store.zone(request.query.get("domain") ?? "");
        if (!zone) return failure("Domain name not found", "316153");
        const name = ZoneStore.fqdn(zone, request.query.get("host") ?? "@");
        const ip = request.query.get("ip") ?? "127.0.0.1";
        if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(ip)) return failure("Invalid IP", "304166");
        const rows = zone.rows.filter((row) => row.name === name && row.type === "A");
        if (rows.length === 0) return failure("No Records updated. A record not Found;");
        for (const row of rows) row.value = ip;
        return success(ip);
      },
    },
  ],
};
