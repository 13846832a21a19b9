/**
 * OVHcloud API (reference §24): JSON over REST, every call signed with "$1$" + SHA-1 of application
 * secret, consumer key, method, full URL, body and timestamp, where the timestamp is OVH's own clock
 * (GET /auth/time, once per run, as an offset to this host's). A name is listed as record ids
 * (`?subDomain=`), then each id is read (a few at a time); a record is changed in place with PUT by
 * id, and every change is applied with POST /domain/zone/{zone}/refresh (OVH serves nothing new
 * before that).
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { Api, type ApiRequest, endpointUrl } from "../kit/http.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { ovhSignature } from "../kit/signing.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import { OVH_ENDPOINTS, type OvhSchema } from "./schema.ts";

type Config = v.InferOutput<typeof OvhSchema>;

const ErrorBody = v.object({ message: v.string(), errorCode: v.optional(v.string()) });
const Ids = v.array(idString);
const Record_ = v.object({
  id: idString,
  subDomain: v.string(),
  fieldType: v.string(),
  target: v.string(),
  ttl: v.optional(ttlNumber),
});
const AUTH_CODES =
  /^(INVALID_SIGNATURE|INVALID_CREDENTIAL|INVALID_KEY|NOT_CREDENTIAL|QUERY_TIME_OUT|NOT_GRANTED_CALL)$/;
/** Ids read at once, and at most per name: a name with more rows is not one homing manages. */
const PARALLEL = 4;
const MAX_IDS = 100;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("application_secret");
  const consumer = await context.secret("consumer_key");
  const base = OVH_ENDPOINTS[config.endpoint as keyof typeof OVH_ENDPOINTS] ?? config.endpoint;
  let offset: Promise<number> | undefined;
  const api = new Api({
    id,
    label: "OVHcloud",
    endpoint: endpointUrl(base, id),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [secret, consumer],
    authHelp: `check application_key, application_secret and consumer_key: create them at ${new URL(base).origin}/createToken/ with only GET, POST, PUT and DELETE on /domain/zone/*, and check this host's clock`,
    async authorize(request) {
      if (request.url.pathname.endsWith("/auth/time")) return;
      const timestamp = Math.round(Date.now() / 1000) + (await (offset ?? Promise.resolve(0)));
      Object.assign(request.headers, {
        "x-ovh-application": config.application_key,
        "x-ovh-consumer": consumer.reveal(),
        "x-ovh-timestamp": String(timestamp),
        "x-ovh-signature": ovhSignature({
          applicationSecret: secret.reveal(),
          consumerKey: consumer.reveal(),
          method: request.method,
          url: request.url.toString(),
          body: request.body ?? "",
          timestamp,
        }),
      });
    },
    errorText: (body) => (v.is(ErrorBody, body) ? body.message : undefined),
    refusal: (_reply, body) =>
      v.is(ErrorBody, body) && AUTH_CODES.test(body.errorCode ?? "")
        ? { kind: "auth", said: `${body.errorCode}: ${body.message}` }
        : undefined,
  });
  /** Every call, signed with OVH's time: this host's clock plus the offset learned once. */
  const call = async (request: ApiRequest, signal: AbortSignal) => {
    offset ??= api.json({ method: "GET", path: "auth/time", what: "read OVH's clock" }, signal).then(
      ({ body }) => parseReply(api, v.number(), body, "read OVH's clock") - Math.round(Date.now() / 1000),
      (error: unknown) => {
        offset = undefined;
        throw error;
      },
    );
    await offset;
    return api.json(request, signal);
  };
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const what = `find the zone ${name}`;
        const { status } = await call(
          { method: "GET", path: `domain/zone/${name}`, what, accept: [404] },
          signal,
        );
        return status === 404 ? null : { name, id: name };
      },
    },
    config.zone,
    "check that the zone is in this OVHcloud account (Web Cloud → Domain names)",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const refresh = (zone: Zone, signal: AbortSignal) =>
    call(
      { method: "POST", path: `domain/zone/${zone.name}/refresh`, what: `apply the changes to ${zone.name}` },
      signal,
    );
  const read = async (zone: Zone, recordId: string, signal: AbortSignal): Promise<Row | null> => {
    const what = `read record ${recordId} of ${zone.name}`;
    const path = `domain/zone/${zone.name}/record/${recordId}`;
    const { status, body } = await call({ method: "GET", path, what, accept: [404] }, signal);
    if (status === 404) return null;
    const r = parseReply(api, Record_, body, what);
    const name = r.subDomain === "" ? zone.name : `${r.subDomain}.${zone.name}`;
    return { id: r.id, name, type: r.fieldType, value: r.target, ...(r.ttl ? { ttl: r.ttl } : {}) };
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, names, signal) {
      const ids: string[] = [];
      for (const name of names) {
        const what = `list the records of ${name}`;
        const subDomain = name === zone.name ? "" : name.slice(0, -(zone.name.length + 1));
        const query = { subDomain };
        const { body } = await call(
          { method: "GET", path: `domain/zone/${zone.name}/record`, query, what },
          signal,
        );
        const found = parseReply(api, Ids, body, what);
        if (found.length > MAX_IDS)
          throw api.error(
            `OVHcloud lists ${found.length} records at ${name}: more than homing reads (${MAX_IDS}); remove the extra records`,
            "permanent",
          );
        ids.push(...found);
      }
      const rows: Row[] = [];
      for (let i = 0; i < ids.length; i += PARALLEL) {
        const batch = await Promise.all(
          ids.slice(i, i + PARALLEL).map((recordId) => read(zone, recordId, signal)),
        );
        for (const row of batch) if (row) rows.push(row);
      }
      return rows;
    },
    async create(place, value, signal) {
      const what = `add ${place.name} ${place.type} ${value}`;
      const json = { fieldType: place.type, subDomain: place.relative, target: value, ...ttl };
      const { body } = await call(
        { method: "POST", path: `domain/zone/${place.zone.name}/record`, json, what },
        signal,
      );
      await refresh(place.zone, signal);
      return v.is(Record_, body) && body.target === value ? true : api.unproven(body);
    },
    async update(place, row, value, signal): Promise<Proof> {
      const what = `change ${place.name} ${place.type} to ${value}`;
      const path = `domain/zone/${place.zone.name}/record/${row.id}`;
      const { body } = await call({ method: "PUT", path, json: { target: value, ...ttl }, what }, signal);
      await refresh(place.zone, signal);
      // OVH answers a PUT with null: the kit reads the record again before anything is removed.
      return api.unproven(body);
    },
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await call(
        { method: "DELETE", path: `domain/zone/${zone.name}/record/${row.id}`, what, accept: [404] },
        signal,
      );
      await refresh(zone, signal);
    },
    // Each name's zone (GET /domain/zone/{zone}, within the four rights); without names, the
    // credential itself.
    async verify(names, signal) {
      const seen = new Set<string>();
      for (const name of names) seen.add((await zones.of(name, signal)).zone.name);
      if (seen.size > 0) return `OVHcloud accepted the keys; zones: ${[...seen].join(", ")}`;
      const what = "check the credentials";
      await call({ method: "GET", path: "auth/currentCredential", what }, signal);
      return "OVHcloud accepted the application and consumer keys";
    },
  });
}
