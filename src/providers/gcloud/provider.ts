/**
 * Google Cloud DNS (API v1): a bearer token from the service account's key (an RS256 JWT exchanged
 * at the key's token endpoint, kit/oauth.ts), public managed zones found by listing the project's
 * zones, and each A/AAAA set written whole: PATCH when it exists, POST when it does not, DELETE when
 * it becomes empty. Record set names are absolute, with a trailing dot.
 */
import { createPrivateKey } from "node:crypto";
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { normalizeName } from "../../core/records.ts";
import { Secret } from "../../core/secret.ts";
import { ConfigError } from "../../errors.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { jwtBearer, tokenUrl } from "../kit/oauth.ts";
import { allPages } from "../kit/pages.ts";
import { ttlNumber } from "../kit/reply.ts";
import { RestProvider } from "../kit/rest.ts";
import { RecordSets, type WriteSet } from "../kit/rrsets.ts";
import { googleServiceAccountAssertion } from "../kit/signing.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { GcloudSchema } from "./schema.ts";

type Config = v.InferOutput<typeof GcloudSchema>;

const KeyFile = v.object({
  type: v.optional(v.literal("service_account")),
  client_email: v.pipe(v.string(), v.minLength(1)),
  private_key: v.pipe(v.string(), v.minLength(1)),
  token_uri: v.optional(v.string()),
});
const GoogleError = v.object({ error: v.object({ message: v.string() }) });
const ZonesPage = v.object({
  managedZones: v.optional(
    v.array(v.object({ name: v.string(), dnsName: v.string(), visibility: v.optional(v.string()) })),
    [],
  ),
  nextPageToken: v.optional(v.string()),
});
const RRset = v.object({
  name: v.string(),
  type: v.string(),
  ttl: v.optional(ttlNumber),
  rrdatas: v.optional(v.array(v.string()), []),
});
const RRsetsPage = v.object({
  rrsets: v.optional(v.array(RRset), []),
  nextPageToken: v.optional(v.string()),
});

const next = (page: { nextPageToken?: string | undefined }) =>
  page.nextPageToken ? { pageToken: page.nextPageToken } : undefined;

const SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite";
const TOKEN_URI = "https://oauth2.googleapis.com/token";
const HELP =
  "create a service account (Google Cloud console → IAM & Admin → Service Accounts), grant it the role DNS Administrator (roles/dns.admin) on the project, add a JSON key and point service_account_file at that file";

/** The service account's JSON key file, or a ConfigError that says what the file should be. */
function readKey(text: string, where: string): v.InferOutput<typeof KeyFile> {
  try {
    const key = v.parse(KeyFile, JSON.parse(text));
    createPrivateKey(key.private_key);
    return key;
  } catch {
    throw new ConfigError([
      `${where} is not a service account's JSON key with client_email and an RSA private key: ${HELP}`,
    ]);
  }
}

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const account = await context.secret("service_account");
  const key = readKey(account.reveal(), `providers.${id}.service_account (${account.origin})`);
  const tokenAt = tokenUrl(config.token_endpoint ?? key.token_uri ?? TOKEN_URI, id, "token_endpoint");
  const common = {
    id,
    label: "Google Cloud DNS",
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [account, new Secret(key.private_key, account.origin)],
    authHelp: `check providers.${id}.service_account_file: ${HELP}`,
  };
  const oauth = jwtBearer({ ...common, url: tokenAt }, () =>
    googleServiceAccountAssertion({
      clientEmail: key.client_email,
      privateKeyPem: key.private_key,
      scope: SCOPE,
      audience: tokenAt.href,
      now: new Date(),
    }),
  );
  const api = new Api({
    ...common,
    endpoint: endpointUrl(config.endpoint, id),
    authorize: oauth.authorize,
    refusal: oauth.refusal(),
    errorText: (body) => (v.is(GoogleError, body) ? body.error.message : undefined),
  });
  const project = `projects/${encodeURIComponent(config.project)}/managedZones`;
  const what = `list the managed zones of project ${config.project}`;
  const allZones = (signal: AbortSignal) =>
    allPages(
      api,
      { method: "GET", path: project, what },
      ZonesPage,
      (page) => ({ items: page.managedZones, next: next(page) }),
      signal,
    )
      // A private zone can share its DNS name with the public one: only public zones are the internet's.
      .then((found) =>
        found
          .filter((z) => z.visibility !== "private")
          .map((z) => ({ name: normalizeName(z.dnsName), id: z.name })),
      );
  const zones = new Zones(
    api,
    { all: allZones },
    config.zone,
    `create a public managed zone for it in project ${config.project}, or fix providers.${id}.project`,
  );
  const sets = new RecordSets();
  const write: WriteSet = async (place, values, known, signal) => {
    const path = `${project}/${encodeURIComponent(place.zone.id)}/rrsets`;
    const item = `${path}/${encodeURIComponent(`${place.name}.`)}/${place.type}`;
    if (values.length === 0) {
      const what = `remove ${place.name} ${place.type}`;
      await api.call({ method: "DELETE", path: item, what, accept: [404] }, signal);
      return true;
    }
    const ttl = config.ttl ?? known?.ttl ?? 300;
    const json = { name: `${place.name}.`, type: place.type, ttl, rrdatas: [...values] };
    const what = `set ${place.name} ${place.type} to ${values.join(", ")}`;
    const patch = { method: "PATCH" as const, path: item, json, what, accept: [404] };
    const post = { method: "POST" as const, path, json, what, accept: [409] };
    // PATCH a set homing saw, POST a new one; each falls back to the other when the set changed.
    let reply = await api.json(known ? patch : post, signal);
    if (reply.status === 404) reply = await api.json({ ...post, accept: [] }, signal);
    else if (reply.status === 409) reply = await api.json({ ...patch, accept: [] }, signal);
    const shown = v.safeParse(RRset, reply.body);
    if (shown.success && values.every((value) => shown.output.rrdatas.includes(value))) return true;
    return { reply: `"${api.shown(JSON.stringify(reply.body ?? ""), 80)}"` };
  };
  return new RestProvider({
    api,
    zones,
    change: "rrset",
    ...sets.service(write),
    async list(zone, _names, signal) {
      const what = `list the record sets of ${zone.name} (managed zone ${zone.id})`;
      const path = `${project}/${encodeURIComponent(zone.id)}/rrsets`;
      const found = await allPages(
        api,
        { method: "GET", path, what },
        RRsetsPage,
        (page) => ({ items: page.rrsets, next: next(page) }),
        signal,
      );
      return found.flatMap((set) =>
        sets.listed(zone, set.name, set.type, { values: set.rrdatas, ttl: set.ttl }),
      );
    },
    async verify(_names, signal) {
      const found = await allZones(signal);
      return `Google Cloud DNS accepted the service account; project ${config.project} has ${found.length} public managed zone${found.length === 1 ? "" : "s"}`;
    },
  });
}
