/**
 * Local "what is my IP" echo servers for integration tests: plain-text (icanhazip/ipify style), JSON
 * (ipinfo style) and Cloudflare /cdn-cgi/trace style answers, plus failure modes (status codes, delays,
 * hangs, resets, oversized and trickling bodies). Binds to loopback only; every path answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** text: body is the answer; json: `{"ip": answer, ...ipinfo-like fields}`; trace: a /cdn-cgi/trace body. */
export type EchoFormat = "text" | "json" | "trace";

/** How the server answers. Precedence: delayMs, then hang > reset > trickle > bodyBytes > body > format. */
export interface EchoBehaviour {
  /** The address to report; default: the requesting socket's remote address (IPv4-mapped form unwrapped). */
  answer?: string;
  /** Default "text". */
  format?: EchoFormat;
  /** Default 200. Applies to every responding mode. */
  status?: number;
  /** Raw body; overrides answer and format. */
  body?: string;
  /** Wait this long before doing anything else. */
  delayMs?: number;
  /** Never respond (the socket stays open until the client gives up or the server closes). */
  hang?: boolean;
  /** Reset the connection (TCP RST) instead of responding. */
  reset?: boolean;
  /** Overrides the default Content-Type of the chosen mode. */
  contentType?: string;
  /** Send a body of this many bytes ("1" repeated, with an honest Content-Length), streamed in chunks. */
  bodyBytes?: number;
  /** Send headers, then one byte ("1") every 200 ms forever (chunked, no Content-Length). */
  trickle?: boolean;
}

export interface EchoServer {
  /** "http://127.0.0.1:PORT/" or "http://[::1]:PORT/"; the path is ignored, any path answers. */
  url: string;
  /** The bound address, "127.0.0.1" or "::1". */
  host: string;
  /** Requests received so far (counted on arrival, whatever the behaviour). */
  hits: number;
  /** "IPv4"/"IPv6" of each request's socket, in arrival order. */
  remoteFamilies: string[];
  /** Replaces the whole behaviour for requests arriving from now on. */
  set(behaviour: EchoBehaviour): void;
  /** Stops listening and destroys every open, hung or trickling connection. Never hangs; idempotent. */
  close(): Promise<void>;
}

export interface EchoOptions {
  /** Default "127.0.0.1". */
  host?: "127.0.0.1" | "::1";
  /** Default 0 (a free port). */
  port?: number;
  /** Called synchronously on every request before the behaviour is read; may call `server.set()`. */
  onRequest?: (server: EchoServer, request: IncomingMessage) => void;
}

const TRICKLE_INTERVAL_MS = 200;
const CHUNK = 64 * 1024;

/**
 * Starts an echo server on loopback.
 *
 * @throws (rejects) when the address cannot be bound, e.g. no IPv6 loopback or the port is taken.
 */
export async function startEcho(
  behaviour: EchoBehaviour = {},
  options: EchoOptions = {},
): Promise<EchoServer> {
  const host = options.host ?? "127.0.0.1";
  let current: EchoBehaviour = { ...behaviour };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  const server = createServer((request, response) => {
    echo.hits++;
    echo.remoteFamilies.push(request.socket.remoteFamily ?? "unknown");
    options.onRequest?.(echo, request);
    const chosen = current;
    request.resume(); // drain any request body
    const delay = chosen.delayMs ?? 0;
    if (delay > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        respond(request, response, chosen, timers);
      }, delay);
      timers.add(timer);
    } else {
      respond(request, response, chosen, timers);
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // A client that vanishes mid-response must not crash the test process.
  server.on("clientError", (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: options.port ?? 0, ipv6Only: host === "::1" }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("echo server has no TCP address");
  const authority = host.includes(":") ? `[${host}]` : host;

  const echo: EchoServer = {
    url: `http://${authority}:${address.port}/`,
    host,
    hits: 0,
    remoteFamilies: [],
    set(next: EchoBehaviour): void {
      current = { ...next };
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
  return echo;
}

function respond(
  request: IncomingMessage,
  response: ServerResponse,
  behaviour: EchoBehaviour,
  timers: Set<NodeJS.Timeout>,
): void {
  const socket = request.socket;
  if (socket.destroyed || behaviour.hang) return;
  if (behaviour.reset) {
    socket.resetAndDestroy();
    return;
  }
  const status = behaviour.status ?? 200;
  if (behaviour.trickle) {
    response.writeHead(status, { "content-type": behaviour.contentType ?? "text/plain; charset=utf-8" });
    response.write("1");
    const timer = setInterval(() => {
      if (response.destroyed) clearInterval(timer);
      else response.write("1");
    }, TRICKLE_INTERVAL_MS);
    timers.add(timer);
    response.on("close", () => {
      clearInterval(timer);
      timers.delete(timer);
    });
    return;
  }
  if (behaviour.bodyBytes !== undefined) {
    const size = Math.max(0, Math.floor(behaviour.bodyBytes));
    response.writeHead(status, {
      "content-type": behaviour.contentType ?? "text/plain; charset=utf-8",
      "content-length": String(size),
    });
    streamOnes(response, size);
    return;
  }
  let body: string;
  let contentType: string;
  if (behaviour.body !== undefined) {
    body = behaviour.body;
    contentType = "text/plain; charset=utf-8";
  } else {
    const answer = behaviour.answer ?? clientAddress(socket);
    const format = behaviour.format ?? "text";
    body = format === "json" ? jsonBody(answer) : format === "trace" ? traceBody(answer, request) : answer;
    contentType = format === "json" ? "application/json; charset=utf-8" : "text/plain; charset=utf-8";
  }
  response.writeHead(status, {
    "content-type": behaviour.contentType ?? contentType,
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
  });
  response.end(body);
}

/** Writes `remaining` bytes of "1" in chunks, honouring back-pressure, until done or the client goes. */
function streamOnes(response: ServerResponse, remaining: number): void {
  const chunk = Buffer.alloc(Math.min(CHUNK, remaining), "1");
  const pump = (): void => {
    while (remaining > 0 && !response.destroyed) {
      const size = Math.min(chunk.length, remaining);
      remaining -= size;
      if (!response.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
        response.once("drain", pump);
        return;
      }
    }
    if (!response.destroyed) response.end();
  };
  pump();
}

/** The peer address as an echo service would report it: IPv4-mapped IPv6 unwrapped. */
function clientAddress(socket: Socket): string {
  const remote = socket.remoteAddress ?? "";
  return remote.startsWith("::ffff:") && remote.includes(".") ? remote.slice(7) : remote;
}

function jsonBody(answer: string): string {
  return JSON.stringify({
    ip: answer,
    hostname: "homing-test.example.net",
    city: "Amsterdam",
    region: "North Holland",
    country: "NL",
    loc: "52.3740,4.8897",
    org: "AS64496 Example Access Network",
    postal: "1012",
    timezone: "Europe/Amsterdam",
  });
}

function traceBody(answer: string, request: IncomingMessage): string {
  const userAgent = request.headers["user-agent"] ?? "";
  return [
    "fl=29f1",
    "h=1.1.1.1",
    `ip=${answer}`,
    `ts=${(Date.now() / 1000).toFixed(3)}`,
    "visit_scheme=https",
    `uag=${userAgent}`,
    "colo=AMS",
    "sliver=none",
    "http=http/1.1",
    "loc=NL",
    "tls=off",
    "sni=off",
    "warp=off",
    "gateway=off",
    "rbi=off",
    "kex=none",
    "",
  ].join("\n");
}
