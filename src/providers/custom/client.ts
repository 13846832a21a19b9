import { formatDuration } from "../../core/duration.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { ProviderError, type ProviderErrorKind } from "../../errors.ts";
import { httpRequest } from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryAfterMs, retryTransient } from "../retry.ts";
import { userAgent } from "../update-url.ts";

export const PLACEHOLDERS = ["name", "ip", "type", "ipv4", "ipv6", "secret"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

const PLACEHOLDER = /\{([a-z0-9_]+)\}/g;

/** The `{word}` placeholders a template uses (known or not). */
export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
}

/** Replaces the known placeholders; `encode` is applied to each value (URL templates). */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  encode: (value: string) => string = (value) => value,
): string {
  return template.replace(PLACEHOLDER, (whole, key: string) =>
    (PLACEHOLDERS as readonly string[]).includes(key) ? encode(values[key as Placeholder]) : whole,
  );
}

const RATE_LIMIT_DEFAULT_MS = 30 * 60_000;

export interface CustomRequest {
  method: "GET" | "POST" | "PUT" | "PATCH";
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** For messages: "home.example.com A 81.2.69.142". */
  what: string;
}

export interface CustomClientOptions {
  id: string;
  label: string;
  secret: Secret | undefined;
  successStatus: readonly number[] | undefined;
  successBody: RegExp | undefined;
  timeoutMs: number;
  context: ProviderContext;
}

/**
 * Sends one templated update request and decides success from the status (default any 2xx) and
 * the optional body pattern. URLs may hold the secret, so they are never logged or quoted: messages
 * name the service and the record only.
 */
export class CustomClient {
  readonly #options: CustomClientOptions;

  constructor(options: CustomClientOptions) {
    this.#options = options;
  }

  #error(message: string, kind: ProviderErrorKind, extra: { code?: string; retryAfterMs?: number } = {}) {
    return new ProviderError(message, { kind, provider: this.#options.id, ...extra });
  }

  #shown(body: string): string {
    const secrets = this.#options.secret ? [this.#options.secret.reveal()] : [];
    return excerpt(redact(body, secrets), 60);
  }

  async send(request: CustomRequest, signal: AbortSignal): Promise<void> {
    await retryTransient(() => this.#sendOnce(request, signal), { context: this.#options.context, signal });
  }

  async #sendOnce(request: CustomRequest, signal: AbortSignal): Promise<void> {
    const { label } = this.#options;
    const url = new URL(request.url);
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      response = await httpRequest(url, {
        method: request.method,
        headers: { "user-agent": userAgent(), ...request.headers },
        ...(request.body !== undefined ? { body: request.body } : {}),
        timeoutMs: this.#options.timeoutMs,
        maxBytes: 64 * 1024,
        signal,
        purpose: `${label}: update of ${request.what}`,
        // The origin only: a template may put a secret anywhere in the path or query.
        hidePath: true,
      });
    } catch (error) {
      const { why, kind } = exchangeFailure(error);
      throw this.#error(
        `${label} update of ${request.what} failed: ${why}; homing tries again on the next run`,
        kind,
      );
    }
    const { status } = response;
    const said = `HTTP ${status}${response.body.trim() ? ` ("${this.#shown(response.body)}")` : ""}`;
    const statusOk = this.#options.successStatus
      ? this.#options.successStatus.includes(status)
      : status >= 200 && status < 300;
    if (statusOk) {
      if (!this.#options.successBody || this.#options.successBody.test(response.body)) return;
      throw this.#error(
        `${label} answered ${said} to the update of ${request.what}, which does not match success_body; check the service, or providers.${this.#options.id}.success_body`,
        "permanent",
        { code: "body_mismatch" },
      );
    }
    if (status === 401 || status === 403) {
      throw this.#error(
        `${label} refused the update of ${request.what} with ${said}: check the secret (from ${this.#options.secret?.origin ?? "nowhere: none is configured"}) and providers.${this.#options.id}.headers`,
        "auth",
        { code: `http_${status}` },
      );
    }
    if (status === 429) {
      const wait = retryAfterMs(response.headers["retry-after"]) ?? RATE_LIMIT_DEFAULT_MS;
      throw this.#error(
        `${label} is rate-limiting updates (${said}); homing sends nothing to it for ${formatDuration(wait)}`,
        "rate_limited",
        { code: "http_429", retryAfterMs: wait },
      );
    }
    if (status >= 500) {
      throw this.#error(
        `${label} update of ${request.what} failed: ${said}; homing tries again on the next run`,
        "transient",
      );
    }
    throw this.#error(
      `${label} refused the update of ${request.what} with ${said}: check providers.${this.#options.id}.url, method, body and headers`,
      "permanent",
      { code: `http_${status}` },
    );
  }
}
