/**
 * The hardened node:http listener shared by the status server and the router bridge: parses a
 * `listen` setting (loopback unless told otherwise), bounds every request in time and size
 * (slowloris and flood protection), and listens with errors in the user's words.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../errors.ts";

export interface ListenAddress {
  host: string;
  port: number;
  /** Binds every interface (0.0.0.0 or ::). */
  wildcard: boolean;
  loopback: boolean;
}

/** Requests never need a body; anything larger is refused. */
export const MAX_BODY_BYTES = 1024;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const SOCKET_IDLE_TIMEOUT_MS = 30_000;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Parses a `listen` setting (`key` names it in errors, "status.listen"). A bare ":8080" (or "8080")
 * binds loopback; only an explicit 0.0.0.0 or [::] binds every interface.
 */
export function parseListen(listen: string, key = "status.listen", example = 8080): ListenAddress {
  const text = listen.trim();
  const bad = (why: string) =>
    new ConfigError([
      `${key} "${listen}": ${why}; expected "127.0.0.1:${example}", "[::1]:${example}", ":${example}" or "0.0.0.0:${example}"`,
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

/** A URL that reaches the listening server from this host, ending in "/". */
export function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return host.includes(":") ? `http://[${host}]:${address.port}/` : `http://${host}:${address.port}/`;
}

/** A node:http server with every request bounded in time and header size. */
export function hardenedServer(handler: RequestListener): Server {
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // How often the two deadlines above are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: 1_000,
    },
    handler,
  );
  server.maxHeadersCount = 64;
  server.maxRequestsPerSocket = 1000;
  server.setTimeout(SOCKET_IDLE_TIMEOUT_MS);
  return server;
}

/** Listens on `address`; `what` ("the status page") names the server in errors. Resolves its URL. */
export async function listenOn(
  server: Server,
  address: ListenAddress,
  listen: string,
  what: string,
): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `cannot serve ${what} on ${listen}: the address is already in use`
            : error.code === "EADDRNOTAVAIL"
              ? `cannot serve ${what} on ${listen}: this host has no such address`
              : error.code === "EACCES"
                ? `cannot serve ${what} on ${listen}: permission denied (ports below 1024 need privileges)`
                : `cannot serve ${what} on ${listen}: ${error.message}`,
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
  return urlOf(server.address() as AddressInfo);
}

/** Stops listening and closes every connection, keep-alive ones included (idempotent). */
export function closer(server: Server): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
}
