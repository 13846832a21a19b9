/**
 * Bunny DNS (api.bunny.net): `AccessKey: <account API key>`; PascalCase JSON; the zone list is paged
 * (`page`, `perPage`, `HasMoreItems`); GET /dnszone/{id} holds every record, whose `Type` is an
 * integer (A = 0, AAAA = 1, …) and whose `Name` is relative ("" at the apex). PUT creates a record
 * (201 with it); POST to the record's id changes it in place (204, no body).
 */
import * as v from "valibot";
import { apiFor, headerAuth } from "../kit/http.ts";
import { absoluteName } from "../kit/names.ts";
import { allPages } from "../kit/paging.ts";
import { proofOf } from "../kit/proof.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { BunnySchema } from "./schema.ts";

type Config = v.InferOutput<typeof BunnySchema>;

/** Bunny's record type numbers (nrdcg/bunny-go; 6 = Flatten per Bunny's docs). */
const TYPES = [
  "A",
  "AAAA",
  "CNAME",
  "TXT",
  "MX",
  "REDIRECT",
  "FLATTEN",
  "PULLZONE",
  "SRV",
  "CAA",
  "PTR",
  "SCRIPT",
  "NS",
];
const typeNumber = (type: string) => TYPES.indexOf(type);

const ErrorBody = v.object({
  Message: v.string(),
  ErrorKey: v.optional(v.string()),
  Field: v.optional(v.string()),
});
const Record = v.object({
  Id: idString,
  Type: v.number(),
  Name: v.string(),
  Value: v.string(),
  Ttl: v.optional(v.number()),
});
const ZonePage = v.object({
  Items: v.array(v.object({ Id: idString, Domain: v.string() })),
  HasMoreItems: v.optional(v.boolean(), false),
});
const ZoneRecords = v.object({ Records: v.array(Record) });

const HELP = "copy the API key from https://dash.bunny.net/account/api-key (Account settings → API)";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const key = await context.secret("api_key");
  const api = apiFor(id, config, context, {
    label: "Bunny DNS",
    secrets: [key],
    authHelp: `check api_key: ${HELP}`,
    authorize: headerAuth("AccessKey", () => key.reveal()),
    errorText: (body) =>
      v.is(ErrorBody, body) ? [body.Field, body.Message].filter(Boolean).join(": ") : undefined,
  });
  const listZones = async (signal: AbortSignal): Promise<Zone[]> => {
    const what = "list the DNS zones";
    const items = await allPages(api, what, 1, async (page: number) => {
      const query = { page, perPage: 1000 };
      const { body } = await api.json({ method: "GET", path: "dnszone", query, what }, signal);
      const reply = parseReply(api, ZonePage, body, what);
      return {
        items: reply.Items,
        next: reply.HasMoreItems && reply.Items.length > 0 ? page + 1 : undefined,
      };
    });
    return items.map((z) => ({ name: z.Domain.toLowerCase(), id: z.Id }));
  };
  const zones = new Zones(api, { all: listZones }, config.zone, "add the zone at https://dash.bunny.net/dns");
  const ttl = config.ttl === undefined ? {} : { Ttl: config.ttl };
  const records = (zone: Zone, record = "") => `dnszone/${zone.id}/records${record ? `/${record}` : ""}`;
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const { body } = await api.json({ method: "GET", path: `dnszone/${zone.id}`, what }, signal);
      return parseReply(api, ZoneRecords, body, what).Records.map(
        (r): Row => ({
          id: r.Id,
          name: absoluteName(r.Name, zone.name),
          type: TYPES[r.Type] ?? `TYPE${r.Type}`,
          value: r.Value,
          ...(r.Ttl !== undefined ? { ttl: r.Ttl } : {}),
        }),
      );
    },
    async create(place, value, signal) {
      const json = { Type: typeNumber(place.type), Name: place.relative, Value: value, ...ttl };
      const what = `add ${place.name} ${place.type} ${value}`;
      const { body } = await api.json({ method: "PUT", path: records(place.zone), json, what }, signal);
      return proofOf(api, body, v.is(Record, body) ? body.Value : undefined, value);
    },
    async update(place, row, value, signal) {
      const rowTtl = row.ttl === undefined ? {} : { Ttl: row.ttl };
      const json = {
        Id: Number(row.id),
        Type: typeNumber(place.type),
        Name: place.relative,
        Value: value,
        ...rowTtl,
        ...ttl,
      };
      const what = `change ${place.name} ${place.type} to ${value}`;
      const { body } = await api.json(
        { method: "POST", path: records(place.zone, row.id), json, what },
        signal,
      );
      return proofOf(api, body, v.is(Record, body) ? body.Value : undefined, value);
    },
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call({ method: "DELETE", path: records(zone, row.id), what, accept: [404] }, signal);
    },
    async verify(_names, signal) {
      return `Bunny DNS accepted the API key (${(await listZones(signal)).length} DNS zones in the account)`;
    },
  });
}
