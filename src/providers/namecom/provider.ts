/**
 * Name.com, API v4 (or the Core API v1 at the same relative paths): Basic username:token; the
 * account's domains and each domain's records are listed in pages (`page`, `perPage`, `nextPage`);
 * fields with empty values are left out of replies (the apex `host`, an empty `records`, the last
 * page's `nextPage`); records are changed in place with PUT by id, which answers with the record.
 */
import * as v from "valibot";
import { apiFor, basicAuth } from "../kit/http.ts";
import { absoluteName } from "../kit/names.ts";
import { allPages } from "../kit/paging.ts";
import { proofOf } from "../kit/proof.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { type Place, RestProvider, type Row } from "../kit/rest.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { NamecomSchema } from "./schema.ts";

type Config = v.InferOutput<typeof NamecomSchema>;

const ErrorBody = v.object({ message: v.string(), details: v.optional(v.string()) });
const Record = v.object({
  id: idString,
  host: v.optional(v.string(), ""),
  type: v.string(),
  answer: v.string(),
  ttl: v.optional(v.number()),
});
const Records = v.object({ records: v.optional(v.array(Record), []), nextPage: v.optional(v.number()) });
const Domains = v.object({
  domains: v.optional(v.array(v.object({ domainName: v.string() })), []),
  nextPage: v.optional(v.number()),
});

const HELP =
  "create an API token at https://www.name.com/account/settings/api (production, not test) for this username, and allow API access if the account uses two-factor authentication";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "Name.com",
    secrets: [token],
    authHelp: `check username and token: ${HELP}`,
    authorize: basicAuth(() => config.username, token),
    errorText: (body) =>
      v.is(ErrorBody, body) ? [body.message, body.details].filter(Boolean).join(": ") : undefined,
  });
  const domains = async (signal: AbortSignal) => {
    const what = "list the domains of the account";
    return allPages(api, what, 1, async (page: number) => {
      const query = { page, perPage: 1000 };
      const { body } = await api.json({ method: "GET", path: "domains", query, what }, signal);
      const reply = parseReply(api, Domains, body, what);
      return { items: reply.domains, next: reply.nextPage };
    });
  };
  const zones = new Zones(
    api,
    {
      all: async (signal) =>
        (await domains(signal)).map((d) => ({
          name: d.domainName.toLowerCase(),
          id: d.domainName.toLowerCase(),
        })),
    },
    config.zone,
    "the domain must be registered at Name.com and use its DNS (see https://www.name.com/account/domain)",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const path = (zone: string, record = "") => `domains/${zone}/records${record ? `/${record}` : ""}`;
  const write = async (place: Place, value: string, signal: AbortSignal, record?: string) => {
    const json = { host: place.relative, type: place.type, answer: value, ...ttl };
    const what = record
      ? `change ${place.name} ${place.type} to ${value}`
      : `add ${place.name} ${place.type} ${value}`;
    const method = record ? ("PUT" as const) : ("POST" as const);
    const { body } = await api.json({ method, path: path(place.zone.id, record), json, what }, signal);
    return proofOf(api, body, v.is(Record, body) ? body.answer : undefined, value);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const records = await allPages(api, what, 1, async (page: number) => {
        const query = { page, perPage: 1000 };
        const { body } = await api.json({ method: "GET", path: path(zone.id), query, what }, signal);
        const reply = parseReply(api, Records, body, what);
        return { items: reply.records, next: reply.nextPage };
      });
      return records.map(
        (r): Row => ({
          id: r.id,
          name: absoluteName(r.host, zone.name),
          type: r.type,
          value: r.answer,
          ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
        }),
      );
    },
    create: (place, value, signal) => write(place, value, signal),
    update: (place, row, value, signal) => write(place, value, signal, row.id),
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call({ method: "DELETE", path: path(zone.id, row.id), what, accept: [404] }, signal);
    },
    async verify(_names, signal) {
      const count = (await domains(signal)).length;
      return `Name.com accepted the token of ${config.username} (${count} domains in the account)`;
    },
  });
}
