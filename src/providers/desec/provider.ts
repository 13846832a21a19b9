/**
 * deSEC REST API (reference §6b): `Authorization: Token …`; every path ends with "/". Records are
 * sets by subname and type; a bulk `PATCH /domains/{d}/rrsets/` creates, replaces or (with no
 * records) deletes sets and answers with the sets as saved (`rrset`). Quirks: each domain has a
 * `minimum_ttl`, and a smaller TTL is refused, so homing raises its TTL to it; listings page by
 * cursor only past 500 sets, and a request without `cursor` is then refused ("Pagination
 * required"), so homing always sends `cursor=` and follows the `Link` header's rel="next".
 */
import * as v from "valibot";
import { getOrNull } from "../kit/found.ts";
import { apiFor } from "../kit/http.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { fullName, setEdits, setRows } from "../kit/rrset.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { DesecSchema } from "./schema.ts";

type Config = v.InferOutput<typeof DesecSchema>;

const RRset = v.object({
  subname: v.string(),
  type: v.string(),
  ttl: v.optional(ttlNumber),
  records: v.array(v.string()),
});
const Domain = v.object({ name: v.string(), minimum_ttl: v.optional(ttlNumber) });

const HELP =
  "create a token at https://desec.io/tokens; the fewest rights: a token policy that allows writing only the A and AAAA sets of the names homing updates";

/** The rel="next" URL of a Link header, if any. */
function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(", ") : (header ?? "");
  return /<([^>]+)>\s*;\s*rel="?next"?/.exec(text)?.[1];
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "deSEC",
    secrets: [token],
    authHelp: `check token: ${HELP}`,
    authorize: (request) => {
      request.headers.authorization = `Token ${token.reveal()}`;
    },
    errorText: (body) => (v.is(v.object({ detail: v.string() }), body) ? body.detail : undefined),
  });
  const rrsets = (zone: string) => `domains/${encodeURIComponent(zone)}/rrsets/`;
  const minimum = new Map<string, number>();
  const listed = new Set<string>();
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const path = `domains/${encodeURIComponent(name)}/`;
        const domain = await getOrNull(api, { path, what: `look up the domain ${name}` }, Domain, signal);
        if (!domain) return null;
        if (domain.minimum_ttl !== undefined) minimum.set(name, domain.minimum_ttl);
        return { name, id: name };
      },
    },
    config.zone,
    "check that the domain is in this deSEC account (https://desec.io/domains) and that the token's policies allow it",
  );
  const read = async (place: Place, signal: AbortSignal): Promise<string[]> => {
    const what = `read ${place.name} ${place.type}`;
    const path = `${rrsets(place.zone.name)}${encodeURIComponent(place.relative || "@")}/${place.type}/`;
    return (await getOrNull(api, { path, what }, RRset, signal))?.records ?? [];
  };
  const write = async (place: Place, values: readonly string[], signal: AbortSignal): Promise<Proof> => {
    const floor = minimum.get(place.zone.name) ?? 3600;
    const known = listed.has(`${place.name} ${place.type}`);
    const ttl = config.ttl !== undefined ? Math.max(config.ttl, floor) : known ? undefined : floor;
    if (config.ttl !== undefined && config.ttl < floor)
      context.logger.warn(
        `deSEC: ${place.zone.name} takes TTLs from ${floor}s (its minimum_ttl): homing writes ${floor}s`,
      );
    const json = [
      { subname: place.relative, type: place.type, records: values, ...(ttl !== undefined ? { ttl } : {}) },
    ];
    const what = `set ${place.name} ${place.type} to ${values.join(", ") || "nothing"}`;
    const { body } = await api.json({ method: "PATCH", path: rrsets(place.zone.name), json, what }, signal);
    const saved = v.is(v.array(RRset), body)
      ? body.find((set) => set.subname === place.relative && set.type === place.type)
      : undefined;
    if (values.length > 0) listed.add(`${place.name} ${place.type}`);
    if (saved && values.every((value) => saved.records.includes(value))) return true;
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const rows: Row[] = [];
      let request: { path: string; query?: Record<string, string> } | undefined = {
        path: rrsets(zone.name),
        query: { cursor: "" },
      };
      while (request) {
        const reply = await api.call({ method: "GET", ...request, what }, signal);
        for (const set of parseReply(api, v.array(RRset), json(reply.text), what)) {
          const name = fullName(set.subname, zone.name);
          listed.add(`${name} ${set.type}`);
          rows.push(...setRows(name, set.type, set.records, set.ttl));
        }
        const next = nextLink(reply.headers.link);
        request = next ? { path: next } : undefined;
      }
      return rows;
    },
    write,
    ...setEdits({ read, write }),
    async verify(_names, signal) {
      const what = "list the domains of the account";
      const { body } = await api.json(
        { method: "GET", path: "domains/", query: { cursor: "" }, what },
        signal,
      );
      const count = parseReply(api, v.array(Domain), body, what).length;
      return `deSEC accepted the token (${count} domains visible)`;
    },
  });
}
