/**
 * Netcup CCP DNS API: one endpoint, every call a POST `{action, param}` answered by an envelope
 * `{status: "success" | "error" | "warning", statuscode, shortmessage, longmessage, responsedata}`,
 * HTTP 200 either way. `login` gives a session id that every later call carries; it is reused for
 * the run and renewed once when Netcup says it expired (`kit/session.ts`). homing does not log out:
 * a provider has no end-of-run hook, and Netcup drops idle sessions by itself (about 15 minutes), so
 * a daemon reuses one session across rounds. The whole zone is listed at once; `updateDnsRecords`
 * changes a record in place by id, or deletes it with `deleterecord: true`.
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { absoluteName, listedZones } from "../kit/listed-zones.ts";
import { idString, parseReply } from "../kit/reply.ts";
import { type Place, RestProvider, type Row } from "../kit/rest.ts";
import { Session, SessionExpired } from "../kit/session.ts";
import { relativeName } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { NetcupSchema } from "./schema.ts";

type Config = v.InferOutput<typeof NetcupSchema>;

const Envelope = v.object({
  status: v.string(),
  statuscode: v.optional(v.number()),
  shortmessage: v.optional(v.string()),
  longmessage: v.optional(v.nullable(v.string())),
});
const Login = v.object({ responsedata: v.object({ apisessionid: v.pipe(v.string(), v.minLength(1)) }) });
const DnsRecord = v.object({ id: idString, hostname: v.string(), type: v.string(), destination: v.string() });
// `responsedata` is "" on errors and on some successes (reference §10): only an object is read.
const Records = v.object({ responsedata: v.object({ dnsrecords: v.array(DnsRecord) }) });
const Updated = v.object({ responsedata: v.object({ dnsrecords: v.array(v.unknown()) }) });

const HELP =
  "create an API key and API password in the Netcup CCP under Master Data → API, and check providers.<id>.customer_number";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const apiKey = await context.secret("api_key");
  const apiPassword = await context.secret("api_password");
  endpointUrl(config.endpoint, id); // validates; the endpoint is one URL, used as it is
  const api = new Api({
    id,
    label: "Netcup",
    endpoint: new URL(config.endpoint),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [apiKey, apiPassword],
    authHelp: `check api_key, api_password and customer_number: ${HELP.replace("<id>", id)}`,
    errorText: (body) => (v.is(Envelope, body) ? (body.longmessage ?? body.shortmessage) : undefined),
  });
  const said = (e: v.InferOutput<typeof Envelope>) =>
    [e.shortmessage, e.longmessage].filter(Boolean).join(" ") || `status ${e.status} ${e.statuscode ?? ""}`;
  const call = async (action: string, param: object, what: string, signal: AbortSignal) => {
    const { body } = await api.json({ method: "POST", path: "", json: { action, param }, what }, signal);
    return { envelope: parseReply(api, Envelope, body, what), body };
  };
  const customer = { customernumber: config.customer_number, apikey: apiKey.reveal() };
  const session = new Session(api, async (signal) => {
    const what = "log in";
    const { envelope, body } = await call(
      "login",
      { ...customer, apipassword: apiPassword.reveal() },
      what,
      signal,
    );
    if (envelope.status !== "success")
      throw api.error(
        `Netcup refused the login (${api.shown(said(envelope))}): ${api.options.authHelp}`,
        "auth",
      );
    return parseReply(api, Login, body, what).responsedata.apisessionid;
  });
  /** One action with the session; a session error (statuscode 4001 or a message about the session) logs in again. */
  const act = (action: string, param: object, what: string, signal: AbortSignal) =>
    session.run(
      signal,
      async (apisessionid) => {
        const reply = await call(action, { ...customer, apisessionid, ...param }, what, signal);
        const { envelope } = reply;
        if (envelope.status === "error" && (envelope.statuscode === 4001 || /session/i.test(said(envelope))))
          throw new SessionExpired(said(envelope));
        return reply;
      },
      what,
    );
  const retrieve = async (domain: string, signal: AbortSignal): Promise<Row[] | null> => {
    const what = `list the records of ${domain}`;
    const { envelope, body } = await act("infoDnsRecords", { domainname: domain }, what, signal);
    if (envelope.status === "error") {
      // 5029 "Can not get DNS records for zone", or a validation error about the domain: not this account's zone.
      if (envelope.statuscode === 5029 || /domain|zone|not found/i.test(said(envelope))) return null;
      throw api.error(`Netcup refused to ${what} (${api.shown(said(envelope))})`, "permanent");
    }
    return parseReply(api, Records, body, what).responsedata.dnsrecords.map((r) => ({
      id: r.id,
      name: absoluteName(r.hostname, domain),
      type: r.type,
      value: r.destination,
    }));
  };
  const { zones, list } = listedZones(
    api,
    retrieve,
    config.zone,
    "check that the domain is in this Netcup account (Netcup's API manages only domains registered with Netcup)",
  );
  const update = async (
    domain: string,
    record: Record<string, unknown>,
    what: string,
    signal: AbortSignal,
  ) => {
    const { envelope, body } = await act(
      "updateDnsRecords",
      {
        domainname: domain,
        dnsrecordset: { dnsrecords: [{ deleterecord: false, state: "yes", ...record }] },
      },
      what,
      signal,
    );
    if (envelope.status !== "success")
      throw api.error(`Netcup refused to ${what} (${api.shown(said(envelope))})`, "permanent");
    return body;
  };
  /** Creates (no id) or changes (id) one record; `true` when the zone in the reply shows the value. */
  const write = async (place: Place, value: string, id: string | undefined, signal: AbortSignal) => {
    const host = place.relative || "@";
    const record = {
      ...(id === undefined ? {} : { id }),
      hostname: host,
      type: place.type,
      destination: value,
    };
    const what = `${id === undefined ? "add" : "change"} ${place.name} ${place.type} ${value}`;
    const body = await update(place.zone.name, record, what, signal);
    const rows = v.is(Updated, body) ? body.responsedata.dnsrecords : [];
    const shown = rows.some(
      (row) =>
        v.is(DnsRecord, row) && row.hostname === host && row.type === place.type && row.destination === value,
    );
    return shown ? (true as const) : api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list,
    create: (place, value, signal) => write(place, value, undefined, signal),
    update: (place, row, value, signal) => write(place, value, row.id, signal),
    async remove(zone, row, signal) {
      const record = {
        id: row.id,
        hostname: relativeName(row.name, zone.name) || "@",
        type: row.type,
        destination: row.value,
        deleterecord: true,
      };
      await update(zone.name, record, `remove ${row.name} ${row.type} ${row.value}`, signal);
    },
    async verify(_names, signal) {
      await session.get(signal);
      return `Netcup accepted the API key and password for customer ${config.customer_number}`;
    },
  });
}
