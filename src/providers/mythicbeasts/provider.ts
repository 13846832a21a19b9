/**
 * Mythic Beasts DNS API v2: an API key (id + secret) exchanged for a bearer token (OAuth2 client
 * credentials with HTTP Basic, kit/oauth.ts); zones are the domains the key may see; each zone listed
 * whole in one call; the A/AAAA records at a host written whole with one PUT (it replaces every record
 * of that host and type). Replies give counts (`records_added`), never the values, so every write is
 * checked with a fresh list.
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { normalizeName } from "../../core/records.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { clientCredentials, tokenUrl } from "../kit/oauth.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { RestProvider } from "../kit/rest.ts";
import { RecordSets, type WriteSet } from "../kit/rrsets.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { MythicBeastsSchema } from "./schema.ts";

type Config = v.InferOutput<typeof MythicBeastsSchema>;

const MythicError = v.object({ error: v.string() });
const ZoneList = v.object({ zones: v.array(v.string()) });
const Records = v.object({
  records: v.array(
    v.object({ host: v.string(), type: v.string(), data: v.string(), ttl: v.optional(ttlNumber) }),
  ),
});

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("secret");
  const common = {
    id,
    label: "Mythic Beasts",
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [secret],
    authHelp: `check key_id and secret of providers.${id}: create an API key at https://www.mythic-beasts.com/customer/api-users with DNS API access (read and write) to the zone, or only to the records homing manages`,
  };
  const tokenAt = tokenUrl(config.token_endpoint, id, "token_endpoint");
  const oauth = clientCredentials({ ...common, url: tokenAt }, { id: config.key_id, secret, basic: true });
  const api = new Api({
    ...common,
    endpoint: endpointUrl(config.endpoint, id),
    authorize: oauth.authorize,
    refusal: oauth.refusal(),
    errorText: (body) => (v.is(MythicError, body) ? body.error : undefined),
  });
  const allZones = async (signal: AbortSignal) => {
    const what = "list the zones this API key can see";
    const { body } = await api.json({ method: "GET", path: "zones", what }, signal);
    return parseReply(api, ZoneList, body, what).zones.map((zone) => ({
      name: normalizeName(zone),
      id: normalizeName(zone),
    }));
  };
  const zones = new Zones(
    api,
    config.zone === undefined ? { all: allZones } : {},
    config.zone,
    "check that the domain uses Mythic Beasts DNS and that the API key is allowed to see it",
  );
  const sets = new RecordSets();
  const write: WriteSet = async (place, values, known, signal) => {
    const host = place.relative || "@";
    const path = `zones/${encodeURIComponent(place.zone.id)}/records/${encodeURIComponent(host)}/${place.type}`;
    if (values.length === 0) {
      await api.call(
        { method: "DELETE", path, what: `remove ${place.name} ${place.type}`, accept: [404] },
        signal,
      );
      return true;
    }
    const ttl = config.ttl ?? known?.ttl ?? 300;
    const records = values.map((data) => ({ host, ttl, type: place.type, data }));
    const what = `set ${place.name} ${place.type} to ${values.join(", ")}`;
    const { body } = await api.json({ method: "PUT", path, json: { records }, what }, signal);
    // The reply counts records ("1 records added"); it never shows a value.
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    ...sets.service(write),
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const { body } = await api.json(
        { method: "GET", path: `zones/${encodeURIComponent(zone.id)}/records`, what },
        signal,
      );
      const bySet = new Map<
        string,
        { name: string; type: string; values: string[]; ttl?: number | undefined }
      >();
      for (const record of parseReply(api, Records, body, what).records) {
        const name =
          record.host === "@" || record.host === ""
            ? zone.name
            : `${normalizeName(record.host)}.${zone.name}`;
        const set = bySet.get(`${name} ${record.type}`) ?? {
          name,
          type: record.type,
          values: [],
          ttl: record.ttl,
        };
        set.values.push(record.data);
        bySet.set(`${name} ${record.type}`, set);
      }
      return [...bySet.values()].flatMap((set) => sets.listed(zone, set.name, set.type, set));
    },
    async verify(_names, signal) {
      if (config.zone !== undefined) {
        // A key limited to some records may not list zones: read the configured zone instead.
        const zone = normalizeName(config.zone);
        const rows = await this.list({ name: zone, id: zone }, new Set(), signal);
        return `Mythic Beasts accepted the API key and lists ${rows.length} record${rows.length === 1 ? "" : "s"} of ${zone}`;
      }
      const found = await allZones(signal);
      return `Mythic Beasts accepted the API key; it can see ${found.length} zone${found.length === 1 ? "" : "s"}`;
    },
  });
}
