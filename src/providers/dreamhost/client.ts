import { formatDuration } from "../../core/duration.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { ProviderError } from "../../errors.ts";
import { httpRequest } from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryTransient } from "../retry.ts";

/** DreamHost's documented throttle gives no reset time; the reference recommends at least an hour. */
export const RATE_LIMIT_BACKOFF_MS = 60 * 60 * 1000;

const KEY_PERMISSIONS =
  'create a key at https://panel.dreamhost.com/?tree=home.api with the "dns-list_records", "dns-add_record" and ' +
  '"dns-remove_record" permissions (or "All dns functions")';

export type ApiResult = { ok: true; data: unknown } | { ok: false; code: string; detail: string | undefined };

export interface DreamHostClientOptions {
  id: string;
  endpoint: string;
  key: Secret;
  account: string | undefined;
  timeoutMs: number;
  context: ProviderContext;
}

/**
 * The wire side of DreamHost's API: POST form-encoded (the key never travels in a URL), JSON
 * replies parsed defensively (any key order, every field a string, `data` a string on error).
 */
export class DreamHostClient {
  readonly #options: DreamHostClientOptions;

  constructor(options: DreamHostClientOptions) {
    this.#options = options;
  }

  #providerError(
    message: string,
    kind: ProviderError["kind"],
    code?: string,
    retryAfterMs?: number,
  ): ProviderError {
    return new ProviderError(message, {
      kind,
      provider: this.#options.id,
      ...(code ? { code } : {}),
      ...(retryAfterMs ? { retryAfterMs } : {}),
    });
  }

  /** One HTTP exchange. Transport problems throw ProviderError(kind "transient"). */
  async #post(
    cmd: string,
    params: Record<string, string>,
    uniqueId: string,
    signal: AbortSignal,
  ): Promise<ApiResult> {
    const form = new URLSearchParams({
      key: this.#options.key.reveal(),
      cmd,
      format: "json",
      unique_id: uniqueId,
    });
    if (this.#options.account) form.set("account", this.#options.account);
    for (const [name, value] of Object.entries(params)) form.set(name, value);
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      response = await httpRequest(new URL(this.#options.endpoint), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        timeoutMs: this.#options.timeoutMs,
        maxBytes: 16 * 1024 * 1024,
        signal,
        purpose: `DreamHost ${cmd}`,
      });
    } catch (error) {
      const { why, kind } = exchangeFailure(error);
      throw this.#providerError(`DreamHost ${cmd} failed: ${why}`, kind);
    }
    // Redact before cutting: an excerpt that ends inside an echoed key would slip past later redaction.
    const shown = () => excerpt(redact(response.body, [this.#options.key.reveal()]), 40);
    if (response.status !== 200) {
      throw this.#providerError(
        `DreamHost ${cmd} failed: HTTP ${response.status} ("${shown()}"); DreamHost's API is having trouble, homing retries later`,
        "transient",
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      throw this.#providerError(
        `DreamHost ${cmd} failed: the reply is not JSON ("${shown()}"); homing retries later`,
        "transient",
      );
    }
    const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    if (record.result === "success") return { ok: true, data: record.data };
    if (record.result === "error") {
      // The error code is a string ("no_such_zone\tdetail"); anything else is a damaged reply.
      if (typeof record.data !== "string") {
        throw this.#providerError(
          `DreamHost ${cmd} failed: the error reply has no string "data" ("${shown()}"); homing retries later`,
          "transient",
        );
      }
      const [code = "", tabDetail] = record.data.split("\t");
      const detail = tabDetail ?? (typeof record.reason === "string" ? record.reason : undefined);
      return { ok: false, code, detail };
    }
    throw this.#providerError(
      `DreamHost ${cmd} failed: the reply has no "result" field; homing retries later`,
      "transient",
    );
  }

  /**
   * Runs one logical operation with one unique_id, retried on transport failures and
   * internal_error_* with jittered back-off. Resolves with the final API result; auth and rate-limit
   * errors are thrown as classified ProviderErrors with the fix in the message.
   */
  async call(
    cmd: string,
    params: Record<string, string>,
    signal: AbortSignal,
  ): Promise<ApiResult & { retried: boolean }> {
    // A success uses up its unique_id, reads included: a read retried after a lost reply needs a
    // fresh id (the same one would only earn unique_id_already_used). Mutations keep theirs.
    const mutating = cmd === "dns-add_record" || cmd === "dns-remove_record";
    const mutationId = globalThis.crypto.randomUUID();
    return retryTransient(
      async (attempt) => {
        const uniqueId = mutating ? mutationId : globalThis.crypto.randomUUID();
        const result = await this.#post(cmd, params, uniqueId, signal);
        if (result.ok) return { ...result, retried: attempt > 1 };
        this.#throwClassified(cmd, result);
        if (result.code.startsWith("internal_error")) {
          throw this.#providerError(
            `DreamHost ${cmd} failed with a server-side error (${result.code}); homing retries on the next run`,
            "transient",
            result.code,
          );
        }
        return { ...result, retried: attempt > 1 };
      },
      { context: this.#options.context, signal },
    );
  }

  #throwClassified(cmd: string, result: { code: string; detail: string | undefined }): void {
    const { code, detail } = result;
    const said = detail ? `${code}: ${detail}` : code;
    if (code === "no_key" || code === "invalid_api_key") {
      throw this.#providerError(
        `DreamHost rejected the API key from ${this.#options.key.origin} (${said}): ${KEY_PERMISSIONS}`,
        "auth",
        code,
      );
    }
    if (code === "this_key_cannot_access_this_cmd") {
      throw this.#providerError(
        `DreamHost says this API key may not run ${cmd} (${said}): ${KEY_PERMISSIONS}`,
        "auth",
        code,
      );
    }
    if (code === "invalid_account") {
      throw this.#providerError(
        `DreamHost says this key cannot use account "${this.#options.account}" (${said}): fix providers.${this.#options.id}.account`,
        "auth",
        code,
      );
    }
    if (code.startsWith("slow_down_bucko")) {
      throw this.#providerError(
        `DreamHost is rate-limiting this key (${said}); homing makes no changes for ${formatDuration(RATE_LIMIT_BACKOFF_MS)}, then tries again`,
        "rate_limited",
        code,
        RATE_LIMIT_BACKOFF_MS,
      );
    }
  }

  /** A reply value quoted for a message: JSON, redacted first, then cut short. */
  quote(data: unknown): string {
    const text = data === undefined ? "(none)" : JSON.stringify(data);
    return excerpt(redact(text, [this.#options.key.reveal()]), 80);
  }

  /** A fresh error for an unexpected API answer, with the code DreamHost gave. */
  unexpected(cmd: string, result: { code: string; detail: string | undefined }, what: string): ProviderError {
    const said = result.detail ? `${result.code}: ${result.detail}` : result.code;
    return this.#providerError(`DreamHost ${cmd} failed for ${what} (${said})`, "permanent", result.code);
  }
}
