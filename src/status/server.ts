/**
 * The status server's node:http adapter: binds (loopback unless told otherwise), bounds every
 * request in time and size, builds a snapshot per request and hands it to the pure `route`. The
 * daemon loads this module lazily, only when `status.listen` is set.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Secret } from "../core/secret.ts";
import type { RoundContext } from "../engine/observer.ts";
import type { RoundReport } from "../engine/round.ts";
import { ConfigError, errorMessage } from "../errors.ts";
import { closer, hardenedServer, listenOn, MAX_BODY_BYTES, parseListen } from "../http/listener.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsObserver } from "./metrics.ts";
import { type RouteResponse, route, type StatusAuth } from "./routes.ts";
import { type BridgePushStatus, buildSnapshot, redactSnapshot, type StatusSnapshot } from "./snapshot.ts";

export { type ListenAddress, MAX_BODY_BYTES, parseListen } from "../http/listener.ts";

export interface StatusSource {
  context(): RoundContext;
  lastReport(): RoundReport | undefined;
  requestRound(): "started" | "busy";
  /** The router bridge's last push per client; undefined when the bridge is off. */
  pushes?(): BridgePushStatus[] | undefined;
}

export interface StatusServerOptions {
  /** "127.0.0.1:8080", "[::1]:8080", ":8080" (loopback), "0.0.0.0:8080" (every interface). Port 0 picks a free one. */
  listen: string;
  source: StatusSource;
  auth: StatusAuth;
  healthGraceMs: number;
  refreshSeconds: number;
  metrics: MetricsObserver;
  logger: Logger;
}

export interface StatusServer {
  /** A URL that reaches the server from this host, ending in "/". */
  url: string;
  /** Stops listening and closes every connection, keep-alive ones included. */
  close(): Promise<void>;
}

function secretValues(auth: StatusAuth): string[] {
  return [auth.bearer, auth.basicPassword, auth.updateToken]
    .filter((s): s is Secret => s !== undefined)
    .map((s) => s.reveal());
}

function send(req: IncomingMessage, res: ServerResponse, response: RouteResponse): void {
  res.writeHead(response.status, {
    ...response.headers,
    "content-length": String(Buffer.byteLength(response.body, "utf8")),
  });
  if (req.method === "HEAD") res.end();
  else res.end(response.body);
}

function plainError(status: number, message: string): RouteResponse {
  return {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "cache-control": "no-store",
    },
    body: `${message}\n`,
  };
}

/** Starts the status server; resolves once it listens. */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { source, auth, metrics, logger } = options;
  const address = parseListen(options.listen);
  if ((auth.basicUser === undefined) !== (auth.basicPassword === undefined)) {
    throw new ConfigError([
      "status.basic_user and status.basic_password (or basic_password_file) go together",
    ]);
  }
  for (const [key, secret] of [
    ["auth_token", auth.bearer],
    ["basic_password", auth.basicPassword],
    ["update_token", auth.updateToken],
  ] as const) {
    if (secret !== undefined && secret.reveal().length === 0) {
      throw new ConfigError([`status.${key} is empty (${secret.origin}); set a value or remove the key`]);
    }
  }
  const secrets = secretValues(auth);
  const snapshot = (): StatusSnapshot =>
    redactSnapshot(
      buildSnapshot(source.context(), source.lastReport(), {
        healthGraceMs: options.healthGraceMs,
        failingSince: metrics.failingSince(),
        pushes: source.pushes?.(),
      }),
      [...logger.secrets(), ...secrets],
    );

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?", 1)[0] as string;
    const finish = (response: RouteResponse) => {
      logger.debug(`status: ${method} ${path} ${response.status}`);
      send(req, res, response);
    };
    const declared = Number(req.headers["content-length"] ?? 0);
    if (!Number.isFinite(declared) || declared > MAX_BODY_BYTES) {
      res.shouldKeepAlive = false;
      finish(plainError(413, "request body too large"));
      res.on("finish", () => req.destroy());
      return;
    }
    let size = 0;
    let answered = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES && !answered) {
        answered = true;
        res.shouldKeepAlive = false;
        finish(plainError(413, "request body too large"));
        res.on("finish", () => req.destroy());
      }
    });
    req.on("error", () => {});
    req.on("end", () => {
      if (answered) return;
      answered = true;
      let response: RouteResponse;
      try {
        response = route(
          { method, path: req.url ?? "/", headers: req.headers },
          {
            auth,
            snapshot,
            counters: () => metrics.counters(),
            requestRound: () => source.requestRound(),
            refreshSeconds: options.refreshSeconds,
          },
        );
      } catch (error) {
        logger.error(`status page: ${method} ${path} failed: ${errorMessage(error)}`);
        response = plainError(500, "internal error; see the daemon's log");
      }
      finish(response);
    });
  };

  const server = hardenedServer(handle);
  const url = await listenOn(server, address, options.listen, "the status page");
  server.on("error", (error) => logger.error(`status server: ${errorMessage(error)}`));

  const anyAuth = auth.bearer !== undefined || auth.basicUser !== undefined;
  if (!address.loopback) {
    logger.warn(
      `the status page listens on ${options.listen}${address.wildcard ? " (every interface)" : ""}: it is reachable from the network` +
        (anyAuth ? "" : "; set status.auth_token or status.basic_user/basic_password to require a login"),
    );
  }
  logger.info(`status page at ${url}`);

  return { url, close: closer(server) };
}
