/**
 * dynv6 REST API v2 (reference §12b): Bearer token, JSON. Zones come from one `GET /zones`; the
 * records of a zone from one `GET /zones/{id}/records` (no paging); records are created, changed in
 * place by id (`PATCH`) and deleted by id. Quirk: the address of the zone's apex is not a record but
 * a property of the zone (`ipv4address`, `ipv6prefix`), read from the zone list and set with
 * `PATCH /zones/{id}`; homing shows it as the apex's A/AAAA row and cannot delete it.
 */
import * as v from "valibot";
import { apiFor, bearer } from "../kit/http.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { Dynv6Schema } from "./schema.ts";

type Config = v.InferOutput<typeof Dynv6Schema>;

const ZoneRow = v.object({
  id: idString,
  name: v.string(),
  ipv4address: v.optional(v.nullable(v.string())),
  ipv6prefix: v.optional(v.nullable(v.string())),
});
const Record = v.object({ id: idString, name: v.string(), type: v.string(), data: v.string() });

const HELP = "create an HTTP token at https://dynv6.com/keys (it can be limited to the zone)";
const APEX = { A: "ipv4address", AAAA: "ipv6prefix" } as const;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "dynv6",
    secrets: [token],
    authHelp: `check token (${token.origin}): ${HELP}`,
    authorize: bearer(token),
    // dynv6's error body is not documented in the reference; its text field is read when present.
    errorText: (body) =>
      v.is(v.object({ error: v.string() }), body)
        ? body.error
        : v.is(v.object({ message: v.string() }), body)
          ? body.message
          : undefined,
  });
  const allZones = async (signal: AbortSignal) => {
    const what = "list the zones of the token";
    const { body } = await api.json({ method: "GET", path: "zones", what }, signal);
    return parseReply(api, v.array(ZoneRow), body, what);
  };
  const zones = new Zones(
    api,
    {
      all: async (signal) => (await allZones(signal)).map((z) => ({ name: z.name.toLowerCase(), id: z.id })),
    },
    config.zone,
    "add the zone at https://dynv6.com or use a token that may see it",
  );
  const apexRows = async (zone: Zone, signal: AbortSignal): Promise<Row[]> => {
    const found = (await allZones(signal)).find((z) => z.id === zone.id);
    return (["A", "AAAA"] as const).flatMap((type) => {
      const value = found?.[APEX[type]];
      return value ? [{ id: `apex:${zone.id}:${type}`, name: zone.name, type, value }] : [];
    });
  };
  const proof = (body: unknown, value: string): Proof =>
    v.is(Record, body) && body.data === value ? true : api.unproven(body);
  const setApex = async (place: Place, value: string, signal: AbortSignal): Promise<Proof> => {
    const key = APEX[place.type];
    const what = `set the ${place.type} address of the zone ${place.zone.name} to ${value}`;
    const { body } = await api.json(
      { method: "PATCH", path: `zones/${place.zone.id}`, json: { [key]: value }, what },
      signal,
    );
    return v.is(ZoneRow, body) && body[key] === value ? true : api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    ownership:
      "homing owns every A and AAAA record at each managed name with dynv6, and the zone's own address at its apex",
    async list(zone, names, signal) {
      const what = `list the records of ${zone.name}`;
      const { body } = await api.json({ method: "GET", path: `zones/${zone.id}/records`, what }, signal);
      const rows: Row[] = parseReply(api, v.array(Record), body, what).map((r) => ({
        id: r.id,
        name: r.name === "" || r.name === "@" ? zone.name : `${r.name}.${zone.name}`,
        type: r.type,
        value: r.data,
      }));
      return names.has(zone.name) ? [...rows, ...(await apexRows(zone, signal))] : rows;
    },
    async create(place, value, signal) {
      if (place.relative === "") return setApex(place, value, signal);
      const what = `add ${place.name} ${place.type} ${value}`;
      const json = { name: place.relative, type: place.type, data: value };
      const { body } = await api.json(
        { method: "POST", path: `zones/${place.zone.id}/records`, json, what },
        signal,
      );
      return proof(body, value);
    },
    async update(place, row, value, signal) {
      if (row.id.startsWith("apex:")) return setApex(place, value, signal);
      const what = `change ${place.name} ${place.type} to ${value}`;
      const path = `zones/${place.zone.id}/records/${row.id}`;
      const { body } = await api.json({ method: "PATCH", path, json: { data: value }, what }, signal);
      return proof(body, value);
    },
    async remove(zone, row, signal) {
      if (row.id.startsWith("apex:"))
        throw api.error(
          `dynv6 keeps the apex address of ${zone.name} as a zone setting: homing cannot delete ${row.value}; clear it at https://dynv6.com/zones`,
          "permanent",
        );
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call(
        { method: "DELETE", path: `zones/${zone.id}/records/${row.id}`, what, accept: [404] },
        signal,
      );
    },
    async verify(_names, signal) {
      const found = await allZones(signal);
      return `dynv6 accepted the token; it sees ${found.length} zone(s)${found.length ? `: ${found.map((z) => z.name).join(", ")}` : ""}`;
    },
  });
}
