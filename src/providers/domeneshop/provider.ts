/**
 * Domeneshop API v0: Basic token:secret; GET /domains lists every domain (no pages), and a domain's
 * DNS records are one array (GET /domains/{id}/dns) with a relative `host` ("@" at the apex);
 * records are changed in place with PUT by id. Create answers 201 `{id}` and PUT 204 with no body:
 * neither shows the value, so every write is confirmed by a fresh listing.
 */
import * as v from "valibot";
import { normalizeName } from "../../core/records.ts";
import { apiFor, basicAuth } from "../kit/http.ts";
import { absoluteName } from "../kit/names.ts";
import { proofOf } from "../kit/proof.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { type Place, RestProvider, type Row } from "../kit/rest.ts";
import { inZone, type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { DomeneshopSchema } from "./schema.ts";

type Config = v.InferOutput<typeof DomeneshopSchema>;

const ErrorBody = v.object({ code: v.optional(v.string()), help: v.string() });
const Record = v.object({
  id: idString,
  host: v.string(),
  type: v.string(),
  data: v.string(),
  ttl: v.optional(v.number()),
});
const Domains = v.array(
  v.object({
    id: idString,
    domain: v.string(),
    services: v.optional(v.object({ dns: v.optional(v.boolean()) })),
  }),
);

const HELP = "create API credentials (a token and a secret) at https://domene.shop/admin?view=api";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const secret = await context.secret("secret");
  const api = apiFor(id, config, context, {
    label: "Domeneshop",
    secrets: [token, secret],
    authHelp: `check token and secret: ${HELP}`,
    authorize: basicAuth(() => token.reveal(), secret),
    errorText: (body) =>
      v.is(ErrorBody, body) ? [body.code, body.help].filter(Boolean).join(": ") : undefined,
  });
  const listDomains = async (signal: AbortSignal) => {
    const what = "list the domains of the account";
    const { body } = await api.json({ method: "GET", path: "domains", what }, signal);
    return parseReply(api, Domains, body, what);
  };
  const zones = new Zones(
    api,
    {
      all: async (signal) =>
        (await listDomains(signal))
          .filter((d) => d.services?.dns !== false)
          .map((d) => ({ name: d.domain.toLowerCase(), id: d.id })),
    },
    config.zone,
    "the domain must be in this Domeneshop account and use Domeneshop's DNS service",
  );
  /** `host` is relative ("@" at the apex); lego's fixture also shows a fully qualified one. */
  const fqdn = (host: string, zone: Zone) => {
    const name = normalizeName(host);
    return inZone(name, zone.name) ? name : absoluteName(name, zone.name);
  };
  const body = (place: Place, value: string, ttl: number | undefined) => ({
    host: place.relative || "@",
    type: place.type,
    data: value,
    ...((config.ttl ?? ttl) !== undefined ? { ttl: config.ttl ?? ttl } : {}),
  });
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const { body: reply } = await api.json({ method: "GET", path: `domains/${zone.id}/dns`, what }, signal);
      return parseReply(api, v.array(Record), reply, what).map(
        (r): Row => ({
          id: r.id,
          name: fqdn(r.host, zone),
          type: r.type,
          value: r.data,
          ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
        }),
      );
    },
    async create(place, value, signal) {
      const json = body(place, value, undefined);
      const what = `add ${place.name} ${place.type} ${value}`;
      const { body: reply } = await api.json(
        { method: "POST", path: `domains/${place.zone.id}/dns`, json, what },
        signal,
      );
      return proofOf(api, reply, undefined, value);
    },
    async update(place, row, value, signal) {
      const json = body(place, value, row.ttl);
      const what = `change ${place.name} ${place.type} to ${value}`;
      const path = `domains/${place.zone.id}/dns/${row.id}`;
      const { body: reply } = await api.json({ method: "PUT", path, json, what }, signal);
      return proofOf(api, reply, undefined, value);
    },
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call(
        { method: "DELETE", path: `domains/${zone.id}/dns/${row.id}`, what, accept: [404] },
        signal,
      );
    },
    async verify(_names, signal) {
      return `Domeneshop accepted the token and secret (${(await listDomains(signal)).length} domains in the account)`;
    },
  });
}
