/**
 * Namecheap's Dynamic DNS endpoint (reference §2): GET /update?host=&domain=&password=&ip=, one
 * host per request, IPv4 only. The host must already exist as an "A + Dynamic DNS Record" in the
 * domain's Advanced DNS: this endpoint cannot create, list or delete. The reply is always HTTP 200
 * with an XML `interface-response`: ErrCount, Err1 (the error), Done and IP (the address now set).
 * Its declaration claims an encoding (utf-16 and the like) the bytes do not have; homing ignores it.
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { normalizeName } from "../../core/records.ts";
import { ConfigError } from "../../errors.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { parseReply } from "../kit/reply.ts";
import { UrlUpdateProvider, unconfirmed, unreadable } from "../kit/url-update.ts";
import { parseXml, textAt } from "../kit/xml.ts";
import type { ProviderContext, RecordChange } from "../provider.ts";
import { resolverServers } from "../update-url.ts";
import type { NamecheapSchema } from "./schema.ts";

type Config = v.InferOutput<typeof NamecheapSchema>;

const HELP =
  "copy the Dynamic DNS password from Namecheap: Domain List → Manage → Advanced DNS → Dynamic DNS (it is per domain, not the account password or the API key)";

const Reply = v.object({
  ErrCount: v.pipe(v.string(), v.regex(/^\d+$/, "a count")),
  Err1: v.optional(v.string()),
  Done: v.optional(v.string()),
  IP: v.optional(v.string()),
});

export async function create(id: string, config: Config, context: ProviderContext) {
  const password = await context.secret("password");
  if (!/^[a-f0-9]{32}$/i.test(password.reveal()))
    throw new ConfigError([
      `providers.${id}.password: expected the domain's Dynamic DNS password, 32 hexadecimal characters (got ${password.reveal().length} characters from ${password.origin}): ${HELP}`,
    ]);
  const api = new Api({
    id,
    label: "Namecheap",
    // The update URL as it is (endpointUrl would add a "/" Namecheap does not answer at).
    endpoint: new URL(endpointUrl(config.endpoint, id) && config.endpoint),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: [password],
    authHelp: `check password (${password.origin}): ${HELP}`,
    // Namecheap documents no rate limit; a 429 from in front of it waits 30 minutes.
    rateLimitMs: 30 * 60_000,
  });
  const configured = config.domain === undefined ? undefined : normalizeName(config.domain);
  const place = (name: string) => {
    const domain = configured ?? name.split(".").slice(-2).join(".");
    const host = name === domain ? "@" : name.slice(0, -(domain.length + 1));
    return { domain, host };
  };
  return new UrlUpdateProvider({
    api,
    servers: resolverServers(config.resolver, `providers.${id}`),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    checkNote: "Namecheap's dynamic DNS has no read-only call: the first update proves the password",
    removeHelp: "delete the record in Namecheap's Advanced DNS",
    refuse(change: RecordChange) {
      if (change.type === "AAAA")
        return api.error(
          `Namecheap's dynamic DNS updates IPv4 only: set ipv6 = false on the [[records]] entry of ${change.name} (or manage its AAAA with another provider)`,
          "permanent",
          { halt: "name" },
        );
      const name = normalizeName(change.name);
      if (configured !== undefined && name !== configured && !name.endsWith(`.${configured}`))
        return api.error(
          `${name} is not inside providers.${id}.domain (${configured}): fix the record's name or the domain`,
          "permanent",
          { halt: "name" },
        );
      return undefined;
    },
    async send([change], signal) {
      if (!change?.add) return [];
      const ip = change.add;
      const { domain, host } = place(normalizeName(change.name));
      const what = `${change.name} A to ${ip}`;
      const reply = await api.call(
        {
          method: "GET",
          path: "",
          query: { host, domain, password: password.reveal(), ip },
          headers: { accept: "text/xml" },
          what: `update ${what}`,
        },
        signal,
      );
      let root: ReturnType<typeof parseXml>;
      try {
        root = parseXml(reply.text);
      } catch (error) {
        throw unreadable(api, what, error instanceof Error ? error.message : String(error));
      }
      if (root.name !== "interface-response")
        throw unreadable(api, what, `<${root.name}> instead of <interface-response>`);
      const fields = Object.fromEntries(
        ["ErrCount", "Done", "IP"]
          .map((key) => [key, textAt(root, key)] as const)
          .concat([["Err1", textAt(root, "errors", "Err1")]])
          .filter(([, value]) => value !== undefined),
      );
      const parsed = parseReply(api, Reply, fields, `update ${what}`);
      if (parsed.ErrCount !== "0") {
        const said = api.shown(parsed.Err1 ?? `ErrCount ${parsed.ErrCount}`);
        if (/password/i.test(said))
          throw api.error(
            `Namecheap refused the password from ${password.origin} for ${domain} ("${said}"): ${HELP}`,
            "auth",
          );
        const missing = /not found/i.test(said)
          ? `: create ${host === "@" ? "the apex" : host} as an "A + Dynamic DNS Record" in ${domain}'s Advanced DNS first (this endpoint cannot create records)${configured ? "" : `, or set providers.${id}.domain if ${domain} is not the registered domain`}`
          : "";
        throw api.error(`Namecheap refused the update of ${what} ("${said}")${missing}`, "permanent");
      }
      if (parsed.Done?.toLowerCase() !== "true" || parsed.IP !== ip) throw unconfirmed(api, what, reply.text);
      return [{}];
    },
  });
}
