/**
 * NameSilo API: every call a GET `/api/<operation>?version=1&type=json&key=…`, answered with HTTP
 * 200 and `{request, reply: {code, detail, …}}`, code 300 meaning success (a number or a string).
 * The key travels in the query: it never reaches a message (the HTTP layer logs the path only and
 * redacts every excerpt). A zone is listed whole (`dnsListRecords`); records change in place with
 * `dnsUpdateRecord`, whose reply may carry a new record id.
 */
import * as v from "valibot";
import { apiFor } from "../kit/http.ts";
import { absoluteName, listedZones } from "../kit/listed-zones.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { RestProvider } from "../kit/rest.ts";
import type { ProviderContext } from "../provider.ts";
import type { NamesiloSchema } from "./schema.ts";

type Config = v.InferOutput<typeof NamesiloSchema>;

const Envelope = v.object({ reply: v.object({ code: idString, detail: v.optional(v.string()) }) });
const RR = v.object({
  record_id: idString,
  type: v.string(),
  host: v.string(),
  value: v.string(),
  ttl: v.optional(ttlNumber),
});
// The JSON is converted from NameSilo's XML: a lone record may arrive as an object, none as no key.
const Listed = v.object({
  reply: v.object({
    resource_record: v.optional(
      v.union([
        v.array(RR),
        v.pipe(
          RR,
          v.transform((r) => [r]),
        ),
      ]),
      [],
    ),
  }),
});

const HELP = "create an API key at https://www.namesilo.com/account/api-manager (not from a sub-account)";
/** Codes about the key: 110 invalid key, 112 sub-account, 113 not allowed from this IP. */
const AUTH: Record<string, string> = {
  "110": HELP,
  "112": "sub-accounts cannot use the API: create the key in the main account",
  "113": "the key is restricted to other IP addresses: allow this host's address in the API Manager",
};

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const key = await context.secret("api_key");
  const code = (body: unknown) => (v.is(Envelope, body) ? body.reply.code : undefined);
  const api = apiFor(id, config, context, {
    label: "NameSilo",
    secrets: [key],
    authHelp: `check api_key: ${HELP}`,
    errorText: (body) =>
      v.is(Envelope, body) ? `${body.reply.code} ${body.reply.detail ?? ""}`.trim() : undefined,
    refusal: (_reply, body) => {
      const hint = AUTH[code(body) ?? ""];
      return hint && v.is(Envelope, body)
        ? { kind: "auth", said: `${body.reply.code} ${body.reply.detail ?? ""}: ${hint}` }
        : undefined;
    },
  });
  /** One operation; resolves with the body when the reply code is 300 (or one of `also`). */
  const op = async (
    operation: string,
    query: Record<string, string | number>,
    what: string,
    signal: AbortSignal,
    also: string[] = [],
  ) => {
    const request = {
      method: "GET" as const,
      path: operation,
      query: { version: 1, type: "json", key: key.reveal(), ...query },
      what,
    };
    const { body } = await api.json(request, signal);
    const { reply } = parseReply(api, Envelope, body, what);
    if (reply.code === "300" || also.includes(reply.code)) return { code: reply.code, body };
    const said = api.shown(`${reply.code} ${reply.detail ?? ""}`);
    throw api.error(
      `NameSilo refused to ${what} (${said})`,
      reply.code === "201" ? "transient" : "permanent",
      { code: reply.code },
    );
  };
  const { zones, list } = listedZones(
    api,
    async (domain, signal) => {
      const what = `list the records of ${domain}`;
      // 200: the domain is not active or not in this account.
      const { code, body } = await op("dnsListRecords", { domain }, what, signal, ["200"]);
      if (code === "200") return null;
      return parseReply(api, Listed, body, what).reply.resource_record.map((r) => ({
        id: r.record_id,
        name: absoluteName(r.host, domain),
        type: r.type,
        value: r.value,
        ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
      }));
    },
    config.zone,
    "check that the domain is active in this NameSilo account",
  );
  const unproven = (body: unknown) => api.unproven(body);
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list,
    async create(place, value, signal) {
      const query = {
        domain: place.zone.name,
        rrtype: place.type,
        rrhost: place.relative,
        rrvalue: value,
        ...(config.ttl ? { rrttl: config.ttl } : {}),
      };
      return unproven(
        (await op("dnsAddRecord", query, `add ${place.name} ${place.type} ${value}`, signal)).body,
      );
    },
    async update(place, row, value, signal) {
      const ttl = config.ttl ?? row.ttl;
      const query = {
        domain: place.zone.name,
        rrid: row.id,
        rrhost: place.relative,
        rrvalue: value,
        ...(ttl ? { rrttl: ttl } : {}),
      };
      return unproven(
        (await op("dnsUpdateRecord", query, `change ${place.name} ${place.type} to ${value}`, signal)).body,
      );
    },
    async remove(zone, row, signal) {
      await op(
        "dnsDeleteRecord",
        { domain: zone.name, rrid: row.id },
        `remove ${row.name} ${row.type} ${row.value}`,
        signal,
      );
    },
    async verify(_names, signal) {
      await op("listDomains", {}, "list the domains of the account", signal);
      return "NameSilo accepted the API key";
    },
  });
}
