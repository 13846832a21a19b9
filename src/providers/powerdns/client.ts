import { formatDuration } from "../../core/duration.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { ProviderError } from "../../errors.ts";
import {
  HttpRequestError,
  type HttpRequestOptions,
  type HttpResponse,
  httpRequest,
} from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryAfterMs, retryTransient } from "../retry.ts";

/** A whole zone with its RRsets can be large; anything beyond this is not a zone homing should read. */
const MAX_BYTES = 64 * 1024 * 1024;

/** PowerDNS itself never rate-limits; a reverse proxy in front of it may. Used when it gives no Retry-After. */
export const RATE_LIMIT_BACKOFF_MS = 15 * 60 * 1000;

export interface PowerDnsClientOptions {
  id: string;
  endpoint: string;
  serverId: string;
  key: Secret;
  timeoutMs: number;
  context: ProviderContext;
}

export interface ApiReply {
  status: number;
  /** The parsed JSON body; undefined for an empty body (204) or a non-JSON body of an accepted status. */
  json: unknown;
}

export interface CallSpec {
  method: "GET" | "PATCH";
  /** Path below the server, e.g. "/zones/example.com." ("" for the server itself). */
  path: string;
  body?: unknown;
  /** Statuses the caller handles itself (besides 2xx), e.g. 404 while looking for a zone. */
  accept?: readonly number[];
  /** What the call does, for messages: "reading zone example.com", "replacing home.example.com A". */
  what: string;
}

/** The base URL without a trailing slash and without a pasted "/api/v1" (homing adds that itself). */
export function apiBase(endpoint: string): string {
  return endpoint
    .trim()
    .replace(/\/+$/, "")
    .replace(/\/api(?:\/v1)?$/, "");
}

/**
 * The wire side of the PowerDNS Authoritative HTTP API: JSON over HTTP with the key in the
 * `X-API-Key` header (never in a URL), every call under a deadline, answers classified into
 * ProviderError kinds. 5xx and transport failures are retried a few times; a PATCH that REPLACEs an
 * RRset is idempotent, so retrying one whose answer was lost is safe.
 */
export class PowerDnsClient {
  readonly #options: PowerDnsClientOptions;
  readonly #base: string;

  constructor(options: PowerDnsClientOptions) {
    this.#options = options;
    this.#base = apiBase(options.endpoint);
  }

  /** Where the API lives, for messages (origin only). */
  get origin(): string {
    return new URL(this.#base).origin;
  }

  #error(message: string, kind: ProviderError["kind"], code?: string, retryAfter?: number): ProviderError {
    return new ProviderError(message, {
      kind,
      provider: this.#options.id,
      ...(code ? { code } : {}),
      ...(retryAfter ? { retryAfterMs: retryAfter } : {}),
    });
  }

  /** Untrusted server text, made safe for a message: the key redacted first, then cut to one short line. */
  shown(text: string, max = 200): string {
    return excerpt(redact(text, [this.#options.key.reveal()]), max);
  }

  /** The server's own words from an error body: `{"error": "..."}`, else a short excerpt of the text. */
  #said(body: string): string {
    let text = body;
    try {
      const parsed = JSON.parse(body) as { error?: unknown };
      if (typeof parsed?.error === "string") text = parsed.error;
    } catch {
      // Not JSON: PowerDNS answers 401/404/400 with a plain-text reason phrase.
    }
    // Redact before cutting: an excerpt that ends inside an echoed key would slip past later redaction.
    return this.shown(text);
  }

  async #exchange(spec: CallSpec, signal: AbortSignal): Promise<HttpResponse> {
    const url = new URL(
      `${this.#base}/api/v1/servers/${encodeURIComponent(this.#options.serverId)}${spec.path}`,
    );
    const headers: Record<string, string> = {
      "x-api-key": this.#options.key.reveal(),
      accept: "application/json",
    };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    try {
      return await httpRequest(url, {
        // request.ts types only GET and POST, but passes the method to node:http as it is.
        method: spec.method as NonNullable<HttpRequestOptions["method"]>,
        headers,
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        timeoutMs: this.#options.timeoutMs,
        maxBytes: MAX_BYTES,
        signal,
        purpose: `PowerDNS: ${spec.what}`,
      });
    } catch (error) {
      const { why: what, kind } = exchangeFailure(error);
      const hint =
        error instanceof HttpRequestError && error.kind === "network"
          ? " (is pdns_server running with api=yes and webserver=yes at this address, and does webserver-allow-from include this host?)"
          : "";
      throw this.#error(
        `PowerDNS ${spec.what} failed: ${what}${hint}; homing retries on the next run`,
        kind,
        error instanceof HttpRequestError ? error.kind : undefined,
      );
    }
  }

  /** Classifies an answer that is not 2xx and not accepted by the caller. Returns transient errors to retry. */
  #classify(spec: CallSpec, response: HttpResponse): ProviderError {
    const { status } = response;
    const said = this.#said(response.body);
    const key = this.#options.key;
    const code = `http_${status}`;
    if (status === 401) {
      return this.#error(
        `PowerDNS rejected the API key from ${key.origin} (HTTP 401 "${said}"): check api_key; the PowerDNS API key is \`api-key\` in pdns.conf, and providers.${this.#options.id} must hold the same value`,
        "auth",
        code,
      );
    }
    if (status === 403) {
      return this.#error(
        `PowerDNS refused ${spec.what} (HTTP 403 "${said}"): check api_key (the PowerDNS API key is \`api-key\` in pdns.conf) and any proxy in front of the API`,
        "auth",
        code,
      );
    }
    if (status === 429) {
      const wait = retryAfterMs(response.headers["retry-after"]) ?? RATE_LIMIT_BACKOFF_MS;
      return this.#error(
        `PowerDNS API at ${this.origin} is rate-limiting homing (HTTP 429; PowerDNS itself has no rate limit, so a proxy in front of it does this); homing makes no changes for ${formatDuration(wait)}, then tries again`,
        "rate_limited",
        code,
        wait,
      );
    }
    if (status === 422) {
      const hint = /conflicts with pre-existing rrset/i.test(said)
        ? "another record at the name (usually a CNAME) is in the way: remove it at the server, or point homing at the CNAME's target"
        : "fix what the server names, then run homing again";
      return this.#error(`PowerDNS refused ${spec.what} (HTTP 422: "${said}"): ${hint}`, "permanent", code);
    }
    if (status === 404) {
      return this.#error(
        `PowerDNS ${spec.what} failed: HTTP 404 ("${said}"): check providers.${this.#options.id}.endpoint and server_id ("${this.#options.serverId}"; PowerDNS Authoritative uses "localhost")`,
        "permanent",
        code,
      );
    }
    if (status >= 500) {
      return this.#error(
        `PowerDNS ${spec.what} failed: HTTP ${status} ("${said}"); the server is having trouble (see its log), homing retries on the next run`,
        "transient",
        code,
      );
    }
    if (status >= 300 && status < 400) {
      return this.#error(
        `PowerDNS ${spec.what} failed: HTTP ${status} (a redirect): set providers.${this.#options.id}.endpoint to the URL the API answers at (http or https, host and port of the webserver)`,
        "permanent",
        code,
      );
    }
    return this.#error(`PowerDNS ${spec.what} failed: HTTP ${status} ("${said}")`, "permanent", code);
  }

  /**
   * One logical call, retried on transport failures and 5xx with jittered back-off inside the
   * caller's signal. Resolves for 2xx and the statuses in `spec.accept`; throws classified errors.
   */
  async call(spec: CallSpec, signal: AbortSignal): Promise<ApiReply> {
    const { context } = this.#options;
    return retryTransient(
      async () => {
        const started = Date.now();
        const response = await this.#exchange(spec, signal);
        context.logger.debug(
          `PowerDNS ${spec.method} ${spec.path || "/"}: HTTP ${response.status} (${Date.now() - started} ms)`,
        );
        const { status } = response;
        if ((status >= 200 && status < 300) || spec.accept?.includes(status)) {
          if (response.body.trim() === "") return { status, json: undefined };
          try {
            return { status, json: JSON.parse(response.body) };
          } catch {
            if (status >= 200 && status < 300) {
              throw this.#error(
                `PowerDNS ${spec.what} failed: the reply is not JSON ("${this.#said(response.body)}"); homing retries on the next run`,
                "transient",
                "garbage",
              );
            }
            return { status, json: undefined };
          }
        }
        throw this.#classify(spec, response);
      },
      { context, signal },
    );
  }
}
