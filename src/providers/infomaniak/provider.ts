/**
 * Infomaniak (REST API v2, DNS): a Bearer API token; a zone is checked with `GET 2/zones/{zone}/exists`;
 * records are listed whole per zone in `page`/`per_page` pages and edited in place by id. Replies are an
 * envelope `{result: "success" | "error", data | error: {code, description}}`; record names are relative
 * (`source`, "." at the apex) with the full name in `source_idn`.
 */
import * as v from "valibot";
import { normalizeName } from "../../core/records.ts";
import { apiFor, bearer } from "../kit/http.ts";
import { allPages } from "../kit/pages.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { InfomaniakSchema } from "./schema.ts";

type Config = v.InferOutput<typeof InfomaniakSchema>;

const InfomaniakError = v.object({
  result: v.literal("error"),
  error: v.object({ code: v.string(), description: v.optional(v.string()) }),
});
const Exists = v.object({ result: v.literal("success"), data: v.boolean() });
const DnsRecord = v.object({
  id: idString,
  source: v.string(),
  source_idn: v.optional(v.string()),
  type: v.string(),
  target: v.string(),
  ttl: v.optional(ttlNumber),
});
// The page envelope of Infomaniak's v2 API: `page` and `pages` beside `data`.
const RecordsPage = v.object({
  result: v.literal("success"),
  data: v.array(DnsRecord),
  page: v.optional(v.number()),
  pages: v.optional(v.number()),
});
const Written = v.object({ result: v.literal("success"), data: DnsRecord });

const PER_PAGE = 500;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "Infomaniak",
    secrets: [token],
    authHelp: `check providers.${id}.token: create an API token at https://manager.infomaniak.com/v3/ng/accounts/token/list with the scopes dns:read and dns:write`,
    authorize: bearer(token),
    errorText: (body) =>
      v.is(InfomaniakError, body) ? `${body.error.code}: ${body.error.description ?? ""}` : undefined,
  });
  const zonePath = (zone: string) => `2/zones/${encodeURIComponent(zone)}`;
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const what = `check whether ${name} is a zone of this account`;
        const reply = await api.json(
          { method: "GET", path: `${zonePath(name)}/exists`, what, accept: [404] },
          signal,
        );
        if (reply.status === 404) return null;
        return parseReply(api, Exists, reply.body, what).data ? { name, id: name } : null;
      },
    },
    config.zone,
    "check that the domain's DNS zone is hosted at Infomaniak in the account the token belongs to",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const written = (body: unknown, value: string): Proof => {
    const shown = v.safeParse(Written, body);
    return shown.success && shown.output.data.target === value ? true : api.unproven(body);
  };
  const send = async (
    method: "POST" | "PUT",
    path: string,
    place: Place,
    value: string,
    signal: AbortSignal,
  ) => {
    // The apex is "." (Infomaniak's docs; unverified, §17b): the listing's `source_idn` is what homing trusts.
    const json = { source: place.relative || ".", type: place.type, target: value, ...ttl };
    const what = `${method === "POST" ? "add" : "change"} ${place.name} ${place.type} ${method === "POST" ? "" : "to "}${value}`;
    const { body } = await api.json({ method, path, json, what }, signal);
    return written(body, value);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const first = {
        method: "GET" as const,
        path: `${zonePath(zone.id)}/records`,
        query: { page: 1, per_page: PER_PAGE },
        what,
      };
      const found = await allPages(
        api,
        first,
        RecordsPage,
        (page, { pages }) => {
          const more = page.pages === undefined ? page.data.length >= PER_PAGE : pages < page.pages;
          return { items: page.data, next: more ? { page: pages + 1 } : undefined };
        },
        signal,
      );
      return found.map((record): Row => {
        const relative = record.source === "." || record.source === "@" ? "" : record.source;
        const name = normalizeName(record.source_idn ?? (relative ? `${relative}.${zone.name}` : zone.name));
        return {
          id: record.id,
          name,
          type: record.type,
          value: record.target,
          ...(record.ttl === undefined ? {} : { ttl: record.ttl }),
        };
      });
    },
    create: (place, value, signal) =>
      send("POST", `${zonePath(place.zone.id)}/records`, place, value, signal),
    update: (place, row, value, signal) =>
      send("PUT", `${zonePath(place.zone.id)}/records/${encodeURIComponent(row.id)}`, place, value, signal),
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await api.call(
        {
          method: "DELETE",
          path: `${zonePath(zone.id)}/records/${encodeURIComponent(row.id)}`,
          what,
          accept: [404],
        },
        signal,
      );
    },
    async verify(names, signal) {
      const first = names[0];
      if (!first) return "Infomaniak: no record names to check the token with";
      const { zone } = await zones.of(first, signal);
      return `Infomaniak accepted the token and hosts the zone ${zone.name}`;
    },
  });
}
