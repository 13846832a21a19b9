/**
 * The debug log of every HTTP exchange (`-vv`, `homing explain`): method, URL as `shownUrl` shows
 * it (query values and user info removed; secrets in the path are redacted by the logger), status
 * or failure, and time. One line per exchange, from the one place every request passes through
 * (`httpRequest` publishes on `HTTP_EXCHANGES`).
 */
import type { Logger } from "../platform/log.ts";
import { HTTP_EXCHANGES, type HttpExchange } from "./request.ts";
import { shownUrl } from "./shown-url.ts";

export function exchangeLine(exchange: HttpExchange): string {
  const what = exchange.purpose === undefined ? "" : ` (${exchange.purpose})`;
  const outcome =
    exchange.status !== undefined
      ? `${exchange.status} in ${exchange.ms} ms`
      : `no response in ${exchange.ms} ms: ${exchange.failure}`;
  const url = exchange.hidePath ? `${exchange.url.origin}/… (path not shown)` : shownUrl(exchange.url);
  return `HTTP ${exchange.method} ${url} -> ${outcome}${what}`;
}

/** Logs every exchange from now on at debug; returns the function that stops it. */
export function logHttpExchanges(logger: Logger): () => void {
  const onExchange = (message: unknown) => logger.debug(exchangeLine(message as HttpExchange));
  HTTP_EXCHANGES.subscribe(onExchange);
  return () => HTTP_EXCHANGES.unsubscribe(onExchange);
}
