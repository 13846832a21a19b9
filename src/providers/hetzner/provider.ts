/**
 * Hetzner DNS Console API (legacy, reference §5a): `Auth-API-Token` header; zones found by
 * `GET /zones?name=`; records listed per zone with `page`/`per_page` and `meta.pagination`,
 * relative names ("@" at the apex), and edited in place by id (`PUT /records/{id}`). Hetzner is
 * moving DNS into the Cloud API: new setups should use the `hetzner-cloud` provider.
 */
import * as v from "valibot";
import { apiFor, headerAuth } from "../kit/http.ts";
import { pagesIfPresent } from "../kit/pages.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { fullName } from "../kit/rrset.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { HetznerSchema } from "./schema.ts";

type Config = v.InferOutput<typeof HetznerSchema>;

const Envelope = v.object({
  message: v.optional(v.string()),
  error: v.optional(v.object({ message: v.optional(v.string()) })),
});
const Record = v.object({
  id: idString,
  name: v.string(),
  type: v.string(),
  value: v.string(),
  ttl: v.optional(ttlNumber),
});
const Paged = v.object({
  meta: v.optional(v.object({ pagination: v.object({ page: v.number(), last_page: v.number() }) })),
});
const Records = v.object({ records: v.nullish(v.array(Record)) });
const ZoneList = v.object({ zones: v.nullish(v.array(v.object({ id: idString, name: v.string() }))) });
const Saved = v.object({ record: v.object({ value: v.string() }) });

const PER_PAGE = 100;
const HELP =
  "create an API token at https://dns.hetzner.com/settings/api-token (it reaches every zone of the DNS Console account)";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("api_token");
  const api = apiFor(id, config, context, {
    label: "Hetzner DNS",
    secrets: [token],
    authHelp: `check api_token: ${HELP}`,
    authorize: headerAuth("Auth-API-Token", () => token.reveal()),
    errorText: (body) => (v.is(Envelope, body) ? (body.error?.message ?? body.message) : undefined),
  });
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const what = `look up the zone ${name}`;
        const query = { name };
        const { status, body } = await api.json(
          { method: "GET", path: "zones", query, what, accept: [404] },
          signal,
        );
        if (status === 404) return null;
        const found = parseReply(api, ZoneList, body, what).zones?.find((z) => z.name.toLowerCase() === name);
        return found ? { name, id: found.id } : null;
      },
    },
    config.zone,
    "check that the zone is in this DNS Console account (https://dns.hetzner.com)",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const save = async (place: Place, value: string, signal: AbortSignal, row?: Row): Promise<Proof> => {
    const json = { zone_id: place.zone.id, type: place.type, name: place.relative || "@", value, ...ttl };
    const what = row
      ? `change ${place.name} ${place.type} to ${value}`
      : `add ${place.name} ${place.type} ${value}`;
    const request = row
      ? { method: "PUT" as const, path: `records/${encodeURIComponent(row.id)}`, json, what }
      : { method: "POST" as const, path: "records", json, what };
    const { body } = await api.json(request, signal);
    if (v.is(Saved, body) && body.record.value === value) return true;
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list: async (zone, _names, signal) =>
      // A zone without records answers 404.
      (await pagesIfPresent(
        api,
        {
          method: "GET",
          path: "records",
          query: { zone_id: zone.id, page: 1, per_page: PER_PAGE },
          what: `list the records of ${zone.name}`,
          accept: [404],
        },
        v.intersect([Records, Paged]),
        (reply) => {
          const records = reply.records ?? [];
          const at = reply.meta?.pagination;
          return {
            items: records.map(
              (r): Row => ({
                id: r.id,
                name: fullName(r.name, zone.name),
                type: r.type,
                value: r.value,
                ...(r.ttl ? { ttl: r.ttl } : {}),
              }),
            ),
            next: at && at.page < at.last_page && records.length > 0 ? { page: at.page + 1 } : undefined,
          };
        },
        signal,
      )) ?? [],
    create: (place, value, signal) => save(place, value, signal),
    update: (place, row, value, signal) => save(place, value, signal, row),
    async remove(_zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call(
        { method: "DELETE", path: `records/${encodeURIComponent(row.id)}`, what, accept: [404] },
        signal,
      );
    },
    async verify(_names, signal) {
      const what = "list the zones of the account";
      const { body } = await api.json({ method: "GET", path: "zones", query: { per_page: 1 }, what }, signal);
      parseReply(api, ZoneList, body, what);
      return "Hetzner DNS accepted the API token";
    },
  });
}
