/**
 * Loopia API (XML-RPC, `kit/xmlrpc.ts`): every call a `<methodCall>` whose first two params are the
 * API user and password; replies are a status string ("OK", "AUTH_ERROR", "RATE_LIMITED", …) or the
 * data asked for, and a `<fault>` for a method the API user may not call. Loopia lists records per
 * subdomain (`getZoneRecords(domain, subdomain)`), so a zone costs one call per managed name in it;
 * the zones come from one `getDomains`. A subdomain must exist before it takes records
 * (`addSubdomain`). Records change in place with `updateZoneRecord`.
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { parseReply } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { type RpcValue, readXmlRpc, xmlRpcCall } from "../kit/xmlrpc.ts";
import { relativeName, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { LoopiaSchema } from "./schema.ts";

type Config = v.InferOutput<typeof LoopiaSchema>;

const Domains = v.array(v.object({ domain: v.string() }));
const Records = v.array(
  v.object({
    type: v.string(),
    ttl: v.number(),
    priority: v.number(),
    rdata: v.string(),
    record_id: v.number(),
  }),
);
const METHODS =
  "getDomains, getZoneRecords, addSubdomain, addZoneRecord, updateZoneRecord and removeZoneRecord";
const HELP = `create an API user in Loopia Customer Zone → Account settings → LoopiaAPI and permit only ${METHODS}`;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const password = await context.secret("password");
  endpointUrl(config.endpoint, id); // validates; the endpoint is one URL, used as it is
  const api = new Api({
    id,
    label: "Loopia",
    endpoint: new URL(config.endpoint),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [password],
    authHelp: `check username and password: ${HELP}`,
  });
  /** One call; resolves with the reply's value, or rejects with what its status or fault means. */
  const rpc = async (
    method: string,
    params: RpcValue[],
    what: string,
    signal: AbortSignal,
  ): Promise<unknown> => {
    const body = xmlRpcCall(method, [config.username, password.reveal(), ...params]);
    const reply = await api.call({ method: "POST", path: "", body, contentType: "text/xml", what }, signal);
    let read: ReturnType<typeof readXmlRpc>;
    try {
      read = readXmlRpc(reply.text);
    } catch (error) {
      throw api.error(
        `Loopia sent a reply homing cannot read when asked to ${what}: ${api.shown(String((error as Error).message), 80)}; homing retries later`,
        "transient",
      );
    }
    if ("fault" in read) {
      const said = `fault ${String(read.fault.faultCode)} ${String(read.fault.faultString)}`;
      throw api.error(
        `Loopia refused to ${what} (${api.shown(said)}): the API user must be permitted ${METHODS}`,
        "permanent",
      );
    }
    // A status arrives alone, or (from list methods) as the only item of an array.
    const value = read.value;
    const status =
      typeof value === "string"
        ? value
        : Array.isArray(value) && value.length === 1 && typeof value[0] === "string"
          ? value[0]
          : undefined;
    if (status === "AUTH_ERROR")
      throw api.error(
        `Loopia rejected the API user ${config.username} (AUTH_ERROR) when asked to ${what}: ${api.options.authHelp}`,
        "auth",
      );
    if (status === "RATE_LIMITED")
      throw api.error(
        `Loopia is rate-limiting this account (RATE_LIMITED) while trying to ${what}; homing makes no changes for 1m, then tries again`,
        "rate_limited",
        { retryAfterMs: 60_000 },
      );
    if (status !== undefined && status !== "OK")
      throw api.error(`Loopia refused to ${what} (${api.shown(status)})`, "permanent");
    return value;
  };
  const zones = new Zones(
    api,
    {
      async all(signal) {
        const what = "list the domains of the account";
        return parseReply(api, Domains, await rpc("getDomains", [], what, signal), what).map((d) => {
          const name = d.domain.toLowerCase();
          return { name, id: name };
        });
      },
    },
    config.zone,
    "check that the domain is in this Loopia account",
  );
  /** Names that have records (their subdomain exists at Loopia). */
  const occupied = new Set<string>();
  const sub = (name: string, zone: string) => relativeName(name, zone) || "@";
  const ttl = config.ttl ?? 3600;
  const unproven = (value: unknown) => ({ reply: `"${api.shown(String(value), 40)}"` });
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    async list(zone, names, signal) {
      const rows: Row[] = [];
      for (const name of names) {
        const what = `list the records of ${name}`;
        const value = await rpc("getZoneRecords", [zone.name, sub(name, zone.name)], what, signal);
        const records = parseReply(api, Records, value, what);
        if (records.length > 0) occupied.add(name);
        for (const r of records)
          rows.push({ id: String(r.record_id), name, type: r.type, value: r.rdata, ttl: r.ttl });
      }
      return rows;
    },
    async create(place, value, signal) {
      const subdomain = place.relative || "@";
      if (!occupied.has(place.name) && subdomain !== "@") {
        await rpc(
          "addSubdomain",
          [place.zone.name, subdomain],
          `add the subdomain ${place.name}`,
          signal,
        ).catch((error: unknown) => {
          if (!String((error as Error).message).includes("DOMAIN_OCCUPIED")) throw error;
        });
        occupied.add(place.name);
      }
      const record = { type: place.type, ttl, priority: 0, rdata: value, record_id: 0 };
      return unproven(
        await rpc(
          "addZoneRecord",
          [place.zone.name, subdomain, record],
          `add ${place.name} ${place.type} ${value}`,
          signal,
        ),
      );
    },
    async update(place, row, value, signal) {
      const record = {
        type: place.type,
        ttl: config.ttl ?? row.ttl ?? ttl,
        priority: 0,
        rdata: value,
        record_id: Number(row.id),
      };
      const what = `change ${place.name} ${place.type} to ${value}`;
      return unproven(
        await rpc("updateZoneRecord", [place.zone.name, place.relative || "@", record], what, signal),
      );
    },
    async remove(zone, row, signal) {
      await rpc(
        "removeZoneRecord",
        [zone.name, sub(row.name, zone.name), Number(row.id)],
        `remove ${row.name} ${row.type} ${row.value}`,
        signal,
      );
    },
    async verify(_names, signal) {
      const domains = parseReply(
        api,
        Domains,
        await rpc("getDomains", [], "list the domains", signal),
        "list the domains",
      );
      return `Loopia accepted the API user ${config.username} (${domains.length} domains)`;
    },
  });
}
