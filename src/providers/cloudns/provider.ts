/**
 * ClouDNS HTTP API: `/dns/<method>.json` with every parameter, the credentials included, in the
 * query; HTTP 200 with `{status: "Success" | "Failed", statusDescription}` for writes and errors.
 * The zone's records are read with `records-paged.json` (100 a page, until a short page), as an
 * object keyed by record id, or `[]` when there are none. Records change in place with
 * `modify-record.json`. The password travels in the query: the HTTP layer logs the path only and
 * redacts every excerpt.
 */
import * as v from "valibot";
import { ConfigError } from "../../errors.ts";
import { apiFor } from "../kit/http.ts";
import { absoluteName, listedZones } from "../kit/listed-zones.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import type { ProviderContext } from "../provider.ts";
import type { CloudnsSchema } from "./schema.ts";

type Config = v.InferOutput<typeof CloudnsSchema>;

const Status = v.object({ status: v.string(), statusDescription: v.optional(v.string()) });
const Page = v.record(
  v.string(),
  v.object({
    id: idString,
    type: v.string(),
    host: v.string(),
    record: v.string(),
    ttl: v.optional(ttlNumber),
  }),
);
const PAGE = 100;
const HELP =
  "create an API user (preferably a sub-user limited to the zone) at ClouDNS → API & Resellers, and allow this host's IP address for it";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  if ((config.auth_id === undefined) === (config.sub_auth_id === undefined))
    throw new ConfigError([
      `providers.${id}: set exactly one of auth_id and sub_auth_id (the API user's id at ClouDNS)`,
    ]);
  const password = await context.secret("auth_password");
  const user =
    config.sub_auth_id === undefined ? { "auth-id": config.auth_id } : { "sub-auth-id": config.sub_auth_id };
  const failed = (body: unknown) =>
    v.is(Status, body) && body.status === "Failed" ? (body.statusDescription ?? "Failed") : undefined;
  const api = apiFor(id, config, context, {
    label: "ClouDNS",
    secrets: [password],
    authHelp: `check ${config.sub_auth_id === undefined ? "auth_id" : "sub_auth_id"} and auth_password: ${HELP}`,
    errorText: (body) => (v.is(Status, body) ? body.statusDescription : undefined),
    refusal: (_reply, body) => {
      const said = failed(body);
      return said && /auth|password|not allowed|ip address/i.test(said) ? { kind: "auth", said } : undefined;
    },
  });
  /** One call; resolves with the body, or rejects with ClouDNS's description of why it failed. */
  const call = async (
    method: string,
    query: Record<string, string | number>,
    what: string,
    signal: AbortSignal,
  ) => {
    const request = {
      method: method.startsWith("records") ? ("GET" as const) : ("POST" as const),
      path: `${method}.json`,
    };
    const { body } = await api.json(
      { ...request, query: { ...user, "auth-password": password.reveal(), ...query }, what },
      signal,
    );
    return { body, failed: failed(body) };
  };
  const { zones, list } = listedZones(
    api,
    async (domain, signal) => {
      const rows: Row[] = [];
      for (let page = 1; ; page++) {
        const what = `list the records of ${domain}${page > 1 ? ` (page ${page})` : ""}`;
        const query = { "domain-name": domain, "rows-per-page": PAGE, page };
        const { body, failed: said } = await call("records-paged", query, what, signal);
        if (said !== undefined) {
          if (page === 1 && /domain|zone|not found/i.test(said)) return null;
          throw api.error(`ClouDNS refused to ${what} (${api.shown(said)})`, "permanent");
        }
        const records =
          Array.isArray(body) && body.length === 0 ? [] : Object.values(parseReply(api, Page, body, what));
        for (const r of records)
          rows.push({
            id: r.id,
            name: absoluteName(r.host, domain),
            type: r.type,
            value: r.record,
            ...(r.ttl === undefined ? {} : { ttl: r.ttl }),
          });
        if (records.length < PAGE) return rows;
      }
    },
    config.zone,
    "check that the zone is in this ClouDNS account and that the API user may manage it",
  );
  const write = async (
    method: string,
    query: Record<string, string | number>,
    what: string,
    signal: AbortSignal,
  ) => {
    const { body, failed: said } = await call(method, query, what, signal);
    if (said !== undefined) throw api.error(`ClouDNS refused to ${what} (${api.shown(said)})`, "permanent");
    // The replies say "Success" with no record values: a fresh list confirms.
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list,
    create: (place, value, signal) =>
      write(
        "add-record",
        // `record-type` as in ClouDNS's docs and LEGO (ddns-go sends `type`; reference §21a).
        {
          "domain-name": place.zone.name,
          "record-type": place.type,
          host: place.relative,
          record: value,
          ttl: config.ttl ?? 3600,
        },
        `add ${place.name} ${place.type} ${value}`,
        signal,
      ),
    update: (place, row, value, signal) =>
      write(
        "modify-record",
        {
          "domain-name": place.zone.name,
          "record-id": row.id,
          host: place.relative,
          record: value,
          ttl: config.ttl ?? row.ttl ?? 3600,
        },
        `change ${place.name} ${place.type} to ${value}`,
        signal,
      ),
    async remove(zone, row, signal) {
      await write(
        "delete-record",
        { "domain-name": zone.name, "record-id": row.id },
        `remove ${row.name} ${row.type} ${row.value}`,
        signal,
      );
    },
    async verify(_names, signal) {
      const { failed: said } = await call("../login/login", {}, "check the API user", signal);
      if (said !== undefined)
        throw api.error(`ClouDNS refused the API user (${api.shown(said)}): ${api.options.authHelp}`, "auth");
      return "ClouDNS accepted the API user";
    },
  });
}
