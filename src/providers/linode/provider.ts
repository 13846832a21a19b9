/**
 * Linode (Akamai Cloud) Domains, API v4: Bearer token; the zone is found with an `X-Filter` header
 * on GET /domains; records carry a relative `name` ("" at the apex) and `target`, are listed in
 * pages (`page`, `pages`) and edited in place by id.
 */
import * as v from "valibot";
import { apiFor, bearer } from "../kit/http.ts";
import { absoluteName } from "../kit/names.ts";
import { allPages } from "../kit/paging.ts";
import { proofOf } from "../kit/proof.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { LinodeSchema } from "./schema.ts";

type Config = v.InferOutput<typeof LinodeSchema>;

const Errors = v.object({ errors: v.array(v.object({ field: v.optional(v.string()), reason: v.string() })) });
const Paged = <T extends v.GenericSchema>(item: T) =>
  v.object({ data: v.array(item), page: v.number(), pages: v.number(), results: v.optional(v.number()) });
const Domain = v.object({ id: idString, domain: v.string(), status: v.optional(v.string()) });
const Record = v.object({
  id: idString,
  type: v.string(),
  name: v.string(),
  target: v.string(),
  ttl_sec: v.optional(v.number()),
});

const HELP =
  "create a personal access token at https://cloud.linode.com/profile/tokens with only the scope Domains: Read/Write";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "Linode",
    secrets: [token],
    authHelp: `check token: ${HELP}`,
    authorize: bearer(token),
    errorText: (body) =>
      v.is(Errors, body)
        ? body.errors.map((e) => (e.field ? `${e.field}: ${e.reason}` : e.reason)).join("; ")
        : undefined,
  });
  const zones = new Zones(
    api,
    {
      async lookup(name, signal) {
        const what = `find the domain ${name}`;
        const headers = { "x-filter": JSON.stringify({ domain: name }) };
        const { body } = await api.json({ method: "GET", path: "domains", headers, what }, signal);
        const found = parseReply(api, Paged(Domain), body, what).data.find(
          (d) => d.domain.toLowerCase() === name,
        );
        if (found?.status === "disabled")
          throw api.error(
            `Linode has the domain ${name} disabled: enable it in https://cloud.linode.com/domains`,
            "permanent",
          );
        return found ? { name, id: found.id } : null;
      },
    },
    config.zone,
    "add the domain at https://cloud.linode.com/domains",
  );
  const ttl = config.ttl === undefined ? {} : { ttl_sec: config.ttl };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const records = await allPages(api, what, 1, async (page: number) => {
        const query = { page, page_size: 500 };
        const { body } = await api.json(
          { method: "GET", path: `domains/${zone.id}/records`, query, what },
          signal,
        );
        const reply = parseReply(api, Paged(Record), body, what);
        return { items: reply.data, next: reply.page < reply.pages ? reply.page + 1 : undefined };
      });
      return records.map(
        (r): Row => ({
          id: r.id,
          name: absoluteName(r.name, zone.name),
          type: r.type,
          value: r.target,
          ...(r.ttl_sec !== undefined ? { ttl: r.ttl_sec } : {}),
        }),
      );
    },
    async create(place, value, signal) {
      const json = { type: place.type, name: place.relative, target: value, ...ttl };
      const path = `domains/${place.zone.id}/records`;
      const { body } = await api.json(
        { method: "POST", path, json, what: `add ${place.name} ${place.type} ${value}` },
        signal,
      );
      return proofOf(api, body, v.is(Record, body) ? body.target : undefined, value);
    },
    async update(place, row, value, signal) {
      const json = { target: value, ...ttl };
      const path = `domains/${place.zone.id}/records/${row.id}`;
      const what = `change ${place.name} ${place.type} to ${value}`;
      const { body } = await api.json({ method: "PUT", path, json, what }, signal);
      return proofOf(api, body, v.is(Record, body) ? body.target : undefined, value);
    },
    async remove(zone, row, signal) {
      const path = `domains/${zone.id}/records/${row.id}`;
      await api.call(
        { method: "DELETE", path, what: `remove ${row.name} ${row.type} ${row.value}`, accept: [404] },
        signal,
      );
    },
    async verify(_names, signal) {
      const what = "list the domains the token can see";
      const { body } = await api.json(
        { method: "GET", path: "domains", query: { page: 1, page_size: 25 }, what },
        signal,
      );
      const reply = parseReply(api, Paged(Domain), body, what);
      return `Linode accepted the token (${reply.results ?? reply.data.length} domains visible)`;
    },
  });
}
