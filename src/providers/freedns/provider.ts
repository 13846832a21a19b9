/**
 * FreeDNS (afraid.org) v2 "sync" URLs (reference §13): GET https://sync.afraid.org/u/{token}/ for
 * IPv4 and https://v6.sync.afraid.org/u/{token}/ for IPv6, `?address=` carrying the address. The
 * token belongs to one record (the v2 page of Dynamic DNS shows one per enabled subdomain), so one
 * provider entry serves one name. Replies are plain text: "Updated 1 host(s) foo.example.com to
 * 1.2.3.4 in 0.155 seconds" or "No IP change detected for foo.example.com with IP 1.2.3.4, skipping
 * update"; an unknown token gets "ERROR: …". homing believes a reply only when it names the record
 * and the address sent.
 */
import type * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { parseAddress } from "../../core/ip.ts";
import { normalizeName } from "../../core/records.ts";
import { ConfigError } from "../../errors.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { UrlUpdateProvider, unconfirmed, unreadable } from "../kit/url-update.ts";
import type { ChangeResult, ProviderContext } from "../provider.ts";
import { resolverServers } from "../update-url.ts";
import type { FreednsSchema } from "./schema.ts";

type Config = v.InferOutput<typeof FreednsSchema>;

const HELP =
  "copy the token from https://freedns.afraid.org/dynamic/v2/ (enable the record there; the token is the part after /u/ in its sync URL)";

/** Whether `text` shows `address` (in any notation) as one of its words. */
function shows(text: string, address: string): boolean {
  const wanted = parseAddress(address)?.canonical;
  return text.split(/[\s,]+/).some((word) => parseAddress(word)?.canonical === wanted);
}

export async function create(id: string, config: Config, context: ProviderContext) {
  const token = await context.secret("token");
  if (!/^[A-Za-z0-9_-]{8,}$/.test(token.reveal()))
    throw new ConfigError([
      `providers.${id}.token (${token.origin}): expected the update token alone, letters and digits (not the whole sync URL): ${HELP}`,
    ]);
  const timeoutMs = parseDuration(config.timeout) ?? 30_000;
  const options = {
    id,
    label: "FreeDNS",
    timeoutMs,
    context,
    secrets: [token],
    authHelp: `check token (${token.origin}): ${HELP}`,
    // FreeDNS documents no rate limit; a 429 from in front of it waits 30 minutes.
    rateLimitMs: 30 * 60_000,
  };
  const apis = {
    A: new Api({ ...options, endpoint: endpointUrl(config.endpoint, id) }),
    AAAA: new Api({ ...options, endpoint: endpointUrl(config.endpoint_ipv6, id, "endpoint_ipv6") }),
  };
  const api = apis.A;
  return new UrlUpdateProvider({
    api,
    servers: resolverServers(config.resolver, `providers.${id}`),
    timeoutMs,
    checkNote: "FreeDNS has no read-only call for a token: the first update proves it",
    removeHelp: "delete the record at https://freedns.afraid.org/subdomain/",
    // One request per family and address: the token updates its one record whatever name is asked.
    key: (change) => `${change.type} ${change.add}`,
    async send(changes, signal) {
      const { type, add: ip = "" } = changes[0] ?? { type: "A" as const };
      const names = changes.map((change) => normalizeName(change.name));
      const what = `${names.join(", ")} ${type} to ${ip}`;
      const reply = await apis[type].call(
        {
          method: "GET",
          path: `${encodeURIComponent(token.reveal())}/`,
          query: { address: ip },
          headers: { accept: "text/plain" },
          what: `update ${what}`,
        },
        signal,
      );
      const text = reply.text.trim();
      const unchanged = /^no ip change detected\b/i.test(text) || /\bhas not changed\b/i.test(text);
      if (/^ERROR\b/i.test(text) && !unchanged) {
        if (/locate|token|record/i.test(text))
          throw api.error(
            `FreeDNS refused the token from ${token.origin} ("${api.shown(text)}"): ${HELP}`,
            "auth",
          );
        throw api.error(`FreeDNS refused the update of ${what} ("${api.shown(text)}")`, "permanent");
      }
      if (!unchanged && !/^updated\b/i.test(text)) throw unreadable(api, what, `"${text}"`);
      const words = text.toLowerCase().split(/[\s,]+/);
      const named = names.filter((name) => words.includes(name));
      if (named.length === 0 || !shows(text, ip)) throw unconfirmed(api, what, text);
      return names.map((name): ChangeResult => {
        if (named.includes(name)) return unchanged ? { unchanged: true } : {};
        const message = `FreeDNS updated ${named.join(", ")} with this token, not ${name}: each FreeDNS record has its own token; give ${name} its own [providers.*] entry with its token (${HELP})`;
        return { error: api.error(message, "permanent") };
      });
    },
  });
}
