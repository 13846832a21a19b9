/**
 * GoDaddy (Domains API v1, reference §3): `Authorization: sso-key key:secret`; the records of one
 * type at one name are a set that `PUT /v1/domains/{domain}/records/{type}/{name}` replaces
 * (`rrset`). The PUT answers 200 with an empty body, which proves nothing, so the kit re-lists.
 * Since 2024 GoDaddy answers 403 ACCESS_DENIED to accounts with fewer than 10 domains and no
 * Discount Domain Club plan, whatever the key: that gets its own message.
 */
import * as v from "valibot";
import { getOrNull } from "../kit/found.ts";
import { apiFor } from "../kit/http.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, RestProvider, type Row } from "../kit/rest.ts";
import { fullName, setEdits, setRows } from "../kit/rrset.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { GodaddySchema } from "./schema.ts";

type Config = v.InferOutput<typeof GodaddySchema>;

const Envelope = v.object({ code: v.optional(v.string()), message: v.optional(v.string()) });
const Records = v.array(
  v.object({ name: v.string(), type: v.string(), data: v.string(), ttl: v.optional(ttlNumber) }),
);
const Domain = v.object({ domain: v.string() });

/** Rows per page of the zone listing (GoDaddy's `limit`). */
const PAGE = 500;

const HELP =
  "create a Production API key at https://developer.godaddy.com/keys (OTE test keys only work against https://api.ote-godaddy.com)";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const apiKey = await context.secret("api_key");
  const apiSecret = await context.secret("api_secret");
  const api = apiFor(id, config, context, {
    label: "GoDaddy",
    secrets: [apiKey, apiSecret],
    authHelp: `check api_key and api_secret: ${HELP}`,
    authorize: (request) => {
      request.headers.authorization = `sso-key ${apiKey.reveal()}:${apiSecret.reveal()}`;
    },
    errorText: (body) =>
      v.is(Envelope, body) && body.message ? `${body.code ?? "error"}: ${body.message}` : undefined,
    refusal: (reply, body) => {
      if (reply.status !== 403 || !v.is(Envelope, body) || body.code !== "ACCESS_DENIED") return undefined;
      throw api.error(
        `GoDaddy denied this account access to its DNS API (HTTP 403 ACCESS_DENIED): GoDaddy opens the API only to accounts with 10 or more domains or a Discount Domain Club plan, and a new key does not change that; move the domain's DNS to another service homing supports, or use GoDaddy's own dynamic DNS tools`,
        "auth",
      );
    },
  });
  const base = (domain: string) => `v1/domains/${encodeURIComponent(domain)}/records`;
  const label = (place: Place) => encodeURIComponent(place.relative || "@");
  const ttls = new Map<string, number>();
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const what = `look up the domain ${name}`;
        const { status, body } = await api.json(
          { method: "GET", path: `v1/domains/${encodeURIComponent(name)}`, what, accept: [404, 422] },
          signal,
        );
        if (status !== 200) return null;
        parseReply(api, Domain, body, what);
        return { name, id: name };
      },
    },
    config.zone,
    "check that the domain is in this GoDaddy account (https://dcc.godaddy.com/control/portfolio)",
  );
  const list = async (zone: string, signal: AbortSignal): Promise<Row[]> => {
    const what = `list the records of ${zone}`;
    const rows: Row[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const query = { offset, limit: PAGE };
      const { body } = await api.json({ method: "GET", path: base(zone), query, what }, signal);
      const page = parseReply(api, Records, body ?? [], what);
      for (const r of page) {
        const name = fullName(r.name, zone);
        if (r.ttl !== undefined) ttls.set(`${name} ${r.type}`, r.ttl);
        rows.push(...setRows(name, r.type, [r.data], r.ttl));
      }
      if (page.length < PAGE) return rows;
    }
  };
  const write = async (place: Place, values: readonly string[], signal: AbortSignal) => {
    const path = `${base(place.zone.name)}/${place.type}/${label(place)}`;
    if (values.length === 0) {
      await api.call(
        { method: "DELETE", path, what: `remove ${place.name} ${place.type}`, accept: [404] },
        signal,
      );
      return { reply: "HTTP 204" };
    }
    const ttl = config.ttl ?? ttls.get(`${place.name} ${place.type}`);
    const json = values.map((data) => ({ data, ...(ttl !== undefined ? { ttl } : {}) }));
    const what = `set ${place.name} ${place.type} to ${values.join(", ")}`;
    const reply = await api.call({ method: "PUT", path, json, what }, signal);
    return { reply: `HTTP ${reply.status} "${api.shown(reply.text, 60)}"` };
  };
  const read = async (place: Place, signal: AbortSignal): Promise<string[]> => {
    const what = `read ${place.name} ${place.type}`;
    const path = `${base(place.zone.name)}/${place.type}/${label(place)}`;
    return ((await getOrNull(api, { path, what }, Records, signal)) ?? []).map((r) => r.data);
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    list: (zone, _names, signal) => list(zone.name, signal),
    write,
    ...setEdits({ read, write }),
    async verify(_names, signal) {
      const what = "list the domains of the account";
      const { body } = await api.json(
        { method: "GET", path: "v1/domains", query: { limit: 1 }, what },
        signal,
      );
      parseReply(api, v.array(Domain), body, what);
      return "GoDaddy accepted the API key and secret and allows this account its DNS API";
    },
  });
}
