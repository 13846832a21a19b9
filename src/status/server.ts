/**
 * The status server's node:http adapter: binds (loopback unless told otherwise), bounds every
 * request in time and size, builds a snapshot per request and hands it to the pure `route`. The
 * daemon loads this module lazily, only when `status.listen` is set.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Secret } from "../core/secret.ts";
import type { RoundContext } from "../engine/observer.ts";
import type { RoundReport } from "../engine/round.ts";
import { ConfigError, errorMessage } from "../errors.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsObserver } from "./metrics.ts";
import { type RouteResponse, route, type StatusAuth } from "./routes.ts";
import { buildSnapshot, redactSnapshot, type StatusSnapshot } from "./snapshot.ts";

export interface StatusSource {
  context(): RoundContext;
  lastReport(): RoundReport | undefined;
  requestRound(): "started" | "busy";
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

export interface ListenAddress {
  host: string;
  port: number;
  /** Binds every interface (0.0.0.0 or ::). */
  wildcard: boolean;
  loopback: boolean;
}

/** Requests never need a body (POST /api/update takes none); anything larger is refused. */
export const MAX_BODY_BYTES = 1024;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const SOCKET_IDLE_TIMEOUT_MS = 30_000;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Parses `status.listen`. A bare ":8080" (or "8080") binds loopback; only an explicit 0.0.0.0 or
 * [::] binds every interface.
 */
export function parseListen(listen: string): ListenAddress {
  const text = listen.trim();
  const bad = (why: string) =>
    new ConfigError([
      `status.listen "${listen}": ${why}; expected "127.0.0.1:8080", "[::1]:8080", ":8080" or "0.0.0.0:8080"`,
    ]);
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2] as string;
  } else if (/^\d+$/.test(text)) {
    host = "";
    portText = text;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw bad("the port is missing");
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) throw bad("an IPv6 address needs brackets");
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw bad(`"${portText}" is not a port number`);
  if (host === "*") throw bad('"*" is ambiguous; write 0.0.0.0 to listen on every interface');
  if (host !== "" && !/^[A-Za-z0-9.:%_-]+$/.test(host)) throw bad(`"${host}" is not a host name or address`);
  if (host === "") host = "127.0.0.1";
  const wildcard = host === "0.0.0.0" || host === "::";
  return { host, port: Number(portText), wildcard, loopback: isLoopback(host) };
}

function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return host.includes(":") ? `http://[${host}]:${address.port}/` : `http://${host}:${address.port}/`;
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

  const server = createServer(
    {
      maxHeaderSize: 16 * 1024,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // How often the two deadlines above are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: 1_000,
    },
    handle,
  );
  server.maxHeadersCount = 64;
  server.maxRequestsPerSocket = 1000;
  server.setTimeout(SOCKET_IDLE_TIMEOUT_MS);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `cannot serve the status page on ${options.listen}: the address is already in use`
            : error.code === "EADDRNOTAVAIL"
              ? `cannot serve the status page on ${options.listen}: this host has no such address`
              : error.code === "EACCES"
                ? `cannot serve the status page on ${options.listen}: permission denied (ports below 1024 need privileges)`
                : `cannot serve the status page on ${options.listen}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    server.once("error", onError);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (error) => logger.error(`status server: ${errorMessage(error)}`));

  const url = urlOf(server.address() as AddressInfo);
  const anyAuth = auth.bearer !== undefined || auth.basicUser !== undefined;
  if (!address.loopback) {
    logger.warn(
      `the status page listens on ${options.listen}${address.wildcard ? " (every interface)" : ""}: it is reachable from the network` +
        (anyAuth ? "" : "; set status.auth_token or status.basic_user/basic_password to require a login"),
    );
  }
  logger.info(`status page at ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
