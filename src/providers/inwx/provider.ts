/**
 * INWX DomRobot API, JSON-RPC variant: every call a POST `{method, params}` to one URL, answered by
 * `{code, msg, reason?, resData?}` (codes 1000–1500 succeed). `account.login` sets a `domrobot`
 * session cookie that later calls carry; homing logs in once per run and again once when INWX says
 * the session is gone (`kit/session.ts`). `nameserver.info` lists a whole zone; records change in
 * place with `nameserver.updateRecord`. Accounts with two-factor authentication cannot log in here
 * (it needs a one-time code): their users take INWX's DynDNS endpoint (dyndns2 preset "inwx").
 */
import * as v from "valibot";
import { apiFor } from "../kit/http.ts";
import { absoluteName, listedZones } from "../kit/listed-zones.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { RestProvider, type Row } from "../kit/rest.ts";
import { Session, SessionExpired } from "../kit/session.ts";
import type { ProviderContext } from "../provider.ts";
import type { InwxSchema } from "./schema.ts";

type Config = v.InferOutput<typeof InwxSchema>;

const Envelope = v.object({ code: v.number(), msg: v.optional(v.string()), reason: v.optional(v.string()) });
const Login = v.object({
  resData: v.optional(v.object({ tfa: v.optional(v.union([v.string(), v.number()])) })),
});
const Info = v.object({
  resData: v.object({
    record: v.optional(
      v.array(
        v.object({
          id: idString,
          name: v.string(),
          type: v.string(),
          content: v.string(),
          // Lower case in INWX's JSON, `TTL` in goinwx's structs (reference §16b): either is read.
          ttl: v.optional(ttlNumber),
          TTL: v.optional(ttlNumber),
        }),
      ),
      [],
    ),
  }),
});

const TFA =
  'an account with two-factor authentication cannot use the API: use type = "dyndns2" with preset = "inwx" and an INWX DynDNS account';
const HELP = `use the user name and password you log in to https://www.inwx.com with (${TFA})`;
const ok = (code: number) => code >= 1000 && code < 2000;

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const password = await context.secret("password");
  const api = apiFor(id, config, context, {
    label: "INWX",
    secrets: [password],
    authHelp: `check username and password: ${HELP}`,
    errorText: (body) =>
      v.is(Envelope, body) ? [body.msg, body.reason].filter(Boolean).join(": ") : undefined,
  });
  const said = (e: v.InferOutput<typeof Envelope>) =>
    `${e.code} ${[e.msg, e.reason].filter(Boolean).join(": ")}`;
  const call = async (method: string, params: object, what: string, signal: AbortSignal, cookie = "") => {
    const { body } = await api.json(
      { method: "POST", path: "", json: { method, params }, what, headers: { cookie } },
      signal,
    );
    return { envelope: parseReply(api, Envelope, body, what), body };
  };
  const session = new Session(api, async (signal) => {
    const what = "log in";
    const json = { method: "account.login", params: { user: config.username, pass: password.reveal() } };
    const reply = await api.call({ method: "POST", path: "", json, what }, signal);
    const body = reply.text.startsWith("{") ? (JSON.parse(reply.text) as unknown) : reply.text;
    const envelope = parseReply(api, Envelope, body, what);
    if (!ok(envelope.code))
      throw api.error(
        `INWX refused the login (${api.shown(said(envelope))}): ${api.options.authHelp}`,
        "auth",
      );
    const tfa = parseReply(api, Login, body, what).resData?.tfa;
    if (tfa !== undefined && String(tfa) !== "0")
      throw api.error(
        `INWX asks for a two-factor code for ${config.username}, which homing cannot give: ${TFA}`,
        "auth",
      );
    const cookie = [reply.headers["set-cookie"] ?? []]
      .flat()
      .map((c) => c.split(";")[0]?.trim() ?? "")
      .filter((c) => c.startsWith("domrobot="));
    if (cookie.length === 0)
      throw api.error(
        "INWX accepted the login but sent no session cookie; homing retries later",
        "transient",
      );
    return cookie.join("; ");
  });
  /** One call with the session; 2002 (command use error: not logged in) or 2200 (authentication error) logs in again. */
  const act = (method: string, params: object, what: string, signal: AbortSignal, done: number[] = []) =>
    session.run(
      signal,
      async (cookie) => {
        const result = await call(method, params, what, signal, cookie);
        const { code } = result.envelope;
        if (code === 2002 || code === 2200) throw new SessionExpired(said(result.envelope));
        if (!ok(code) && !done.includes(code))
          throw api.error(
            `INWX refused to ${what} (${api.shown(said(result.envelope))})`,
            code === 2400 ? "transient" : "permanent",
            { code: String(code) },
          );
        return result;
      },
      what,
    );
  const retrieve = async (domain: string, signal: AbortSignal): Promise<Row[] | null> => {
    const what = `list the records of ${domain}`;
    // 2303: object does not exist (not a zone of this account).
    const { envelope, body } = await act("nameserver.info", { domain }, what, signal, [2303]);
    if (envelope.code === 2303) return null;
    return parseReply(api, Info, body, what).resData.record.map((r) => {
      const ttl = r.ttl ?? r.TTL;
      return {
        id: r.id,
        name: absoluteName(r.name, domain),
        type: r.type,
        value: r.content,
        ...(ttl !== undefined ? { ttl } : {}),
      };
    });
  };
  const { zones, list } = listedZones(
    api,
    retrieve,
    config.zone,
    "check that the domain's name servers are managed by INWX in this account (Nameserver → Domains)",
  );
  const ttl = config.ttl === undefined ? {} : { ttl: config.ttl };
  // INWX's replies carry no record values (createRecord gives an id, updateRecord nothing), so every
  // write is confirmed by a fresh list.
  const write = async (method: string, params: object, what: string, signal: AbortSignal) => {
    const { body } = await act(method, params, what, signal);
    return api.unproven(body);
  };
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    list,
    create: (place, value, signal) =>
      write(
        "nameserver.createRecord",
        { domain: place.zone.name, type: place.type, name: place.name, content: value, ...ttl },
        `add ${place.name} ${place.type} ${value}`,
        signal,
      ),
    update: (place, row, value, signal) =>
      write(
        "nameserver.updateRecord",
        { id: Number(row.id), content: value, ...ttl },
        `change ${place.name} ${place.type} to ${value}`,
        signal,
      ),
    async remove(_zone, row, signal) {
      await act(
        "nameserver.deleteRecord",
        { id: Number(row.id) },
        `remove ${row.name} ${row.type} ${row.value}`,
        signal,
        [2303],
      );
    },
    async verify(_names, signal) {
      await session.get(signal);
      return `INWX accepted the login of ${config.username}`;
    },
  });
}
