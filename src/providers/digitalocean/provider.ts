/**
 * DigitalOcean Domains API v2 (reference §7): `Authorization: Bearer`; zones by
 * `GET /domains/{name}`; records with relative names ("@" at the apex) and integer ids, edited in
 * place by id (`PUT /domains/{d}/records/{id}`). The record list's `name` filter wants the fully
 * qualified name (a relative one silently matches nothing); homing does not filter at all: it
 * lists each zone whole, `per_page=200`, following `links.pages.next`.
 */
import * as v from "valibot";
import { getOrNull } from "../kit/found.ts";
import { apiFor, bearer } from "../kit/http.ts";
import { allPages } from "../kit/pages.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { fullName } from "../kit/rrset.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { DigitaloceanSchema } from "./schema.ts";

type Config = v.InferOutput<typeof DigitaloceanSchema>;

const Envelope = v.object({ id: v.string(), message: v.string() });
const Record = v.object({
  id: idString,
  type: v.string(),
  name: v.string(),
  data: v.string(),
  ttl: v.nullish(ttlNumber),
});
const Page = v.object({
  domain_records: v.array(Record),
  links: v.nullish(v.object({ pages: v.nullish(v.object({ next: v.nullish(v.string()) })) })),
});
const Domains = v.object({
  domains: v.array(v.object({ name: v.string() })),
  links: v.nullish(v.object({ pages: v.nullish(v.object({ next: v.nullish(v.string()) })) })),
});
const Domain = v.object({ domain: v.object({ name: v.string() }) });
const Saved = v.object({ domain_record: v.object({ data: v.string() }) });

const HELP =
  "create a personal access token at https://cloud.digitalocean.com/account/api/tokens with the custom scopes domain:read and domain:update (domain:create to add records)";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "DigitalOcean",
    secrets: [token],
    authHelp: `check token: ${HELP}`,
    authorize: bearer(token),
    errorText: (body) => (v.is(Envelope, body) ? `${body.id}: ${body.message}` : undefined),
  });
  const records = (zone: string) => `domains/${encodeURIComponent(zone)}/records`;
  const zones = new Zones(
    api,
    {
      // One paged list of the account's domains serves every name (a lookup per candidate would
      // cost a call per name); a configured zone is looked up alone.
      all: (signal) =>
        allPages(
          api,
          { method: "GET", path: "domains", query: { page: 1, per_page: 200 }, what: "list the domains" },
          Domains,
          (page) => ({
            items: page.domains.map((domain) => ({
              name: domain.name.toLowerCase(),
              id: domain.name.toLowerCase(),
            })),
            next: page.domains.length > 0 ? (page.links?.pages?.next ?? undefined) : undefined,
          }),
          signal,
        ),
      lookup: async (name, signal) => {
        const path = `domains/${encodeURIComponent(name)}`;
        const found = await getOrNull(api, { path, what: `look up the domain ${name}` }, Domain, signal);
        return found && { name, id: name };
      },
    },
    config.zone,
    "check that the domain is in this DigitalOcean account (Networking → Domains)",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const save = async (place: Place, value: string, signal: AbortSignal, row?: Row): Promise<Proof> => {
    const json = { type: place.type, name: place.relative || "@", data: value, ...ttl };
    const what = row
      ? `change ${place.name} ${place.type} to ${value}`
      : `add ${place.name} ${place.type} ${value}`;
    const request = row
      ? {
          method: "PUT" as const,
          path: `${records(place.zone.name)}/${encodeURIComponent(row.id)}`,
          json,
          what,
        }
      : { method: "POST" as const, path: records(place.zone.name), json, what };
    const { body } = await api.json(request, signal);
    if (v.is(Saved, body) && body.domain_record.data === value) return true;
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list: (zone, _names, signal) =>
      allPages(
        api,
        {
          method: "GET",
          path: records(zone.name),
          query: { page: 1, per_page: 200 },
          what: `list the records of ${zone.name}`,
        },
        Page,
        (page) => ({
          items: page.domain_records.map(
            (r): Row => ({
              id: r.id,
              name: fullName(r.name, zone.name),
              type: r.type,
              value: r.data,
              ...(r.ttl ? { ttl: r.ttl } : {}),
            }),
          ),
          next: page.domain_records.length > 0 ? (page.links?.pages?.next ?? undefined) : undefined,
        }),
        signal,
      ),
    create: (place, value, signal) => save(place, value, signal),
    update: (place, row, value, signal) => save(place, value, signal, row),
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      const path = `${records(zone.name)}/${encodeURIComponent(row.id)}`;
      await api.call({ method: "DELETE", path, what, accept: [404] }, signal);
    },
    async verify(_names, signal) {
      const what = "list the domains of the account";
      const { body } = await api.json(
        { method: "GET", path: "domains", query: { per_page: 1 }, what },
        signal,
      );
      parseReply(api, v.object({ domains: v.array(v.unknown()) }), body, what);
      return "DigitalOcean accepted the token";
    },
  });
}
