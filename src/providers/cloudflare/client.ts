import { formatDuration } from "../../core/duration.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { ProviderError } from "../../errors.ts";
import { httpRequest } from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryAfterMs, retryTransient } from "../retry.ts";

/**
 * Cloudflare blocks every call of a user for five minutes once it passed 1200 requests in five
 * minutes (developers.cloudflare.com/fundamentals/api/reference/limits); used when a 429 carries no
 * usable Retry-After.
 */
export const RATE_LIMIT_BACKOFF_MS = 5 * 60 * 1000;

export const TOKEN_HELP =
  "create an API token at https://dash.cloudflare.com/profile/api-tokens with the permissions " +
  "Zone.DNS:Edit and Zone.Zone:Read, and include your zone in its Zone Resources";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface CloudflareApiError {
  code: number;
  message: string;
}

export interface ResultInfo {
  page: number;
  perPage: number;
  count: number;
  totalCount: number;
  totalPages: number;
}

export type ApiReply =
  | { ok: true; status: number; result: unknown; resultInfo: ResultInfo | undefined }
  | { ok: false; status: number; errors: CloudflareApiError[] };

export interface CloudflareClientOptions {
  id: string;
  /** API base URL, ending with "/". */
  endpoint: string;
  token: Secret;
  timeoutMs: number;
  context: ProviderContext;
}

export interface CallRequest {
  method: HttpMethod;
  /** Relative to the endpoint: "zones", "zones/<id>/dns_records". */
  path: string;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  /** What the call does, for messages: "list the records of home.example.com". */
  what: string;
}

/** Error codes that mean "the token itself is not accepted" (as opposed to "not allowed here"). */
const BAD_TOKEN_CODES = new Set([1000, 6003, 6111, 9106, 9109]);
/** "Authentication error": the token is valid but lacks a permission or the zone. */
const NOT_ALLOWED_CODE = 10000;

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** A real chain is one or two levels deep; a hostile reply must not exhaust the stack or the log. */
const MAX_ERROR_DEPTH = 8;
const MAX_ERRORS = 32;

/** Every error of an envelope, with the entries of `error_chain` flattened after their parent. */
function parseErrors(value: unknown, depth = 0, out: CloudflareApiError[] = []): CloudflareApiError[] {
  if (!Array.isArray(value) || depth >= MAX_ERROR_DEPTH) return out;
  for (const entry of value) {
    if (out.length >= MAX_ERRORS) break;
    if (typeof entry !== "object" || entry === null) continue;
    const record = entry as Record<string, unknown>;
    out.push({ code: num(record.code), message: typeof record.message === "string" ? record.message : "" });
    parseErrors(record.error_chain, depth + 1, out);
  }
  return out;
}

function parseResultInfo(value: unknown): ResultInfo | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const info = value as Record<string, unknown>;
  return {
    page: num(info.page),
    perPage: num(info.per_page),
    count: num(info.count),
    totalCount: num(info.total_count),
    totalPages: num(info.total_pages),
  };
}

/**
 * The wire side of Cloudflare's API v4: JSON over HTTPS with `Authorization: Bearer`, every reply an
 * envelope `{success, errors, messages, result}`. Transport failures, 5xx and garbled replies are
 * retried here; auth failures and rate limits are thrown classified; any other API error is handed
 * back to the caller, which knows what it means for its operation.
 */
export class CloudflareClient {
  readonly #options: CloudflareClientOptions;

  constructor(options: CloudflareClientOptions) {
    this.#options = options;
  }

  #error(message: string, kind: ProviderError["kind"], code?: number, retryAfter?: number): ProviderError {
    return new ProviderError(message, {
      kind,
      provider: this.#options.id,
      ...(code !== undefined ? { code: String(code) } : {}),
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  }

  /** Untrusted server text, made safe for a message: the token redacted, one bounded line. */
  #shown(text: string, max = 80): string {
    return excerpt(redact(text, [this.#options.token.reveal()]), max);
  }

  /** "9109: Invalid access token; 6111: Invalid format for Authorization header" */
  describe(errors: readonly CloudflareApiError[]): string {
    if (errors.length === 0) return "no error details";
    return errors.map((e) => `${e.code}: ${this.#shown(e.message)}`).join("; ");
  }

  /** One HTTP exchange. Transport problems, 5xx and unreadable replies throw ProviderError("transient"). */
  async #exchange(request: CallRequest, signal: AbortSignal): Promise<ApiReply> {
    const { endpoint, token, timeoutMs } = this.#options;
    const url = new URL(request.path, endpoint);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token.reveal()}`,
      accept: "application/json",
    };
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      response = await httpRequest(url, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        timeoutMs,
        maxBytes: 16 * 1024 * 1024,
        signal,
        purpose: `Cloudflare: ${request.what}`,
      });
    } catch (error) {
      const { why, kind } = exchangeFailure(error);
      throw this.#error(`Cloudflare could not ${request.what}: ${why}`, kind);
    }
    if (response.status === 429) {
      const errors = this.#tryErrors(response.body);
      const wait = retryAfterMs(response.headers["retry-after"]) ?? RATE_LIMIT_BACKOFF_MS;
      const said = errors.length ? `, ${this.describe(errors)}` : "";
      throw this.#error(
        `Cloudflare is rate-limiting this API token (HTTP 429${said}) while trying to ${request.what}; homing makes no changes for ${formatDuration(wait)}, then tries again`,
        "rate_limited",
        errors[0]?.code,
        wait,
      );
    }
    if (response.status >= 500) {
      const errors = this.#tryErrors(response.body);
      const said = errors.length ? this.describe(errors) : `"${this.#shown(response.body, 40)}"`;
      throw this.#error(
        `Cloudflare could not ${request.what}: HTTP ${response.status} (${said}); Cloudflare's API is having trouble, homing retries later`,
        "transient",
        errors[0]?.code,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      if (response.status === 404) {
        throw this.#error(
          `Cloudflare could not ${request.what}: HTTP 404 with a reply that is not JSON ("${this.#shown(response.body, 40)}"); is providers.${this.#options.id}.endpoint the API's base URL (https://api.cloudflare.com/client/v4/)?`,
          "permanent",
        );
      }
      throw this.#error(
        `Cloudflare could not ${request.what}: HTTP ${response.status} with a reply that is not JSON ("${this.#shown(response.body, 40)}"); homing retries later`,
        "transient",
      );
    }
    const envelope = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    if (typeof envelope.success !== "boolean") {
      throw this.#error(
        `Cloudflare could not ${request.what}: HTTP ${response.status} with a reply that has no "success" field; homing retries later`,
        "transient",
      );
    }
    if (envelope.success && response.status < 300) {
      return {
        ok: true,
        status: response.status,
        result: envelope.result,
        resultInfo: parseResultInfo(envelope.result_info),
      };
    }
    return { ok: false, status: response.status, errors: parseErrors(envelope.errors) };
  }

  #tryErrors(body: string): CloudflareApiError[] {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      return parseErrors(parsed?.errors);
    } catch {
      return [];
    }
  }

  /**
   * Runs one request, retried on transient failures with jittered back-off inside the caller's
   * deadline. Resolves with the envelope (success or an API error the caller must interpret);
   * rejects with a classified ProviderError for auth failures, rate limits and exhausted retries.
   */
  async call(request: CallRequest, signal: AbortSignal): Promise<ApiReply> {
    const reply = await retryTransient(() => this.#exchange(request, signal), {
      context: this.#options.context,
      signal,
    });
    if (!reply.ok) this.#throwIfAuth(request, reply);
    return reply;
  }

  #throwIfAuth(request: CallRequest, reply: { status: number; errors: CloudflareApiError[] }): void {
    const codes = reply.errors.map((e) => e.code);
    const said = this.describe(reply.errors);
    const origin = this.#options.token.origin;
    const badToken = reply.status === 401 || codes.some((code) => BAD_TOKEN_CODES.has(code));
    if (badToken) {
      const location = reply.errors.some((e) => /location/i.test(e.message))
        ? "; the token's Client IP Address Filtering does not include this host's address, so widen it or remove it"
        : "";
      throw this.#error(
        `Cloudflare rejected the API token from ${origin} (HTTP ${reply.status}, ${said})${location}: ${TOKEN_HELP}`,
        "auth",
        codes[0],
      );
    }
    if (reply.status === 403 || codes.includes(NOT_ALLOWED_CODE)) {
      throw this.#error(
        `Cloudflare did not let the API token from ${origin} ${request.what} (HTTP ${reply.status}, ${said}): the token lacks a permission or this zone; edit it at https://dash.cloudflare.com/profile/api-tokens to have Zone.DNS:Edit and Zone.Zone:Read with the zone in its Zone Resources`,
        "auth",
        codes[0],
      );
    }
  }

  /** A permanent error for an API answer the caller did not expect. */
  unexpected(
    what: string,
    reply: { status: number; errors: CloudflareApiError[] },
    hint?: string,
  ): ProviderError {
    return this.#error(
      `Cloudflare refused to ${what} (HTTP ${reply.status}, ${this.describe(reply.errors)})${hint ? `: ${hint}` : ""}`,
      "permanent",
      reply.errors[0]?.code,
    );
  }
}
