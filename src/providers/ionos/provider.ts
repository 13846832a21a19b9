/**
 * IONOS Hosting DNS API v1: `X-API-Key: <prefix>.<secret>`; GET /zones lists every zone (one call,
 * no pages); GET /zones/{id} holds every record with its fully qualified `name`; records are
 * created with an array body and changed in place with PUT by id; errors are an array of
 * `{code, message}`. A record can be switched off (`disabled`): homing switches it on when it
 * writes it.
 */
import * as v from "valibot";
import { apiFor, headerAuth } from "../kit/http.ts";
import { proofOf } from "../kit/proof.ts";
import { parseReply } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { IonosSchema } from "./schema.ts";

type Config = v.InferOutput<typeof IonosSchema>;

const Errors = v.array(v.object({ code: v.optional(v.string()), message: v.optional(v.string()) }));
const Record = v.object({
  id: v.string(),
  name: v.string(),
  type: v.string(),
  content: v.string(),
  ttl: v.optional(v.number()),
  disabled: v.optional(v.boolean()),
});
const ZoneList = v.array(v.object({ id: v.string(), name: v.string() }));
const ZoneRecords = v.object({ records: v.optional(v.array(Record), []) });

const HELP =
  "create an API key at https://developer.hosting.ionos.com/keys and give api_key as <public prefix>.<secret>, joined by a dot";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const key = await context.secret("api_key");
  const api = apiFor(id, config, context, {
    label: "IONOS",
    secrets: [key],
    authHelp: `check api_key: ${HELP}`,
    authorize: headerAuth("X-API-Key", () => key.reveal()),
    errorText: (body) =>
      v.is(Errors, body)
        ? body.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ")
        : undefined,
  });
  const listZones = async (signal: AbortSignal) => {
    const what = "list the zones of the account";
    const { body } = await api.json({ method: "GET", path: "zones", what }, signal);
    return parseReply(api, ZoneList, body, what);
  };
  const zones = new Zones(
    api,
    {
      all: async (signal) => (await listZones(signal)).map((z) => ({ name: z.name.toLowerCase(), id: z.id })),
    },
    config.zone,
    "add the domain's DNS zone in the IONOS control panel",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const { body } = await api.json({ method: "GET", path: `zones/${zone.id}`, what }, signal);
      return parseReply(api, ZoneRecords, body, what).records.map(
        (r): Row => ({
          id: r.id,
          name: r.name,
          type: r.type,
          value: r.content,
          ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
        }),
      );
    },
    async create(place, value, signal) {
      const json = [{ name: place.name, type: place.type, content: value, prio: 0, disabled: false, ...ttl }];
      const what = `add ${place.name} ${place.type} ${value}`;
      const { body } = await api.json(
        { method: "POST", path: `zones/${place.zone.id}/records`, json, what },
        signal,
      );
      const shown = v.is(v.array(Record), body)
        ? body.find((r) => r.type === place.type)?.content
        : undefined;
      return proofOf(api, body, shown, value);
    },
    async update(place, row, value, signal) {
      const json = {
        content: value,
        prio: 0,
        disabled: false,
        ...(row.ttl !== undefined ? { ttl: row.ttl } : {}),
        ...ttl,
      };
      const what = `change ${place.name} ${place.type} to ${value}`;
      const path = `zones/${place.zone.id}/records/${row.id}`;
      const { body } = await api.json({ method: "PUT", path, json, what }, signal);
      return proofOf(api, body, v.is(Record, body) ? body.content : undefined, value);
    },
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call(
        { method: "DELETE", path: `zones/${zone.id}/records/${row.id}`, what, accept: [404] },
        signal,
      );
    },
    async verify(_names, signal) {
      return `IONOS accepted the API key (${(await listZones(signal)).length} zones in the account)`;
    },
  });
}
