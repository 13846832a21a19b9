/**
 * Azure DNS (ARM, api-version 2018-05-01): a bearer token from Microsoft Entra ID for an app
 * registration (client credentials, kit/oauth.ts), zones of the configured resource group, record
 * sets listed whole per zone (`nextLink` pages) and each A/AAAA set written whole with one PUT,
 * conditional on the etag homing listed (`If-Match`), or on the set not existing (`If-None-Match: *`).
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { normalizeName } from "../../core/records.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { clientCredentials } from "../kit/oauth.ts";
import { allPages } from "../kit/pages.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { RestProvider } from "../kit/rest.ts";
import { RecordSets, type WriteSet } from "../kit/rrsets.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { AzureSchema } from "./schema.ts";

type Config = v.InferOutput<typeof AzureSchema>;

const API_VERSION = { "api-version": "2018-05-01" };
const ArmError = v.object({ error: v.object({ code: v.string(), message: v.optional(v.string()) }) });
const RecordSet = v.object({
  name: v.string(),
  type: v.string(),
  etag: v.optional(v.string()),
  properties: v.object({
    TTL: v.optional(ttlNumber),
    fqdn: v.optional(v.string()),
    ARecords: v.optional(v.array(v.object({ ipv4Address: v.string() }))),
    AAAARecords: v.optional(v.array(v.object({ ipv6Address: v.string() }))),
  }),
});
const Paged = <S extends v.GenericSchema>(item: S) =>
  v.object({ value: v.array(item), nextLink: v.optional(v.nullable(v.string())) });
const ZonesPage = Paged(v.object({ name: v.string() }));
const RecordSetsPage = Paged(RecordSet);

/** The A or AAAA values of a record set; [] for other types. */
const valuesOf = (set: v.InferOutput<typeof RecordSet>) => [
  ...(set.properties.ARecords ?? []).map((r) => r.ipv4Address),
  ...(set.properties.AAAARecords ?? []).map((r) => r.ipv6Address),
];

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("client_secret");
  const endpoint = endpointUrl(config.endpoint, id);
  const authority = endpointUrl(config.authority, id, "authority");
  const common = {
    id,
    label: "Azure DNS",
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [secret],
    authHelp: `check tenant_id, client_id and client_secret of providers.${id}: in Microsoft Entra ID → App registrations, create a client secret for the app (Certificates & secrets), and give the app the role "DNS Zone Contributor" on the DNS zone (the zone → Access control (IAM))`,
  };
  const oauth = clientCredentials(
    { ...common, url: new URL(`${encodeURIComponent(config.tenant_id)}/oauth2/v2.0/token`, authority) },
    { id: config.client_id, secret, scope: `${endpoint.origin}/.default` },
  );
  const api = new Api({
    ...common,
    endpoint,
    authorize: oauth.authorize,
    refusal: oauth.refusal(),
    errorText: (body) =>
      v.is(ArmError, body) ? `${body.error.code}: ${body.error.message ?? ""}` : undefined,
  });
  const group = `subscriptions/${encodeURIComponent(config.subscription_id)}/resourceGroups/${encodeURIComponent(config.resource_group)}/providers/Microsoft.Network/dnsZones`;
  const next = (page: { nextLink?: string | null | undefined }) => page.nextLink ?? undefined;
  const allZones = (signal: AbortSignal) => {
    const what = `list the DNS zones of resource group ${config.resource_group}`;
    const first = { method: "GET" as const, path: group, query: API_VERSION, what };
    return allPages(
      api,
      first,
      ZonesPage,
      (page) => ({
        items: page.value.map((zone) => ({ name: normalizeName(zone.name), id: normalizeName(zone.name) })),
        next: next(page),
      }),
      signal,
    );
  };
  const zones = new Zones(
    api,
    config.zone === undefined ? { all: allZones } : {},
    config.zone,
    `create the DNS zone in resource group ${config.resource_group} of subscription ${config.subscription_id}, or fix providers.${id}.resource_group`,
  );
  const sets = new RecordSets();
  /** A 412: the set is not the one homing listed (its etag moved on). */
  const stale = (what: string) =>
    api.error(
      `Azure DNS refused to ${what}: the record set changed since homing listed it (HTTP 412); homing lists it again on the next run`,
      "transient",
    );
  const write: WriteSet = async (place, values, known, signal) => {
    const path = `${group}/${encodeURIComponent(place.zone.id)}/${place.type}/${encodeURIComponent(place.relative || "@")}`;
    // Conditional on the set homing listed: its etag, or (for a new set) that none exists yet.
    const ifMatch: Record<string, string> = known?.tag ? { "if-match": known.tag } : {};
    if (values.length === 0) {
      const what = `remove ${place.name} ${place.type}`;
      const reply = await api.call(
        { method: "DELETE", path, query: API_VERSION, headers: ifMatch, what, accept: [404, 412] },
        signal,
      );
      if (reply.status === 412) throw stale(what);
      return true;
    }
    const what = `set ${place.name} ${place.type} to ${values.join(", ")}`;
    const headers = known?.tag ? ifMatch : { "if-none-match": "*" };
    const records =
      place.type === "A"
        ? { ARecords: values.map((ipv4Address) => ({ ipv4Address })) }
        : { AAAARecords: values.map((ipv6Address) => ({ ipv6Address })) };
    const json = { properties: { TTL: config.ttl ?? known?.ttl ?? 300, ...records } };
    const reply = await api.json(
      { method: "PUT", path, query: API_VERSION, headers, json, what, accept: [412] },
      signal,
    );
    if (reply.status === 412) throw stale(what);
    const shown = v.safeParse(RecordSet, reply.body);
    if (!shown.success || !values.every((value) => valuesOf(shown.output).includes(value)))
      return { reply: `"${api.shown(JSON.stringify(reply.body ?? ""), 80)}"` };
    const { properties, etag } = shown.output;
    sets.listed(place.zone, place.name, place.type, {
      values: valuesOf(shown.output),
      ttl: properties.TTL,
      tag: etag,
    });
    return true;
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    ...sets.service(write),
    async list(zone, _names, signal) {
      const what = `list the record sets of ${zone.name}`;
      const first = {
        method: "GET" as const,
        path: `${group}/${encodeURIComponent(zone.id)}/recordsets`,
        query: API_VERSION,
        what,
      };
      const found = await allPages(
        api,
        first,
        RecordSetsPage,
        (page) => ({ items: page.value, next: next(page) }),
        signal,
      );
      return found.flatMap((set) => {
        const type = set.type.split("/").pop() ?? set.type;
        const name = set.name === "@" ? zone.name : `${set.name}.${zone.name}`;
        return sets.listed(zone, name, type, {
          values: valuesOf(set),
          ttl: set.properties.TTL,
          tag: set.etag,
        });
      });
    },
    async verify(_names, signal) {
      if (config.zone !== undefined) {
        // With `zone` set, the app may hold a role on that zone only: ask about the zone itself.
        const what = `read the DNS zone ${config.zone}`;
        const path = `${group}/${encodeURIComponent(normalizeName(config.zone))}`;
        const { body } = await api.json({ method: "GET", path, query: API_VERSION, what }, signal);
        return `Azure DNS accepted the app registration and shows the zone ${parseReply(api, v.object({ name: v.string() }), body, what).name}`;
      }
      const found = await allZones(signal);
      return `Azure DNS accepted the app registration; resource group ${config.resource_group} has ${found.length} DNS zone${found.length === 1 ? "" : "s"}`;
    },
  });
}
