/**
 * One fault layer for every HTTP emulator: a loopback proxy that sits between homing and an emulator
 * (DreamHost, Cloudflare, an echo source…) and, per request, either forwards it untouched or plays a
 * fault. The emulator stays faithful; the proxy is where the world misbehaves:
 *
 * - `status`: an HTTP error page, the request is not forwarded;
 * - `reply`: a canned answer, not forwarded. A lie ("success" with no effect) or an API error, with
 *   a body that may be built from the request (e.g. echo the record a PATCH asked for);
 * - `hang`: never answers (the client's deadline must fire);
 * - `reset`: the connection is reset before anything is forwarded;
 * - `lose_reply`: forwarded and applied upstream, then the connection is reset instead of answering
 *   (the "it happened, the answer was lost" case);
 * - `delay`: forwarded after a pause.
 *
 * Requests are classified by an emulator-specific `classify` (DreamHost: the `cmd` parameter;
 * Cloudflare: method and route), and faults target a class. Hooks see each request on arrival and
 * after the upstream answered, so a test can observe the emulator's store at the exact moment a
 * change lands, or kill the client mid-exchange.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ProxiedRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** What `classify` called it, e.g. "dns-add_record" or "patch". */
  op: string;
}

export type FaultAction =
  | { kind: "status"; status: number; body?: string; contentType?: string }
  | {
      kind: "reply";
      status?: number;
      contentType?: string;
      headers?: Record<string, string>;
      body: string | ((request: ProxiedRequest) => string);
    }
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "lose_reply" }
  | { kind: "delay"; ms: number };

export interface ProxyFault {
  /** Only requests of this class (default: any). */
  op?: string;
  /** How many matching requests it affects (default 1). */
  times?: number;
  action: FaultAction;
  /** A name for counting (default: the action's kind). */
  label?: string;
}

export interface ProxyExchange {
  request: ProxiedRequest;
  /** The fault that handled it, if any. */
  fault?: ProxyFault;
}

export interface FaultProxyOptions {
  /** Base URL of the emulator, e.g. "http://127.0.0.1:PORT/". */
  upstream: string;
  classify: (request: Omit<ProxiedRequest, "op">) => string;
  /** On arrival, before any fault or forwarding; "drop" destroys the connection there and then. */
  onArrival?: (exchange: ProxyExchange) => "drop" | undefined;
  /** After the upstream processed a forwarded request (before the reply goes back, or is lost). */
  onUpstream?: (exchange: ProxyExchange) => void;
  /** When a fault is taken. */
  onFault?: (exchange: ProxyExchange) => void;
}

export interface FaultProxy {
  /** The proxy's base URL; the path of `upstream` is kept. */
  url: string;
  addFault(fault: ProxyFault): void;
  /** Drops every armed fault that has not fired yet. */
  clearFaults(): void;
  /** Destroys every open connection (hung ones included) without closing the listener. */
  dropConnections(): void;
  close(): Promise<void>;
}

interface Armed {
  fault: ProxyFault;
  remaining: number;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const armed: Armed[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const take = (op: string): ProxyFault | undefined => {
    const index = armed.findIndex((a) => a.remaining > 0 && (a.fault.op === undefined || a.fault.op === op));
    const entry = armed[index];
    if (entry === undefined) return undefined;
    entry.remaining--;
    if (entry.remaining <= 0) armed.splice(index, 1);
    return entry.fault;
  };

  const forward = (
    request: ProxiedRequest,
    req: IncomingMessage,
    done: (status: number, headers: Record<string, string>, body: Buffer) => void,
  ) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = String(value);
    }
    headers.host = upstream.host;
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: request.target,
        method: request.method,
        headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const replyHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) replyHeaders[name] = String(value);
          }
          done(response.statusCode ?? 502, replyHeaders, Buffer.concat(chunks));
        });
        response.on("error", () => req.socket.destroy());
      },
    );
    out.on("error", () => req.socket.destroy());
    out.end(request.body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const base = {
      method: req.method ?? "GET",
      target: req.url ?? "/",
      headers: req.headers,
      body: raw.toString("utf8"),
    };
    const request: ProxiedRequest = { ...base, op: options.classify(base) };
    if (options.onArrival?.({ request }) === "drop") {
      req.socket.destroy();
      return;
    }
    if (req.socket.destroyed) return;
    const fault = take(request.op);
    const exchange: ProxyExchange = fault ? { request, fault } : { request };
    if (fault) options.onFault?.(exchange);
    const send = (status: number, headers: Record<string, string>, body: Buffer | string) => {
      if (res.destroyed || req.socket.destroyed) return;
      res.writeHead(status, headers);
      res.end(body);
    };
    const pass = () =>
      forward(request, req, (status, headers, body) => {
        options.onUpstream?.(exchange);
        send(status, headers, body);
      });
    const action = fault?.action;
    switch (action?.kind) {
      case undefined:
        pass();
        return;
      case "status":
        send(action.status, { "content-type": action.contentType ?? "text/html" }, action.body ?? "");
        return;
      case "reply": {
        const body = typeof action.body === "function" ? action.body(request) : action.body;
        send(
          action.status ?? 200,
          { "content-type": action.contentType ?? "application/json", ...action.headers },
          body,
        );
        return;
      }
      case "hang":
        return;
      case "reset":
        req.socket.resetAndDestroy();
        return;
      case "lose_reply":
        forward(request, req, () => {
          options.onUpstream?.(exchange);
          req.socket.resetAndDestroy();
        });
        return;
      case "delay": {
        const timer = setTimeout(() => {
          timers.delete(timer);
          pass();
        }, action.ms);
        timers.add(timer);
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => {});
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}${upstream.search}`,
    addFault(fault) {
      const remaining = fault.times ?? 1;
      if (remaining > 0) armed.push({ fault, remaining });
    },
    clearFaults() {
      armed.length = 0;
    },
    dropConnections,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        dropConnections();
      });
      return closing;
    },
  };
}
