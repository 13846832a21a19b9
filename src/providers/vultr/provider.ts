/**
 * Vultr DNS, API v2: Bearer API key; the zone is the domain in the path (404 when absent); records
 * are listed in cursor pages (`per_page`, `cursor`, `meta.links.next`) with no name filter, so the
 * kit keeps the names it manages; a record is changed in place with PATCH by id, which answers 204
 * without the record, so the change is confirmed by a fresh listing.
 */
import * as v from "valibot";
import { apiFor, bearer } from "../kit/http.ts";
import { absoluteName } from "../kit/names.ts";
import { allPages } from "../kit/paging.ts";
import { proofOf } from "../kit/proof.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { VultrSchema } from "./schema.ts";

type Config = v.InferOutput<typeof VultrSchema>;

const ErrorBody = v.object({ error: v.string() });
const Record = v.object({
  id: idString,
  type: v.string(),
  name: v.string(),
  data: v.string(),
  ttl: v.optional(v.number()),
});
const Records = v.object({
  records: v.array(Record),
  meta: v.optional(v.object({ links: v.optional(v.object({ next: v.optional(v.string()) })) })),
});
const Created = v.object({ record: Record });
const Domains = v.object({ domains: v.array(v.object({ domain: v.string() })) });

const HELP =
  "create or copy the API key at https://my.vultr.com/settings/#settingsapi and allow this host's addresses (or any) under Access Control";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const key = await context.secret("api_key");
  const api = apiFor(id, config, context, {
    label: "Vultr",
    secrets: [key],
    authHelp: `check api_key: ${HELP}`,
    authorize: bearer(key),
    errorText: (body) => (v.is(ErrorBody, body) ? body.error : undefined),
  });
  const zones = new Zones(
    api,
    {
      async lookup(name, signal) {
        const what = `find the domain ${name}`;
        const reply = await api.call({ method: "GET", path: `domains/${name}`, what, accept: [404] }, signal);
        return reply.status === 404 ? null : { name, id: name };
      },
    },
    config.zone,
    "add the domain at https://my.vultr.com/dns/",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const path = (zone: string, record = "") => `domains/${zone}/records${record ? `/${record}` : ""}`;
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const records = await allPages(api, what, "", async (cursor: string) => {
        const query = { per_page: 500, cursor: cursor || undefined };
        const { body } = await api.json({ method: "GET", path: path(zone.name), query, what }, signal);
        const reply = parseReply(api, Records, body, what);
        return { items: reply.records, next: reply.meta?.links?.next };
      });
      return records.map(
        (r): Row => ({
          id: r.id,
          name: absoluteName(r.name, zone.name),
          type: r.type,
          value: r.data,
          ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
        }),
      );
    },
    async create(place, value, signal) {
      const json = { type: place.type, name: place.relative, data: value, ...ttl };
      const what = `add ${place.name} ${place.type} ${value}`;
      const { body } = await api.json({ method: "POST", path: path(place.zone.name), json, what }, signal);
      return proofOf(api, body, v.is(Created, body) ? body.record.data : undefined, value);
    },
    async update(place, row, value, signal) {
      const json = { name: place.relative, data: value, ...ttl };
      const what = `change ${place.name} ${place.type} to ${value}`;
      const { body } = await api.json(
        { method: "PATCH", path: path(place.zone.name, row.id), json, what },
        signal,
      );
      return proofOf(api, body, undefined, value);
    },
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call({ method: "DELETE", path: path(zone.name, row.id), what, accept: [404] }, signal);
    },
    async verify(_names, signal) {
      const what = "list the domains of the account";
      const { body } = await api.json(
        { method: "GET", path: "domains", query: { per_page: 25 }, what },
        signal,
      );
      return `Vultr accepted the API key (${parseReply(api, Domains, body, what).domains.length} domains on the first page)`;
    },
  });
}
