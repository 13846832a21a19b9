import { channel } from "node:diagnostics_channel";
import type { IncomingHttpHeaders } from "node:http";
import { describeConnectionFailure } from "../core/connection-failure.ts";
import { linkedController } from "../platform/abort.ts";

/** One finished exchange, as `httpRequest` publishes it on `HTTP_EXCHANGES`. */
export interface HttpExchange {
  method: string;
  /** The URL as requested, secrets and all: a subscriber shows it through `shownUrl` only. */
  url: URL;
  /** The status, when a response came. */
  status?: number;
  /** Why no usable response came (an `HttpRequestError` message, which names the origin only). */
  failure?: string;
  ms: number;
  purpose?: string;
  hidePath?: boolean;
}

/**
 * Every exchange of every caller (providers, detection, notifications), published when it ends, so
 * the debug log (src/http/exchange-log.ts, subscribed by main) sees them all from this one place
 * without a logger threaded through each caller. Publishing costs nothing without a subscriber.
 */
export const HTTP_EXCHANGES = channel("homing:http-exchange");

export interface HttpRequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
  headers?: Record<string, string>;
  body?: string;
  /** Resolve and dial only this address family (detection must ask over the family it detects). */
  family?: 4 | 6;
  /** Deadline for the whole exchange, body included: a trickling server cannot hold us. */
  timeoutMs: number;
  /** Bodies larger than this are refused, so a broken source cannot exhaust memory. */
  maxBytes: number;
  /** Caller's cancellation (run deadline, shutdown, quorum reached). */
  signal?: AbortSignal;
  /** What the exchange is for, in its debug line ("DreamHost dns-list_records"); never a secret. */
  purpose?: string;
  /**
   * The path may hold a secret the logger does not know (a custom URL template written with its
   * token inline): the debug line shows the origin only.
   */
  hidePath?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export type HttpFailureKind = "timeout" | "aborted" | "network" | "too_large";

/** A request that produced no usable response. The message names the origin only, never the query. */
export class HttpRequestError extends Error {
  override readonly name = "HttpRequestError";
  readonly kind: HttpFailureKind;
  readonly code: string | undefined;
  /** A certificate or TLS handshake problem (src/core/connection-failure.ts): another try soon does not help. */
  readonly tls: boolean;

  constructor(
    kind: HttpFailureKind,
    message: string,
    options: { code?: string; tls?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.code = options.code;
    this.tls = options.tls ?? false;
  }
}

/**
 * One HTTP(S) exchange on node:http, not global fetch: it can pin the address family, it loads
 * much less at startup, and every byte is under one deadline. No keep-alive: a cron run must not
 * keep sockets that hold the process open.
 */
export async function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const transport = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  const where = url.origin;
  let timedOut = false;
  const { controller, dispose } = linkedController(options.signal, {
    timeoutMs: options.timeoutMs,
    onTimeout: () => {
      timedOut = true;
    },
  });
  const signal = controller.signal;
  const abortError = (): HttpRequestError => {
    if (timedOut)
      return new HttpRequestError("timeout", `${where}: no answer within ${options.timeoutMs} ms`);
    const reason = signal.reason as { name?: string } | undefined;
    if (reason?.name === "TimeoutError")
      return new HttpRequestError("timeout", `${where}: the run's deadline passed`);
    return new HttpRequestError("aborted", `${where}: cancelled`);
  };
  const method = options.method ?? "GET";
  const started = performance.now();
  const published = (exchange: Omit<HttpExchange, "method" | "url" | "ms">) => {
    if (HTTP_EXCHANGES.hasSubscribers) {
      const ms = Math.round(performance.now() - started);
      const shown = {
        ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
        ...(options.hidePath ? { hidePath: true } : {}),
      };
      HTTP_EXCHANGES.publish({ method, url, ms, ...shown, ...exchange } satisfies HttpExchange);
    }
  };
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal.aborted) {
      dispose();
      reject(abortError());
      return;
    }
    const headers: Record<string, string> = { "user-agent": "homing", ...options.headers };
    if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
    const request = transport.request(url, {
      method,
      headers,
      agent: false,
      ...(options.family ? { family: options.family } : {}),
    });
    let settled = false;
    const fail = (error: HttpRequestError) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      dispose();
      request.destroy();
      published({ failure: error.message });
      reject(error);
    };
    const onAbort = () => fail(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code;
      const { text, tls } = describeConnectionFailure(error, {
        host: url.hostname.replace(/^\[|\]$/g, ""),
        now: new Date(),
      });
      fail(
        new HttpRequestError("network", `${where}: ${text}`, {
          ...(code ? { code } : {}),
          tls,
          cause: error,
        }),
      );
    });
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          fail(
            new HttpRequestError(
              "too_large",
              `${where}: the response is larger than ${options.maxBytes} bytes`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      response.on("error", (error: NodeJS.ErrnoException) => {
        fail(new HttpRequestError("network", `${where}: the response was cut off`, { cause: error }));
      });
      response.on("aborted", () =>
        fail(new HttpRequestError("network", `${where}: the response was cut off`)),
      );
      response.on("end", () => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        dispose();
        published({ status: response.statusCode ?? 0 });
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    request.end(options.body);
  });
}
