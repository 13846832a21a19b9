/**
 * Gandi LiveDNS (API v5, reference §4): records are sets addressed by name and type;
 * `PUT /domains/{fqdn}/records/{name}/{type}` replaces a set (`rrset`) and answers 201 with a
 * message that does not show the values, so the kit re-lists. Auth: a personal access token as
 * `Authorization: Bearer`; the deprecated API key as `Authorization: Apikey` (LEGO's form; DU's
 * `X-Api-Key` is the other one documented, the emulator takes both) when no token is set.
 */
import * as v from "valibot";
import type { Secret } from "../../core/secret.ts";
import { ConfigError } from "../../errors.ts";
import { getOrNull } from "../kit/found.ts";
import { apiFor } from "../kit/http.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, RestProvider } from "../kit/rest.ts";
import { fullName, setEdits, setRows } from "../kit/rrset.ts";
import { relativeName, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { GandiSchema } from "./schema.ts";

type Config = v.InferOutput<typeof GandiSchema>;

const Envelope = v.object({ message: v.optional(v.string()), cause: v.optional(v.string()) });
const RRset = v.object({
  rrset_name: v.string(),
  rrset_type: v.string(),
  rrset_ttl: v.optional(ttlNumber),
  rrset_values: v.array(v.string()),
});
const Domain = v.object({ fqdn: v.string() });

const HELP =
  'create a personal access token at https://account.gandi.net (Authentication options → Personal Access Token) with the permission "Manage domain name technical configurations" for the domain, and set it as token';

/** The token, or else the legacy API key; with neither, the error asks for a token. */
async function credentials(context: ProviderContext): Promise<{ secret: Secret; scheme: string }> {
  try {
    return { secret: await context.secret("token"), scheme: "Bearer" };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const legacy = await context.secret("api_key").catch(() => undefined);
    if (!legacy) throw error;
    return { secret: legacy, scheme: "Apikey" };
  }
}

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const { secret, scheme } = await credentials(context);
  const api = apiFor(id, config, context, {
    label: "Gandi",
    secrets: [secret],
    authHelp: `check ${scheme === "Bearer" ? "token" : "api_key (deprecated: better replace it with a token)"}: ${HELP}`,
    authorize: (request) => {
      request.headers.authorization = `${scheme} ${secret.reveal()}`;
    },
    errorText: (body) =>
      v.is(Envelope, body) && body.message
        ? [body.cause, body.message].filter(Boolean).join(": ")
        : undefined,
  });
  const domain = (zone: string) => `domains/${encodeURIComponent(zone)}`;
  const setPath = (place: Place) =>
    `${domain(place.zone.name)}/records/${encodeURIComponent(place.relative || "@")}/${place.type}`;
  const ttls = new Map<string, number>();
  const zones = new Zones(
    api,
    {
      // One list of the LiveDNS domains serves every name; a configured zone is looked up alone.
      all: async (signal) => {
        const what = "list the LiveDNS domains";
        const { body } = await api.json({ method: "GET", path: "domains", what }, signal);
        return parseReply(api, v.array(Domain), body, what).map((d) => ({
          name: d.fqdn.toLowerCase(),
          id: d.fqdn.toLowerCase(),
        }));
      },
      lookup: async (name, signal) => {
        const found = await getOrNull(api, { path: domain(name), what: `look up ${name}` }, Domain, signal);
        return found && { name, id: name };
      },
    },
    config.zone,
    "check that the domain uses Gandi LiveDNS and that the token may manage it",
  );
  const read = async (place: Place, signal: AbortSignal): Promise<string[]> => {
    const what = `read ${place.name} ${place.type}`;
    return (await getOrNull(api, { path: setPath(place), what }, RRset, signal))?.rrset_values ?? [];
  };
  const write = async (place: Place, values: readonly string[], signal: AbortSignal) => {
    const path = setPath(place);
    if (values.length === 0) {
      const what = `remove ${place.name} ${place.type}`;
      const reply = await api.call({ method: "DELETE", path, what, accept: [404] }, signal);
      return { reply: `HTTP ${reply.status}` };
    }
    const ttl = config.ttl ?? ttls.get(`${place.name} ${place.type}`);
    const json = { rrset_values: values, ...(ttl !== undefined ? { rrset_ttl: ttl } : {}) };
    const what = `set ${place.name} ${place.type} to ${values.join(", ")}`;
    const reply = await api.call({ method: "PUT", path, json, what }, signal);
    return { reply: `HTTP ${reply.status} "${api.shown(reply.text, 60)}"` };
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    async list(zone, names, signal) {
      // One name (a check after a write): its own RRsets, not the whole zone.
      const [only] = names.size === 1 ? [...names] : [];
      const relative = only === undefined ? undefined : relativeName(only, zone.name) || "@";
      const path = `${domain(zone.name)}/records${relative === undefined ? "" : `/${encodeURIComponent(relative)}`}`;
      const what = `list the records of ${only ?? zone.name}`;
      const { body } = await api.json({ method: "GET", path, what }, signal);
      return parseReply(api, v.array(RRset), body, what).flatMap((set) => {
        const name = fullName(set.rrset_name, zone.name);
        if (set.rrset_ttl !== undefined) ttls.set(`${name} ${set.rrset_type}`, set.rrset_ttl);
        return setRows(name, set.rrset_type, set.rrset_values, set.rrset_ttl);
      });
    },
    write,
    ...setEdits({ read, write }),
    async verify(_names, signal) {
      const what = "list the LiveDNS domains";
      const { body } = await api.json({ method: "GET", path: "domains", what }, signal);
      const count = parseReply(api, v.array(Domain), body, what).length;
      return `Gandi accepted the ${scheme === "Bearer" ? "token" : "API key"} (${count} LiveDNS domains visible)`;
    },
  });
}
