/**
 * Porkbun (API v3): every call is a POST whose JSON body carries both keys; replies are an envelope
 * `{status: "SUCCESS" | "ERROR", message}`. Records are edited in place by id. A domain answers only
 * once "API ACCESS" is switched on for it in Porkbun's Domain Management.
 */
import * as v from "valibot";
import { apiFor } from "../kit/http.ts";
import { listedZones } from "../kit/listed-zones.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider, type Row } from "../kit/rest.ts";
import type { ProviderContext } from "../provider.ts";
import type { PorkbunSchema } from "./schema.ts";

type Config = v.InferOutput<typeof PorkbunSchema>;

const Envelope = v.object({ status: v.string(), message: v.optional(v.string()) });
const Records = v.object({
  records: v.array(
    v.object({
      id: idString,
      name: v.string(),
      type: v.string(),
      content: v.string(),
      ttl: v.optional(ttlNumber),
    }),
  ),
});
const Created = v.object({ id: idString });

const HELP =
  "create an API key at https://porkbun.com/account/api and switch on API ACCESS for the domain in Domain Management";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const apiKey = await context.secret("api_key");
  const secretKey = await context.secret("secret_api_key");
  const keys = () => ({ apikey: apiKey.reveal(), secretapikey: secretKey.reveal() });
  const api = apiFor(id, config, context, {
    label: "Porkbun",
    secrets: [apiKey, secretKey],
    authHelp: `check api_key and secret_api_key: ${HELP}`,
    errorText: (body) => (v.is(Envelope, body) ? body.message : undefined),
    refusal: (_reply, body) =>
      v.is(Envelope, body) && body.status === "ERROR" && /api key|authenticat/i.test(body.message ?? "")
        ? { kind: "auth", said: body.message ?? "ERROR" }
        : undefined,
  });
  const post = async (
    path: string,
    what: string,
    signal: AbortSignal,
    extra: object = {},
    accept?: number[],
  ) => {
    const request = { method: "POST" as const, path, json: { ...keys(), ...extra }, what };
    const { body } = await api.json(accept ? { ...request, accept } : request, signal);
    return { envelope: parseReply(api, Envelope, body, what), body };
  };
  const retrieve = async (domain: string, signal: AbortSignal): Promise<Row[] | null> => {
    const what = `list the records of ${domain}`;
    const { envelope, body } = await post(`dns/retrieve/${domain}`, what, signal, {}, [400, 404]);
    if (envelope.status !== "SUCCESS") {
      if (/opt|api access/i.test(envelope.message ?? ""))
        throw api.error(
          `Porkbun refused to ${what} (${api.shown(envelope.message ?? "")}): switch on API ACCESS for ${domain} in Porkbun's Domain Management`,
          "permanent",
        );
      return null;
    }
    return parseReply(api, Records, body, what).records.map((r) => ({
      id: r.id,
      name: r.name,
      type: r.type,
      value: r.content,
      ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
    }));
  };
  const { zones, list } = listedZones(
    api,
    retrieve,
    config.zone,
    "check that the domain is in this Porkbun account",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: String(config.ttl) };
  const done = async (
    path: string,
    what: string,
    extra: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Proof> => {
    const { envelope, body } = await post(path, what, signal, extra);
    if (envelope.status === "SUCCESS" && v.is(Created, body)) return true;
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list,
    create: (place, value, signal) =>
      done(
        `dns/create/${place.zone.name}`,
        `add ${place.name} ${place.type} ${value}`,
        { name: place.relative, type: place.type, content: value, ...ttl },
        signal,
      ),
    update: (place, row, value, signal) =>
      done(
        `dns/edit/${place.zone.name}/${row.id}`,
        `change ${place.name} ${place.type} to ${value}`,
        { name: place.relative, type: place.type, content: value, ...ttl },
        signal,
      ),
    async remove(zone, row, signal) {
      await post(
        `dns/delete/${zone.name}/${row.id}`,
        `remove ${row.name} ${row.type} ${row.value}`,
        signal,
        {},
        [400],
      );
    },
    async verify(_names, signal) {
      const { body } = await post("ping", "check the API keys", signal);
      const ip = v.is(v.object({ yourIp: v.string() }), body) ? ` (it sees this host as ${body.yourIp})` : "";
      return `Porkbun accepted the API keys${ip}`;
    },
  });
}
