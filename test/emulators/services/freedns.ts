/**
 * FreeDNS (afraid.org) v2 sync URLs (reference: shared/reference/providers.md §13): GET
 * /u/{token}/ (IPv4 host) and, standing in for v6.sync.afraid.org, /v6/u/{token}/ (IPv6 host),
 * with `?address=` (`myip=` is accepted too: a client seen in the wild sends it). Plain-text replies
 * with HTTP 200: "Updated 1 host(s) {host} to {ip} in 0.155 seconds", "No IP change detected for
 * {host} with IP {ip}, skipping update", "ERROR: Unable to locate this record" for an unknown token.
 * Quirk modelled: a token belongs to one record, the first A row of the store (the record the table
 * seeds); whatever name a client means, the token's record is the one updated and named.
 */
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import type { ZoneStore } from "../kit/store.ts";

const text = (status: number, body: string): EmuReply => ({ status, text: body });

function tokenOf(request: EmuRequest): string | undefined {
  return /^(?:\/v6)?\/u\/([^/]+)\/$/.exec(request.path)?.[1];
}

function update(request: EmuRequest, store: ZoneStore, type: "A" | "AAAA"): EmuReply {
  const ip = request.query.get("address") ?? request.query.get("myip") ?? "";
  const family = ip.includes(":") ? "AAAA" : ip.includes(".") ? "A" : "";
  // The v4 host only sees (and takes) IPv4, the v6 host IPv6.
  if (family !== type)
    return text(200, `ERROR: Address ${ip} is not a valid ${type === "A" ? "IPv4" : "IPv6"} address.`);
  const host = [...store.zones.values()].flatMap((z) => z.rows).find((row) => row.type === "A")?.name;
  const zone = host ? store.zoneOf(host) : undefined;
  if (!host || !zone) return text(200, "ERROR: Unable to locate this record");
  const rows = zone.rows.filter((row) => row.name === host && row.type === type);
  if (rows.length > 0 && rows.every((row) => row.value === ip))
    return text(200, `No IP change detected for ${host} with IP ${ip}, skipping update\n`);
  if (rows.length === 0) store.add(zone, { name: host, type, value: ip, ttl: 60 });
  for (const row of rows) row.value = ip;
  return text(200, `Updated 1 host(s) ${host} to ${ip} in 0.155 seconds\n`);
}

export const freedns: ServiceModule = {
  type: "freedns",
  label: "FreeDNS",
  secrets: () => ({ token: `${canarySecret()}x8Kq2` }),
  config: (endpoint) => ({ endpoint: `${endpoint}u/`, endpoint_ipv6: `${endpoint}v6/u/` }),
  authHint: /the token .*freedns\.afraid\.org\/dynamic\/v2/,
  auth: (request, secrets) =>
    tokenOf(request) === secrets.token ? undefined : text(200, "ERROR: Unable to locate this record"),
  error: (status, message) => text(status, `<html><body>${message}</body></html>`),
  // "Updated" but no host and no address: nothing shows the record was set.
  lie: () => text(200, "Updated 0 host(s) in 0.012 seconds\n"),
  mutating: (request) => tokenOf(request) !== undefined,
  routes: [
    { method: "GET", path: "/u/:token/", handle: (request, _p, store) => update(request, store, "A") },
    { method: "GET", path: "/v6/u/:token/", handle: (request, _p, store) => update(request, store, "AAAA") },
  ],
};
