/**
 * Hetzner Cloud DNS (reference §5b): `Authorization: Bearer` with a project token; zones by name
 * (`GET /zones/{name}`); record sets listed per zone with `page`/`per_page`; a set is replaced with
 * the `set_records` action, or created with `POST /zones/{zone}/rrsets` (`rrset`). Changes are
 * asynchronous actions: homing polls `GET /zones/actions/{id}` (DU's path; LEGO polls
 * `/actions/{id}`, which the emulator also serves) until `success` or `error`, within the call's
 * deadline; an action's error is a permanent failure of the change, its success does not show the
 * values, so the kit re-lists.
 */
import * as v from "valibot";
import { getOrNull } from "../kit/found.ts";
import { apiFor, bearer } from "../kit/http.ts";
import { untilSettled } from "../kit/poll.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { fullName, setEdits, setRows } from "../kit/rrset.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { HetznerCloudSchema } from "./schema.ts";

type Config = v.InferOutput<typeof HetznerCloudSchema>;

const Envelope = v.object({ error: v.object({ code: v.string(), message: v.string() }) });
const RRset = v.object({
  name: v.string(),
  type: v.string(),
  ttl: v.nullish(ttlNumber),
  records: v.array(v.object({ value: v.string() })),
});
const Page = v.object({
  rrsets: v.array(RRset),
  meta: v.optional(v.object({ pagination: v.object({ next_page: v.nullish(v.number()) }) })),
});
const ZoneReply = v.object({ zone: v.object({ id: idString }) });
const SetReply = v.object({ rrset: RRset });
const Action = v.object({
  action: v.object({
    id: idString,
    status: v.picklist(["running", "success", "error"]),
    error: v.nullish(v.object({ code: v.optional(v.string()), message: v.optional(v.string()) })),
  }),
});

const HELP =
  "create an API token with Read & Write permission in the Hetzner Cloud Console, in the project that holds the zone (Security → API tokens)";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const api = apiFor(id, config, context, {
    label: "Hetzner Cloud",
    secrets: [token],
    authHelp: `check token: ${HELP}`,
    authorize: bearer(token),
    errorText: (body) => (v.is(Envelope, body) ? `${body.error.code}: ${body.error.message}` : undefined),
  });
  const zonePath = (zone: string) => `zones/${encodeURIComponent(zone)}`;
  const setPath = (place: Place) =>
    `${zonePath(place.zone.id)}/rrsets/${encodeURIComponent(place.relative || "@")}/${place.type}`;
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const what = `look up the zone ${name}`;
        const found = await getOrNull(api, { path: zonePath(name), what }, ZoneReply, signal);
        return found && { name, id: found.zone.id };
      },
    },
    config.zone,
    "check that the zone is in the Hetzner Cloud project the token belongs to",
  );
  const settle = async (body: unknown, what: string, signal: AbortSignal): Promise<Proof> => {
    const action = await untilSettled(parseReply(api, Action, body, what).action, {
      settled: (state) => state.status !== "running",
      check: async (state) => {
        const polled = await api.json({ method: "GET", path: `zones/actions/${state.id}`, what }, signal);
        return parseReply(api, Action, polled.body, what).action;
      },
      sleep: context.sleep,
      signal,
    });
    if (action.status !== "error") return { reply: `action ${action.id} succeeded` };
    const why = api.shown(`${action.error?.code ?? "error"}: ${action.error?.message ?? "no reason given"}`);
    throw api.error(
      `Hetzner Cloud could not ${what}: its action ${action.id} ended in error (${why})`,
      "permanent",
    );
  };
  const read = async (place: Place, signal: AbortSignal): Promise<string[]> => {
    const what = `read ${place.name} ${place.type}`;
    const found = await getOrNull(api, { path: setPath(place), what }, SetReply, signal);
    return found?.rrset.records.map((r) => r.value) ?? [];
  };
  const listed = new Set<string>();
  const write = async (place: Place, values: readonly string[], signal: AbortSignal): Promise<Proof> => {
    const what = `set ${place.name} ${place.type} to ${values.join(", ") || "nothing"}`;
    const records = values.map((value) => ({ value }));
    const key = `${place.name} ${place.type}`;
    if (values.length === 0) {
      const reply = await api.json({ method: "DELETE", path: setPath(place), what, accept: [404] }, signal);
      listed.delete(key);
      return reply.status === 404 ? { reply: "HTTP 404" } : settle(reply.body, what, signal);
    }
    if (!listed.has(key)) {
      const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
      const json = { name: place.relative || "@", type: place.type, records, ...ttl };
      const path = `${zonePath(place.zone.id)}/rrsets`;
      const made = await api.json({ method: "POST", path, json, what, accept: [409] }, signal);
      listed.add(key);
      if (made.status !== 409) return settle(made.body, what, signal);
    }
    const path = `${setPath(place)}/actions/set_records`;
    const reply = await api.json({ method: "POST", path, json: { records }, what }, signal);
    return settle(reply.body, what, signal);
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    async list(zone, _names, signal) {
      const what = `list the records of ${zone.name}`;
      const rows: Row[] = [];
      for (let page: number | null | undefined = 1; page; ) {
        const query = { page, per_page: 100 };
        const path = `${zonePath(zone.id)}/rrsets`;
        const { body } = await api.json({ method: "GET", path, query, what }, signal);
        const reply = parseReply(api, Page, body, what);
        for (const set of reply.rrsets) {
          const name = fullName(set.name, zone.name);
          listed.add(`${name} ${set.type}`);
          const values = set.records.map((r) => r.value);
          rows.push(...setRows(name, set.type, values, set.ttl));
        }
        page = reply.meta?.pagination.next_page;
      }
      return rows;
    },
    write,
    ...setEdits({ read, write }),
    async verify(_names, signal) {
      const what = "list the zones of the project";
      const { body } = await api.json({ method: "GET", path: "zones", query: { per_page: 1 }, what }, signal);
      parseReply(api, v.object({ zones: v.array(v.unknown()) }), body, what);
      return "Hetzner Cloud accepted the token";
    },
  });
}
