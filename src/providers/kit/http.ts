/**
 * The HTTP layer every HTTP provider shares: one request shape (JSON, form or raw bodies, a query),
 * the service's auth applied per request, one deadline and size cap per exchange, the shared retry
 * policy for transient failures, one Retry-After parser, and one mapping of statuses and transport
 * failures to ProviderError kinds. Every excerpt of a reply that reaches a message is redacted for
 * the account's secrets in every encoding first (`redact`).
 */
import { formatDuration, parseDuration } from "../../core/duration.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { ConfigError, type HaltScope, ProviderError, type ProviderErrorKind } from "../../errors.ts";
import { httpRequest } from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryAfterMs, retryTransient } from "../retry.ts";

export { retryAfterMs };

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRequest {
  method: Method;
  /** Relative to the endpoint ("dns/retrieve/example.com"), or absolute (a pagination link). */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as it is, with `contentType`. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** What the call does, for messages: "list the records of example.com". */
  what: string;
  /** Statuses besides 2xx that the caller reads itself (a 404 meaning "no such record"). */
  accept?: readonly number[];
}

export interface ApiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request as it goes out, for auth schemes that sign it. */
export interface OutgoingRequest {
  method: Method;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface ApiOptions {
  /** The provider id (`[providers.<id>]`). */
  id: string;
  /** The service's name in messages ("Porkbun"). */
  label: string;
  endpoint: URL;
  timeoutMs: number;
  context: Pick<ProviderContext, "sleep" | "random" | "logger">;
  /** Every secret of the account: redacted from every excerpt, in every encoding. */
  secrets: readonly Secret[];
  /** What to do about rejected credentials: "create an API key at … with the permission …". */
  authHelp: string;
  /**
   * Adds the credentials to a request (headers, a signature). `signal` is the call's, for auth that
   * makes a request of its own (an OAuth2 token exchange, `oauth.ts`).
   */
  authorize?: (request: OutgoingRequest, signal: AbortSignal) => void | Promise<void>;
  /** The service's error text in a reply body (its error envelope), when it has one. */
  errorText?: (body: unknown) => string | undefined;
  /** A reply the service means as an error whatever its status (an envelope with status "ERROR"). */
  refusal?: (reply: ApiReply, body: unknown) => { kind: ProviderErrorKind; said: string } | undefined;
  /** The back-off after a 429 without a usable Retry-After (default one minute). */
  rateLimitMs?: number;
  /** Largest reply read (default 8 MiB). */
  maxBytes?: number;
}

/**
 * The Api of a provider whose config has the kit's `endpoint` and `timeout` (restEntries): the
 * parts every provider fills the same way, so a provider states only what is its own.
 */
export function apiFor(
  id: string,
  config: { endpoint: string; timeout: string },
  context: ApiOptions["context"],
  options: Omit<ApiOptions, "id" | "endpoint" | "timeoutMs" | "context">,
): Api {
  return new Api({
    id,
    endpoint: endpointUrl(config.endpoint, id),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    ...options,
  });
}

/** The endpoint as a base URL ending in "/", or a ConfigError naming the key. */
export function endpointUrl(value: string, providerId: string, key = "endpoint"): URL {
  let url: URL;
  try {
    url = new URL(value.endsWith("/") ? value : `${value}/`);
  } catch {
    throw new ConfigError([`providers.${providerId}.${key}: "${value}" is not a URL`]);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError([`providers.${providerId}.${key}: expected an https:// URL`]);
  return url;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One service's API: every request of a provider goes through `call`. */
export class Api {
  readonly options: ApiOptions;

  constructor(options: ApiOptions) {
    this.options = options;
    // Every line the logger writes is redacted for them too: the debug line of each exchange
    // (src/http/exchange-log.ts) shows the path, where some services take a token (FreeDNS's /u/{token}/).
    for (const secret of options.secrets) options.context.logger.addSecret(secret.reveal());
  }

  get label(): string {
    return this.options.label;
  }

  error(
    message: string,
    kind: ProviderErrorKind,
    extra: { code?: string; retryAfterMs?: number; halt?: HaltScope } = {},
  ) {
    return new ProviderError(message, { kind, provider: this.options.id, ...extra });
  }

  /** Untrusted reply text made safe for a message: secrets redacted in every encoding, one bounded line. */
  shown(text: string, max = 120): string {
    return excerpt(
      redact(
        text,
        this.options.secrets.map((secret) => secret.reveal()),
      ),
      max,
    );
  }

  /** A success reply that does not show the value written, quoted for `confirmAdd` (a Proof). */
  unproven(body: unknown): { reply: string } {
    const text = typeof body === "string" ? body : (JSON.stringify(body) ?? "");
    return { reply: `"${this.shown(text, 80)}"` };
  }

  /** What the reply said: the service's error text, else an excerpt of the body. */
  said(reply: ApiReply): string {
    const parsed = safeJson(reply.text);
    const text = parsed === undefined ? undefined : this.options.errorText?.(parsed);
    return this.shown(text ?? reply.text) || "an empty reply";
  }

  #url(request: ApiRequest): URL {
    const url = new URL(request.path, this.options.endpoint);
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) url.searchParams.append(name, String(value));
    return url;
  }

  async #exchange(request: ApiRequest, signal: AbortSignal): Promise<ApiReply> {
    const { label, timeoutMs } = this.options;
    const headers: Record<string, string> = { accept: "application/json", ...request.headers };
    let body = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers["content-type"] = "application/json";
    } else if (request.form !== undefined) {
      body = new URLSearchParams(request.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (body !== undefined && request.contentType) headers["content-type"] = request.contentType;
    const outgoing: OutgoingRequest = { method: request.method, url: this.#url(request), headers, body };
    await this.options.authorize?.(outgoing, signal);
    let reply: ApiReply;
    try {
      const response = await httpRequest(outgoing.url, {
        method: outgoing.method,
        headers: outgoing.headers,
        ...(outgoing.body !== undefined ? { body: outgoing.body } : {}),
        timeoutMs,
        maxBytes: this.options.maxBytes ?? 8 * 1024 * 1024,
        signal,
        purpose: `${label}: ${request.what}`,
      });
      reply = { status: response.status, headers: response.headers, text: response.body };
    } catch (error) {
      const { why, kind } = exchangeFailure(error);
      throw this.error(`${label} could not ${request.what}: ${why}; homing retries later`, kind);
    }
    // The exchange itself (method, redacted URL, status, time) is logged at debug by
    // src/http/exchange-log.ts, for every request homing makes.
    return this.#classify(request, reply);
  }

  #classify(request: ApiRequest, reply: ApiReply): ApiReply {
    const { label, id } = this.options;
    const { status } = reply;
    if (status === 429) {
      const wait = retryAfterMs(reply.headers["retry-after"]) ?? this.options.rateLimitMs ?? 60_000;
      throw this.error(
        `${label} is rate-limiting this account (HTTP 429, ${this.said(reply)}) while trying to ${request.what}; homing makes no changes for ${formatDuration(wait)}, then tries again`,
        "rate_limited",
        { retryAfterMs: wait },
      );
    }
    if (status >= 500) {
      throw this.error(
        `${label} could not ${request.what}: HTTP ${status} (${this.said(reply)}); the service is having trouble, homing retries later`,
        "transient",
      );
    }
    if (status >= 300 && status < 400) {
      throw this.error(
        `${label} answered HTTP ${status} (a redirect) when asked to ${request.what}: set providers.${id}.endpoint to the URL the API answers at`,
        "permanent",
      );
    }
    const parsed = reply.text ? safeJson(reply.text) : undefined;
    const refused = this.options.refusal?.(reply, parsed);
    if (refused) {
      throw this.error(
        `${label} refused to ${request.what} (HTTP ${status}, ${this.shown(refused.said)})${refused.kind === "auth" ? `: ${this.options.authHelp}` : ""}`,
        refused.kind,
      );
    }
    if (request.accept?.includes(status)) return reply;
    if (status === 401 || status === 403) {
      const origins = [...new Set(this.options.secrets.map((secret) => secret.origin))].join(", ");
      throw this.error(
        `${label} ${status === 401 ? "rejected the credentials" : "did not allow the credentials"} from ${origins} (HTTP ${status}, ${this.said(reply)}) when asked to ${request.what}: ${this.options.authHelp}`,
        "auth",
      );
    }
    if (status >= 400) {
      throw this.error(
        `${label} refused to ${request.what} (HTTP ${status}, ${this.said(reply)})`,
        "permanent",
        {
          code: String(status),
        },
      );
    }
    return reply;
  }

  /**
   * One request, retried on transient failures (transport, 5xx) with jittered back-off inside the
   * caller's deadline. Resolves with a 2xx reply (or an accepted status); rejects with a classified
   * ProviderError otherwise.
   */
  call(request: ApiRequest, signal: AbortSignal): Promise<ApiReply> {
    return retryTransient(() => this.#exchange(request, signal), { context: this.options.context, signal });
  }

  /** `call`, then the body as JSON (a reply that is not JSON is a transient error naming the call). */
  async json(request: ApiRequest, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
    const reply = await this.call(request, signal);
    if (reply.text.trim() === "") return { status: reply.status, body: undefined };
    const body = safeJson(reply.text);
    if (body === undefined) {
      throw this.error(
        `${this.options.label} could not ${request.what}: HTTP ${reply.status} with a reply that is not JSON ("${this.shown(reply.text, 40)}"); homing retries later`,
        "transient",
      );
    }
    return { status: reply.status, body };
  }
}

/** `Authorization: Bearer <token>`. */
export function bearer(token: Secret): (request: OutgoingRequest) => void {
  return (request) => {
    request.headers.authorization = `Bearer ${token.reveal()}`;
  };
}

/** A header that carries a secret as it is (`X-API-Key`, `Auth-API-Token`, …). */
export function headerAuth(name: string, value: () => string): (request: OutgoingRequest) => void {
  return (request) => {
    request.headers[name.toLowerCase()] = value();
  };
}

/** HTTP basic auth. */
export function basicAuth(user: () => string, password: Secret): (request: OutgoingRequest) => void {
  return (request) => {
    request.headers.authorization = `Basic ${Buffer.from(`${user()}:${password.reveal()}`).toString("base64")}`;
  };
}
