/**
 * Scaleway Domains and DNS, API v2beta1: `X-Auth-Token: <secret key>`; zones (domains and
 * delegated sub-zones) and records are listed in pages (`page`, `page_size`, `total_count`);
 * records have relative names ("" at the apex); every change is a PATCH of the zone's records with
 * a list of changes, and a `set` change replaces the whole A or AAAA set at a name at once.
 */
import * as v from "valibot";
import { apiFor, headerAuth } from "../kit/http.ts";
import { absoluteName } from "../kit/names.ts";
import { allPages } from "../kit/paging.ts";
import { proofOf } from "../kit/proof.ts";
import { parseReply } from "../kit/reply.ts";
import { type Place, RestProvider, type Row } from "../kit/rest.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { ScalewaySchema } from "./schema.ts";

type Config = v.InferOutput<typeof ScalewaySchema>;

const ErrorBody = v.object({ message: v.string(), type: v.optional(v.string()) });
const Record = v.object({
  id: v.string(),
  name: v.string(),
  type: v.string(),
  data: v.string(),
  ttl: v.optional(v.number()),
});
const Records = v.object({ records: v.array(Record), total_count: v.optional(v.number()) });
const DnsZones = v.object({
  dns_zones: v.array(v.object({ domain: v.string(), subdomain: v.optional(v.string(), "") })),
  total_count: v.number(),
});

const HELP =
  "create an API key at https://console.scaleway.com/iam/api-keys for an application whose policy grants DomainsDNSFullAccess on the project holding the zone, and give its secret key";
const PAGE_SIZE = 100;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const key = await context.secret("secret_key");
  const api = apiFor(id, config, context, {
    label: "Scaleway",
    secrets: [key],
    authHelp: `check secret_key: ${HELP}`,
    authorize: headerAuth("X-Auth-Token", () => key.reveal()),
    errorText: (body) => (v.is(ErrorBody, body) ? body.message : undefined),
  });
  const paged = <T>(
    path: string,
    what: string,
    signal: AbortSignal,
    read: (body: unknown) => { items: T[]; total: number },
  ) => {
    // The service may serve fewer than page_size: the pages end when total_count rows are read.
    let got = 0;
    return allPages(api, what, 1, async (page: number) => {
      const { body } = await api.json(
        { method: "GET", path, query: { page, page_size: PAGE_SIZE }, what },
        signal,
      );
      const { items, total } = read(body);
      got += items.length;
      return { items, next: got < total && items.length > 0 ? page + 1 : undefined };
    });
  };
  const listZones = async (signal: AbortSignal): Promise<Zone[]> =>
    (
      await paged("dns-zones", "list the DNS zones", signal, (body) => {
        const reply = parseReply(api, DnsZones, body, "list the DNS zones");
        return { items: reply.dns_zones, total: reply.total_count };
      })
    ).map((z) => {
      const name = (z.subdomain ? `${z.subdomain}.${z.domain}` : z.domain).toLowerCase();
      return { name, id: name };
    });
  const zones = new Zones(
    api,
    { all: listZones },
    config.zone,
    "add the domain or zone at https://console.scaleway.com/domains",
  );
  /** TTLs of the sets as listed, so a write keeps them when `ttl` is not set. */
  const ttls = new Map<string, number>();
  /** One PATCH of a zone's records; a delete of a record already gone (404) counts as done. */
  const patch = async (zone: Zone, change: object, what: string, signal: AbortSignal) => {
    const json = { changes: [change], disallow_new_zone_creation: true };
    const accept = "delete" in change ? [404] : [];
    return (
      await api.json({ method: "PATCH", path: `dns-zones/${zone.id}/records`, json, what, accept }, signal)
    ).body;
  };
  const shown = (body: unknown, place: Place, value: string) =>
    v.is(Records, body)
      ? body.records.find((r) => r.type === place.type && r.name === place.relative && r.data === value)?.data
      : undefined;
  const record = (place: Place, value: string) => {
    const ttl = config.ttl ?? ttls.get(`${place.name} ${place.type}`);
    return { name: place.relative, type: place.type, data: value, ...(ttl !== undefined ? { ttl } : {}) };
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const records = await paged(`dns-zones/${zone.id}/records`, what, signal, (body) => {
        const reply = parseReply(api, Records, body, what);
        return { items: reply.records, total: reply.total_count ?? 0 };
      });
      return records.map((r): Row => {
        const name = absoluteName(r.name, zone.name);
        if (r.ttl !== undefined) ttls.set(`${name} ${r.type.toUpperCase()}`, r.ttl);
        return {
          id: r.id,
          name,
          type: r.type,
          value: r.data,
          ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
        };
      });
    },
    async create(place, value, signal) {
      const what = `add ${place.name} ${place.type} ${value}`;
      const body = await patch(place.zone, { add: { records: [record(place, value)] } }, what, signal);
      return proofOf(api, body, shown(body, place, value), value);
    },
    async write(place, values, signal) {
      const what = `set ${place.name} ${place.type} to ${values.join(", ") || "nothing"}`;
      const id_fields = { name: place.relative, type: place.type };
      const change = values.length
        ? { set: { id_fields, records: values.map((value) => record(place, value)) } }
        : { delete: { id_fields } };
      const body = await patch(place.zone, change, what, signal);
      const last = values[values.length - 1];
      return last === undefined ? true : proofOf(api, body, shown(body, place, last), last);
    },
    async remove(zone, row, signal) {
      await patch(zone, { delete: { id: row.id } }, `remove ${row.name} ${row.type} ${row.value}`, signal);
    },
    async verify(_names, signal) {
      return `Scaleway accepted the secret key (${(await listZones(signal)).length} DNS zones visible)`;
    },
  });
}
