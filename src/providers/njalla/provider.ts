/**
 * Njalla API: every call a POST `{method, params}` to one URL with `Authorization: Njalla <token>`,
 * answered by `{result}` or `{error: {code, message}}` — LEGO's fixtures spell that key `Error`
 * (reference §20b), so both spellings are read. A zone is listed whole (`list-records`); records
 * change in place with `edit-record`, and add/edit replies carry the record, so they confirm.
 */
import * as v from "valibot";
import { apiFor, headerAuth } from "../kit/http.ts";
import { absoluteName, listedZones } from "../kit/listed-zones.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider } from "../kit/rest.ts";
import type { ProviderContext } from "../provider.ts";
import type { NjallaSchema } from "./schema.ts";

type Config = v.InferOutput<typeof NjallaSchema>;

const Problem = v.object({
  code: v.optional(v.union([v.number(), v.string()])),
  message: v.optional(v.string()),
});
/** The error object under either spelling of its key. */
const problemOf = (body: unknown) => {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>).error ?? (body as Record<string, unknown>).Error;
  return value === undefined ? undefined : v.is(Problem, value) ? value : { message: String(value) };
};
const Record_ = v.object({
  id: idString,
  name: v.string(),
  type: v.string(),
  content: v.string(),
  ttl: v.optional(ttlNumber),
});
const Listed = v.object({ result: v.object({ records: v.array(Record_) }) });
const Written = v.object({ result: v.object({ content: v.string() }) });

const HELP =
  "create an API token at https://njal.la/settings/api/ (it may be limited to this host's IP address)";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const token = await context.secret("token");
  const said = (body: unknown) => {
    const problem = problemOf(body);
    return problem ? `${problem.code ?? ""} ${problem.message ?? ""}`.trim() : undefined;
  };
  const api = apiFor(id, config, context, {
    label: "Njalla",
    secrets: [token],
    authHelp: `check token: ${HELP}`,
    authorize: headerAuth("authorization", () => `Njalla ${token.reveal()}`),
    errorText: said,
    refusal: (_reply, body) => {
      const problem = problemOf(body);
      return problem && (String(problem.code) === "403" || /token|auth/i.test(problem.message ?? ""))
        ? { kind: "auth", said: said(body) ?? "403" }
        : undefined;
    },
  });
  const rpc = async (method: string, params: object, what: string, signal: AbortSignal) => {
    const { body } = await api.json({ method: "POST", path: "", json: { method, params }, what }, signal);
    return { body, problem: problemOf(body) };
  };
  const fail = (what: string, body: unknown) =>
    api.error(`Njalla refused to ${what} (${api.shown(said(body) ?? "an error")})`, "permanent");
  const { zones, list } = listedZones(
    api,
    async (domain, signal) => {
      const what = `list the records of ${domain}`;
      const { body, problem } = await rpc("list-records", { domain }, what, signal);
      if (problem) {
        if (String(problem.code) === "404" || /not found|no such|domain/i.test(problem.message ?? ""))
          return null;
        throw fail(what, body);
      }
      return parseReply(api, Listed, body, what).result.records.map((r) => ({
        id: r.id,
        name: absoluteName(r.name, domain),
        type: r.type,
        value: r.content,
        ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
      }));
    },
    config.zone,
    "check that the domain is in this Njalla account",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  const write = async (
    method: string,
    params: object,
    value: string,
    what: string,
    signal: AbortSignal,
  ): Promise<Proof> => {
    const { body, problem } = await rpc(method, params, what, signal);
    if (problem) throw fail(what, body);
    if (v.is(Written, body) && body.result.content === value) return true;
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
        { domain: place.zone.name, name: place.relative || "@", type: place.type, content: value, ...ttl },
        value,
        `add ${place.name} ${place.type} ${value}`,
        signal,
      ),
    update: (place, row, value, signal) =>
      write(
        "edit-record",
        { domain: place.zone.name, id: row.id, content: value, ...ttl },
        value,
        `change ${place.name} ${place.type} to ${value}`,
        signal,
      ),
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      const { body, problem } = await rpc("remove-record", { domain: zone.name, id: row.id }, what, signal);
      if (problem && !/not found|no such/i.test(problem.message ?? "")) throw fail(what, body);
    },
    async verify(_names, signal) {
      const what = "list the domains of the account";
      const { body, problem } = await rpc("list-domains", {}, what, signal);
      if (problem) throw fail(what, body);
      return "Njalla accepted the API token";
    },
  });
}
