import { formatDuration } from "../../core/duration.ts";
import { parseAddress } from "../../core/ip.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { type HaltScope, isAccountWide, ProviderError, type ProviderErrorKind } from "../../errors.ts";
import { httpRequest } from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryAfterMs, retryTransient } from "../retry.ts";
import { userAgent } from "../update-url.ts";

/** No-IP: after 911 "retry the update no sooner than 30 minutes". */
export const RETRY_AFTER_911_MS = 30 * 60_000;
/** `interval` (HE, Zoneedit, EasyDNS TOOSOON): updates too close together; Zoneedit asks for 10 minutes. */
export const RETRY_AFTER_INTERVAL_MS = 10 * 60_000;
/** A 429 without Retry-After. */
const RATE_LIMIT_DEFAULT_MS = 30 * 60_000;

export interface Dyndns2ClientOptions {
  id: string;
  label: string;
  server: URL;
  /** Where requests carrying only IPv6 addresses go (default: server). */
  serverIpv6?: URL | undefined;
  /** Fixed parameters the service wants (OVH: system=dyndns). */
  params: Readonly<Record<string, string>>;
  /** The basic-auth username; undefined: the request's one hostname (HE, nsupdate.info, deSEC). */
  username: string | undefined;
  password: Secret;
  /** Where the user gets the update credentials, for the badauth message. */
  credentials: string;
  timeoutMs: number;
  context: ProviderContext;
  /** How an empty HTTP 204 reads (a preset's `noContent`); undefined: not an answer. */
  noContent?: "updated" | "unchanged" | undefined;
  /** HTTP statuses that mean a return code when the body holds none. */
  statuses?: Readonly<Record<number, string>> | undefined;
  /** Reply lines in a service's own words: [case-insensitive regular expression, return code]. */
  replies?: ReadonlyArray<readonly [string, string]> | undefined;
}

/** One hostname's answer: success (good/nochg, with the addresses the service reported) or an error. */
export type HostAnswer =
  | { ok: true; unchanged: boolean; addresses: string[] }
  /** `shared`: one reply line answered several hostnames, so it cannot be pinned on this one. */
  | { ok: false; error: ProviderError; shared?: true };

interface ReplyLine {
  code: string;
  rest: string;
}

/**
 * The reply body as return-code lines: `good 1.2.3.4`, `nochg 1.2.3.4,2a00::1`, `badauth`, `911`.
 * `replies` translates a service's own wording first: a line matching a pattern becomes its code,
 * the whole line kept as the rest (addresses are read from it).
 */
export function parseReply(
  body: string,
  replies: ReadonlyArray<readonly [string, string]> = [],
): ReplyLine[] {
  const patterns = replies.map(([pattern, code]) => [new RegExp(pattern, "i"), code] as const);
  return body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const translated = patterns.find(([pattern]) => pattern.test(line));
      if (translated) return { code: translated[1], rest: line };
      const [code = "", ...rest] = line.split(/\s+/);
      return { code: code.toLowerCase(), rest: rest.join(" ") };
    });
}

const KNOWN_CODES = new Set([
  "good",
  "nochg",
  "badauth",
  "badagent",
  "!donator",
  "notfqdn",
  "nohost",
  "!yours",
  "numhost",
  "abuse",
  "badsys",
  "dnserr",
  "interval",
  "911",
]);

/** Codes that concern the account or the service rather than one hostname: given once for all. */
const ACCOUNT_CODES = new Set(["badauth", "badagent", "!donator", "badsys", "dnserr", "911"]);

function sameAddress(a: string, b: string): boolean {
  return parseAddress(a)?.canonical === parseAddress(b)?.canonical;
}

/**
 * The wire side of the dyndns2 protocol (Dyn's "Remote Access API", spoken by No-IP, Dynu, OVH…):
 * GET <server>?hostname=a,b&myip=…, HTTP basic auth, a descriptive User-Agent, and a plain-text
 * reply with one return code per hostname (account-wide codes once). The password never appears in
 * a URL, a message or a log line.
 */
export class Dyndns2Client {
  readonly #options: Dyndns2ClientOptions;

  constructor(options: Dyndns2ClientOptions) {
    this.#options = options;
  }

  #error(
    message: string,
    kind: ProviderErrorKind,
    extra: { code?: string; retryAfterMs?: number; halt?: HaltScope | false } = {},
  ): ProviderError {
    return new ProviderError(message, { kind, provider: this.#options.id, ...extra });
  }

  /**
   * Sends one update for `hostnames` with the address parameters in `query`, and answers one
   * HostAnswer per hostname, in order. Throws ProviderError when no usable reply came (transport,
   * HTTP status) after the retries a transient failure gets.
   */
  async update(
    hostnames: readonly string[],
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<HostAnswer[]> {
    return retryTransient(() => this.#send(hostnames, query, signal), {
      context: this.#options.context,
      signal,
    });
  }

  async #send(
    hostnames: readonly string[],
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<HostAnswer[]> {
    const { label, password } = this.#options;
    const username = this.#options.username ?? hostnames[0] ?? "";
    const addresses = Object.values(query).flatMap((value) => value.split(","));
    const ipv6Only =
      addresses.length > 0 && addresses.every((value) => parseAddress(value)?.family === "ipv6");
    const url = new URL(
      ipv6Only && this.#options.serverIpv6 ? this.#options.serverIpv6 : this.#options.server,
    );
    for (const [name, value] of Object.entries(this.#options.params)) url.searchParams.set(name, value);
    url.searchParams.set("hostname", hostnames.join(","));
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const sent = Object.entries(query)
      .map(([name, value]) => `${name}=${value}`)
      .join(" ");
    this.#options.context.logger.debug(`${label}: update hostname=${hostnames.join(",")} ${sent}`);
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      response = await httpRequest(url, {
        method: "GET",
        headers: {
          authorization: `Basic ${Buffer.from(`${username}:${password.reveal()}`).toString("base64")}`,
          "user-agent": userAgent(),
          accept: "text/plain",
        },
        timeoutMs: this.#options.timeoutMs,
        maxBytes: 64 * 1024,
        signal,
      });
    } catch (error) {
      const { why, kind } = exchangeFailure(error);
      throw this.#error(`${label} update failed: ${why}; homing tries again on the next run`, kind);
    }
    let lines = parseReply(response.body, this.#options.replies);
    const noContent = this.#options.noContent;
    if (noContent && response.status === 204 && lines.length === 0) {
      // Domeneshop (success) and selfHOST (no change) answer with an empty 204.
      return hostnames.map(() => ({ ok: true, unchanged: noContent === "unchanged", addresses: [] }));
    }
    let recognised = lines.length > 0 && lines.every((line) => KNOWN_CODES.has(line.code));
    const statusCode = this.#options.statuses?.[response.status];
    if (!recognised && statusCode) {
      lines = [{ code: statusCode, rest: "" }];
      recognised = true;
    }
    if (!recognised) this.#throwForStatus(response.status, response.headers["retry-after"], response.body);
    if (!recognised) {
      throw this.#error(
        `${label} gave an answer that is not a dyndns2 return code ("${this.#shown(response.body)}"); homing tries again on the next run`,
        "transient",
      );
    }
    const sentAddresses = addresses;
    return hostnames.map((host, index) => {
      // One line per hostname; account-wide codes (and some servers' single answer) come once.
      const line = lines[index] ?? (lines.length === 1 ? lines[0] : undefined);
      if (!line) {
        return {
          ok: false,
          error: this.#error(
            `${label} answered ${lines.length} line(s) for ${hostnames.length} hostname(s), none for ${host}; homing tries again on the next run`,
            "transient",
          ),
        };
      }
      const answer = this.#classify(line, host, sentAddresses, username);
      return !answer.ok && lines.length === 1 && hostnames.length > 1 ? { ...answer, shared: true } : answer;
    });
  }

  #shown(body: string): string {
    // Redact before cutting: an excerpt that ends inside an echoed password would slip past later redaction.
    return excerpt(redact(body, [this.#options.password.reveal()]), 60);
  }

  #throwForStatus(status: number, retryAfter: string | string[] | undefined, body: string): void {
    const { label, id } = this.#options;
    if (status >= 200 && status < 300) return;
    const said = `HTTP ${status}${body.trim() ? ` ("${this.#shown(body)}")` : ""}`;
    if (status === 401 || status === 403) {
      throw this.#error(
        `${label} refused the update with ${said}: check providers.${id}.username and the password; ${this.#options.credentials}`,
        "auth",
        { code: `http_${status}` },
      );
    }
    if (status === 429) {
      const wait = retryAfterMs(retryAfter) ?? RATE_LIMIT_DEFAULT_MS;
      throw this.#error(
        `${label} is rate-limiting updates (${said}); homing sends nothing to it for ${formatDuration(wait)}`,
        "rate_limited",
        { code: "http_429", retryAfterMs: wait },
      );
    }
    if (status >= 500) {
      throw this.#error(`${label} update failed: ${said}; homing tries again on the next run`, "transient");
    }
    throw this.#error(`${label} refused the update with ${said}: check providers.${id}.server`, "permanent", {
      code: `http_${status}`,
    });
  }

  /** Maps one return code to success or a classified error, with what to do in the message. */
  #classify(line: ReplyLine, host: string, sent: readonly string[], username: string): HostAnswer {
    const { label, id } = this.#options;
    const fail = (
      message: string,
      kind: ProviderErrorKind,
      halt: HaltScope | false,
      retryAfterMs?: number,
    ) => ({
      ok: false as const,
      error: this.#error(message, kind, {
        code: line.code,
        halt,
        ...(retryAfterMs ? { retryAfterMs } : {}),
      }),
    });
    switch (line.code) {
      case "good":
      case "nochg": {
        const addresses = line.rest
          .split(/[\s,]+/)
          .filter((text) => parseAddress(text) !== undefined)
          .map((text) => parseAddress(text)?.canonical as string);
        if (addresses.includes("127.0.0.1") && !sent.some((s) => sameAddress(s, "127.0.0.1"))) {
          return fail(
            `${label} answered "${line.code} 127.0.0.1" for ${host}: its sign that the update was ignored because it refused the client (like badagent); report this as a homing bug`,
            "permanent",
            "account",
          );
        }
        const family = (text: string) => parseAddress(text)?.family;
        const wrong = addresses.filter(
          (address) =>
            sent.some((s) => family(s) === family(address)) && !sent.some((s) => sameAddress(s, address)),
        );
        if (wrong.length > 0) {
          return fail(
            `${label} answered "${line.code} ${wrong.join(",")}" for ${host}, not the address homing sent (${sent.join(",")}); homing tries again on the next run`,
            "transient",
            false,
          );
        }
        return { ok: true, unchanged: line.code === "nochg", addresses };
      }
      case "badauth":
        return fail(
          `${label} rejected the username "${username}" and the password from ${this.#options.password.origin} (badauth): ${this.#options.credentials}`,
          "auth",
          "account",
        );
      case "badagent":
        return fail(
          `${label} refused homing's requests (badagent: it blocks this client's User-Agent or request method); report this as a homing bug`,
          "permanent",
          "account",
        );
      case "!donator":
        return fail(
          `${label} refused the update of ${host}: it asks for a feature this account does not have (!donator)`,
          "permanent",
          "account",
        );
      case "notfqdn":
        return fail(
          `${label} says ${host} is not a fully qualified hostname it serves (notfqdn): fix the record name`,
          "permanent",
          "name",
        );
      case "nohost":
        return fail(
          `${label} says ${host} does not exist in this account (nohost): create it at ${label}, fix the record name, or use credentials that cover it`,
          "permanent",
          "name",
        );
      case "!yours":
        return fail(
          `${label} says ${host} belongs to another account (!yours): use that account's credentials in providers.${id}`,
          "permanent",
          "name",
        );
      case "numhost":
        return fail(
          `${label} refused the update of ${host} (numhost: too many hostnames in one request, or a round-robin hostname that dyndns2 cannot update)`,
          "permanent",
          "name",
        );
      case "abuse":
        return fail(
          `${label} has blocked ${host} for abuse (abuse: too many updates); unblock it at ${label}`,
          "permanent",
          "account",
        );
      case "badsys":
        return fail(
          `${label} refused the update of ${host}: the "system" parameter is not one it accepts (badsys); check providers.${id}.server and preset`,
          "permanent",
          "account",
        );
      case "interval":
        return fail(
          `${label} refused the update of ${host}: updates came too close together (interval); homing sends nothing to it for ${formatDuration(RETRY_AFTER_INTERVAL_MS)}`,
          "rate_limited",
          false,
          RETRY_AFTER_INTERVAL_MS,
        );
      case "dnserr":
        return fail(
          `${label} had a DNS error on its side while updating ${host} (dnserr); homing tries again on the next run`,
          "transient",
          false,
        );
      default:
        // "911": a problem or maintenance at the service; No-IP asks for at least 30 minutes.
        return fail(
          `${label} reported a server problem or maintenance (911); homing sends nothing to it for ${formatDuration(RETRY_AFTER_911_MS)}`,
          "rate_limited",
          false,
          RETRY_AFTER_911_MS,
        );
    }
  }
}

/** Whether an error stops every further request to the account in this run. */
export function stopsAccount(error: ProviderError): boolean {
  return isAccountWide(error) || ACCOUNT_CODES.has(error.code ?? "");
}
