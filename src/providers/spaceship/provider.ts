/**
 * Spaceship (API v1): `X-API-Key` and `X-API-Secret` headers; the domain is the zone, and a domain
 * that does not use Spaceship DNS answers 404 "SOA record … not found"; records have no ids (a record
 * is its type, name and value) and are listed with `take`/`skip` pages. A change is one
 * `PUT dns/records/{domain}` with `force: true` and every value of the set: with `force`, Spaceship
 * replaces the records of that name and type (ddns-updater's updater relies on this and never deletes
 * the old address). homing still deletes any value it meant to drop that the PUT may have left, so the
 * result is right either way. Replies are 204 without a body: every write is checked by a fresh list.
 */
import * as v from "valibot";
import { normalizeName } from "../../core/records.ts";
import { apiFor, headerAuth } from "../kit/http.ts";
import { pagesIfPresent } from "../kit/pages.ts";
import { ttlNumber } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { RecordSets, type WriteSet } from "../kit/rrsets.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { SpaceshipSchema } from "./schema.ts";

type Config = v.InferOutput<typeof SpaceshipSchema>;

const SpaceshipError = v.object({ detail: v.string() });
const Records = v.object({
  items: v.array(
    v.object({
      type: v.string(),
      name: v.string(),
      address: v.optional(v.string()),
      value: v.optional(v.string()),
      ttl: v.optional(ttlNumber),
    }),
  ),
  total: v.number(),
});

/** Page size: Spaceship's largest. */
const TAKE = 500;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const apiKey = await context.secret("api_key");
  const apiSecret = await context.secret("api_secret");
  const key = headerAuth("X-API-Key", () => apiKey.reveal());
  const secret = headerAuth("X-API-Secret", () => apiSecret.reveal());
  const api = apiFor(id, config, context, {
    label: "Spaceship",
    secrets: [apiKey, apiSecret],
    authHelp: `check api_key and api_secret of providers.${id}: create an API key at https://www.spaceship.com/application/api-manager/ with the scopes dnsRecords:read and dnsRecords:write`,
    authorize: (request) => {
      key(request);
      secret(request);
    },
    errorText: (body) => (v.is(SpaceshipError, body) ? body.detail : undefined),
  });
  const sets = new RecordSets();
  const listing = new Map<string, Row[]>();
  /** Every record of a domain, or null when the domain does not use Spaceship DNS (404). */
  const retrieve = async (domain: string, signal: AbortSignal): Promise<Row[] | null> => {
    const what = `list the records of ${domain}`;
    const path = `dns/records/${encodeURIComponent(domain)}`;
    const first = { method: "GET" as const, path, query: { take: TAKE, skip: 0 }, what, accept: [404] };
    const found = await pagesIfPresent(
      api,
      first,
      Records,
      (page, { count }) => {
        const read = count + page.items.length;
        const more = read < page.total && page.items.length > 0;
        return { items: page.items, next: more ? { skip: read } : undefined };
      },
      signal,
    );
    if (found === null) return null;
    const zone = { name: domain, id: domain };
    const bySet = new Map<
      string,
      { name: string; type: string; values: string[]; ttl?: number | undefined }
    >();
    for (const record of found) {
      const name =
        record.name === "@" || record.name === "" ? domain : `${normalizeName(record.name)}.${domain}`;
      const set = bySet.get(`${name} ${record.type}`) ?? {
        name,
        type: record.type,
        values: [],
        ttl: record.ttl,
      };
      set.values.push(record.address ?? record.value ?? "");
      bySet.set(`${name} ${record.type}`, set);
    }
    return [...bySet.values()].flatMap((set) => sets.listed(zone, set.name, set.type, set));
  };
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const rows = await retrieve(name, signal);
        if (rows) listing.set(name, rows);
        return rows ? { name, id: name } : null;
      },
    },
    config.zone,
    "check that the domain is in this Spaceship account and uses Spaceship's name servers",
  );
  const write: WriteSet = async (place, values, known, signal) => {
    const path = `dns/records/${encodeURIComponent(place.zone.id)}`;
    const name = place.relative || "@";
    const ttl = config.ttl ?? known?.ttl ?? 3600;
    const what = `set ${place.name} ${place.type} to ${values.join(", ") || "nothing"}`;
    let reply = "";
    if (values.length > 0) {
      const items = values.map((address) => ({ type: place.type, name, address, ttl }));
      reply = (await api.call({ method: "PUT", path, json: { force: true, items }, what }, signal)).text;
    }
    const stale = (known?.values ?? []).filter((value) => !values.includes(value));
    if (stale.length > 0) {
      const json = stale.map((address) => ({ type: place.type, name, address }));
      await api.call(
        {
          method: "DELETE",
          path,
          json,
          what: `remove ${place.name} ${place.type} ${stale.join(", ")}`,
          accept: [404],
        },
        signal,
      );
    }
    return values.length === 0 ? true : { reply: `HTTP 204 "${api.shown(reply, 40)}"` };
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    ...sets.service(write),
    async list(zone: Zone, _names, signal) {
      const cached = listing.get(zone.name);
      listing.delete(zone.name);
      return cached ?? (await retrieve(zone.name, signal)) ?? [];
    },
    async verify(names, signal) {
      const first = names[0];
      if (!first) return "Spaceship: no record names to check the API key with";
      const { zone } = await zones.of(first, signal);
      return `Spaceship accepted the API key and lists the records of ${zone.name}`;
    },
  });
}
