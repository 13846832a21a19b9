/**
 * OAuth2 access tokens for the services that take a bearer token exchanged for longer-lived
 * credentials first (RFC 6749 §4.4 client credentials: Azure, Mythic Beasts; RFC 7523 JWT bearer:
 * Google service accounts). One token per provider, shared by concurrent calls, kept until shortly
 * before its `expires_in`, then exchanged again. The exchange goes through `Api`, so it has the same
 * deadline, retries, Retry-After handling and redaction as every other call; an OAuth error reply
 * (`{"error":"invalid_client","error_description":…}`) is an auth error that says what to fix. The
 * token endpoint is a URL of its own (configurable, so tests point it at an emulator).
 */
import * as v from "valibot";
import type { Secret } from "../../core/secret.ts";
import { ProviderError } from "../../errors.ts";
import { Api, type ApiOptions, basicAuth, endpointUrl, type OutgoingRequest } from "./http.ts";
import { parseReply, ttlNumber } from "./reply.ts";

/** A token endpoint from the config (`providers.<id>.<key>`), as it is: no "/" added. */
export function tokenUrl(value: string, providerId: string, key: string): URL {
  const url = endpointUrl(value, providerId, key);
  if (!value.endsWith("/")) url.pathname = url.pathname.replace(/\/$/, "");
  return url;
}

/** What every token exchange needs: the Api options of the provider, and where its tokens come from. */
export type TokenEndpoint = Pick<
  ApiOptions,
  "id" | "label" | "timeoutMs" | "context" | "secrets" | "authHelp"
> & {
  /** The token endpoint, e.g. https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token. */
  url: URL;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
};

export interface OAuthGrant {
  /** The form fields of one exchange (made anew each time: an assertion carries its own time). */
  form(): Record<string, string>;
  /** Client authentication in a header (HTTP Basic), when the service wants it there. */
  authorize?: (request: OutgoingRequest) => void;
}

const TokenReply = v.object({
  access_token: v.pipe(v.string(), v.minLength(1)),
  expires_in: v.optional(ttlNumber),
});
const OAuthError = v.object({ error: v.string(), error_description: v.optional(v.string()) });

/** Error codes that mean "try later" (RFC 6749 §5.2 plus the authorization-endpoint ones). */
const TRANSIENT_ERRORS = new Set(["server_error", "temporarily_unavailable"]);

/**
 * A transient failure of the exchange (already retried by `Api.call`) is answered from memory this
 * long, so the retries of the call that needed the token do not repeat the whole exchange.
 */
const FAILURE_MEMORY_MS = 10_000;

/** A token with no `expires_in` is kept this long. */
const DEFAULT_LIFETIME_S = 300;

export class OAuthToken {
  readonly api: Api;
  readonly #grant: OAuthGrant;
  readonly #url: URL;
  readonly #now: () => number;
  #cached: { token: string; until: number } | undefined;
  #pending: Promise<string> | undefined;
  #failed: { error: unknown; until: number } | undefined;

  constructor(endpoint: TokenEndpoint, grant: OAuthGrant) {
    const { url, now, ...options } = endpoint;
    this.#grant = grant;
    this.#url = url;
    this.#now = now ?? Date.now;
    this.api = new Api({
      ...options,
      endpoint: url,
      ...(grant.authorize ? { authorize: grant.authorize } : {}),
      errorText: (body) =>
        v.is(OAuthError, body) ? [body.error, body.error_description].filter(Boolean).join(": ") : undefined,
      refusal: (reply, body) => {
        if (reply.status < 400 || reply.status >= 500 || !v.is(OAuthError, body)) return undefined;
        const said = [body.error, body.error_description].filter(Boolean).join(": ");
        return { kind: TRANSIENT_ERRORS.has(body.error) ? "transient" : "auth", said };
      },
    });
  }

  /** A valid access token: the cached one, or a fresh exchange (one at a time). */
  token(signal: AbortSignal): Promise<string> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.until) return Promise.resolve(cached.token);
    const failed = this.#failed;
    if (failed && this.#now() < failed.until) return Promise.reject(failed.error);
    this.#pending ??= this.#exchange(signal)
      .catch((error: unknown) => {
        if (error instanceof ProviderError && error.kind === "transient")
          this.#failed = { error, until: this.#now() + FAILURE_MEMORY_MS };
        throw error;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  /** Forgets the cached token (the service said it is no longer valid). */
  forget(): void {
    this.#cached = undefined;
    this.#failed = undefined;
  }

  /**
   * An `ApiOptions.refusal` for the service's API: a 401 means the token is no longer good (revoked,
   * or expired early), so the next call exchanges the credentials again; then `inner`, if any.
   */
  refusal(inner?: ApiOptions["refusal"]): NonNullable<ApiOptions["refusal"]> {
    return (reply, body) => {
      if (reply.status === 401) this.forget();
      return inner?.(reply, body);
    };
  }

  /** `Authorization: Bearer <token>`, as an `ApiOptions.authorize`. */
  readonly authorize = async (request: OutgoingRequest, signal: AbortSignal): Promise<void> => {
    request.headers.authorization = `Bearer ${await this.token(signal)}`;
  };

  async #exchange(signal: AbortSignal): Promise<string> {
    const what = `get an access token from ${this.#url.origin}${this.#url.pathname}`;
    const { body } = await this.api.json(
      { method: "POST", path: this.#url.href, form: this.#grant.form(), what },
      signal,
    );
    const reply = parseReply(this.api, TokenReply, body, what);
    const lifetime = reply.expires_in ?? DEFAULT_LIFETIME_S;
    // Renewed a minute before it runs out (half-way for short-lived tokens), so a call never
    // carries a token that expires on the way.
    const margin = Math.min(60, lifetime / 2);
    this.#cached = { token: reply.access_token, until: this.#now() + (lifetime - margin) * 1000 };
    return reply.access_token;
  }
}

/**
 * RFC 6749 §4.4: `grant_type=client_credentials`, the client authenticated either in the form
 * (`client_id` + `client_secret`: Entra ID) or with HTTP Basic (`basic: true`: Mythic Beasts).
 */
export function clientCredentials(
  endpoint: TokenEndpoint,
  client: { id: string; secret: Secret; scope?: string; basic?: boolean },
): OAuthToken {
  const scope = client.scope === undefined ? {} : { scope: client.scope };
  if (client.basic) {
    return new OAuthToken(endpoint, {
      form: () => ({ grant_type: "client_credentials", ...scope }),
      authorize: basicAuth(() => client.id, client.secret),
    });
  }
  return new OAuthToken(endpoint, {
    form: () => ({
      grant_type: "client_credentials",
      client_id: client.id,
      client_secret: client.secret.reveal(),
      ...scope,
    }),
  });
}

/** RFC 7523 §2.1: a signed JWT exchanged for a token (a Google service account's assertion). */
export function jwtBearer(endpoint: TokenEndpoint, assertion: () => string): OAuthToken {
  return new OAuthToken(endpoint, {
    form: () => ({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: assertion() }),
  });
}
