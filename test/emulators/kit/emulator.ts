/**
 * One emulator framework for every HTTP DNS service: a route table, one server lifecycle on
 * loopback, a request log, fault injection (a status with the service's own error envelope, a hang,
 * a reset, garbage, a malformed reply, and a lie: a success reply that did nothing) and a record
 * store with a timeline of what each name held after every mutating request.
 *
 * A service is a small behaviour module (`ServiceModule`, test/emulators/services/): its routes over
 * the store, its auth check, its error envelope, and its documented quirks. The behaviour table
 * (test/integration/providers-table.test.ts) runs the same scenarios against every module.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { ZoneStore } from "./store.ts";

export interface EmuRequest {
  method: string;
  /** The path, percent-decoded. */
  path: string;
  /** The request target exactly as received (path and query, still encoded): what signatures cover. */
  target?: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is. */
  json: unknown;
  /** The body as a form, when it is one. */
  form: URLSearchParams;
}

export interface EmuReply {
  status: number;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is. */
  text?: string;
  headers?: Record<string, string>;
}

export type Params = Record<string, string>;

export interface Route {
  method: string;
  /** "/dns/retrieve/:domain", "/zones/:zone/rrsets/*rest" (`*rest` takes the remainder). */
  path: string;
  handle(request: EmuRequest, params: Params, store: ZoneStore): EmuReply | Promise<EmuReply>;
}

export type Fault =
  | { status: number; message?: string; headers?: Record<string, string> }
  | { kind: "hang" | "reset" | "garbage" | "lie" | "malformed" };

export interface FaultRule {
  fault: Fault;
  /** Which requests (default: any). */
  match?: (request: EmuRequest) => boolean;
  /** How many times (default: every time). */
  times?: number;
}

/** A service's behaviour, as its documentation describes it. */
export interface ServiceModule {
  /** The provider `type` homing uses for it. */
  type: string;
  label: string;
  /** The secret keys homing's config takes, each with a plausible (canary) value made per test. */
  secrets(): Record<string, string>;
  /** The provider's non-secret keys for an emulator at `endpoint` (its base URL, as homing takes it). */
  config(endpoint: string): Record<string, string | number | boolean>;
  /** The path below the emulator's origin that `endpoint` points at (default "/"). */
  base?: string;
  routes: readonly Route[];
  /** undefined when the request carries these secrets in the service's way; else its refusal. */
  auth(request: EmuRequest, secrets: Record<string, string>): EmuReply | undefined;
  /** The service's error envelope for a status and message. */
  error(status: number, message: string): EmuReply;
  /** A reply the service sends for success, without doing anything (the `lie` fault). */
  lie(request: EmuRequest): EmuReply;
  /** The `malformed` fault: the real reply with one field broken (default: the first address in a JSON reply becomes a number). */
  malform?(reply: EmuReply): EmuReply;
  /** Whether a request changes records. */
  mutating(request: EmuRequest): boolean;
  /** What homing's message must name when the credentials are wrong (the key to fix). */
  authHint: RegExp;
  /** Types that can sit beside A/AAAA at a name, to prove they stay untouched (default TXT, MX). */
  foreignTypes?: readonly string[];
}

export interface LogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  mutating: boolean;
  fault?: string;
}

export interface Emulator {
  /** Origin plus the module's base path: what homing's `endpoint` gets. */
  endpoint: string;
  origin: string;
  store: ZoneStore;
  log: LogEntry[];
  secrets: Record<string, string>;
  inject(rule: FaultRule): void;
  mutations(): LogEntry[];
  close(): Promise<void>;
}

function compile(pattern: string): (path: string) => Params | undefined {
  const parts = pattern.split("/");
  return (path) => {
    const segments = path.split("/");
    const params: Params = {};
    for (const [index, part] of parts.entries()) {
      if (part.startsWith("*")) {
        params[part.slice(1)] = segments.slice(index).join("/");
        return params;
      }
      const segment = segments[index];
      if (segment === undefined) return undefined;
      if (part.startsWith(":")) params[part.slice(1)] = segment;
      else if (part !== segment) return undefined;
    }
    return segments.length === parts.length ? params : undefined;
  };
}

/** The first IP address string in a JSON value, replaced by a number: a field of the wrong type. */
function mangle(value: unknown): { value: unknown; done: boolean } {
  if (typeof value === "string" && /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+:[0-9a-f:]*$/i.test(value))
    return { value: 12345, done: true };
  if (Array.isArray(value)) {
    const out = [...value];
    for (const [index, item] of out.entries()) {
      const result = mangle(item);
      if (result.done) {
        out[index] = result.value;
        return { value: out, done: true };
      }
    }
  } else if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, item] of Object.entries(out)) {
      const result = mangle(item);
      if (result.done) {
        out[key] = result.value;
        return { value: out, done: true };
      }
    }
  }
  return { value, done: false };
}

function textOf(reply: EmuReply): string {
  return reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? "");
}

export async function startEmulator(
  module: ServiceModule,
  options: { secrets?: Record<string, string>; store?: ZoneStore; latencyMs?: number } = {},
): Promise<Emulator> {
  const secrets = options.secrets ?? module.secrets();
  const store = options.store ?? new ZoneStore();
  const log: LogEntry[] = [];
  const rules: FaultRule[] = [];
  const base = (module.base ?? "/").replace(/\/$/, "");
  const routes = module.routes.map((route) => ({ route, match: compile(base + route.path) }));
  const sockets = new Set<Socket>();

  const dispatch = async (request: EmuRequest): Promise<EmuReply> => {
    const refused = module.auth(request, secrets);
    if (refused) return refused;
    for (const { route, match } of routes) {
      if (route.method !== request.method) continue;
      const params = match(request.path);
      if (params) return route.handle(request, params, store);
    }
    return module.error(404, `no route for ${request.method} ${request.path}`);
  };

  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      void (async () => {
        const url = new URL(incoming.url ?? "/", "http://emulator");
        const body = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(incoming.headers))
          headers[name] = Array.isArray(value) ? value.join(", ") : (value ?? "");
        const request: EmuRequest = {
          method: incoming.method ?? "GET",
          path: decodeURIComponent(url.pathname),
          target: incoming.url ?? "/",
          query: url.searchParams,
          headers,
          body,
          json,
          form: new URLSearchParams(body),
        };
        if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
        const mutating = module.mutating(request);
        const entry: LogEntry = {
          method: request.method,
          path: request.path,
          query: url.search,
          status: 0,
          mutating,
        };
        log.push(entry);
        const rule = rules.find((r) => (r.times ?? 1) > 0 && (r.match?.(request) ?? true));
        if (rule && rule.times !== undefined) rule.times--;
        const fault = rule?.fault;
        let reply: EmuReply;
        if (fault && "kind" in fault) {
          entry.fault = fault.kind;
          if (fault.kind === "hang") return;
          if (fault.kind === "reset") {
            incoming.socket.destroy();
            return;
          }
          if (fault.kind === "garbage") reply = { status: 200, text: "<html>\u0000\u00ff garbage" };
          else if (fault.kind === "lie") reply = module.lie(request);
          else {
            const real = await dispatch(request);
            if (module.malform) reply = module.malform(real);
            else reply = real.json !== undefined ? { ...real, json: mangle(real.json).value } : real;
          }
        } else if (fault) {
          entry.fault = String(fault.status);
          const envelope = module.error(fault.status, fault.message ?? `HTTP ${fault.status}`);
          reply = { ...envelope, status: fault.status, headers: { ...envelope.headers, ...fault.headers } };
        } else {
          reply = await dispatch(request);
          if (mutating && reply.status < 300) store.record();
        }
        entry.status = reply.status;
        const text = textOf(reply);
        response.writeHead(reply.status, {
          "content-type": reply.json !== undefined ? "application/json" : "text/plain",
          ...reply.headers,
        });
        response.end(text);
      })();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    endpoint: `${origin}${base}/`,
    origin,
    store,
    log,
    secrets,
    inject(rule) {
      rules.push(rule);
    },
    mutations() {
      return log.filter((entry) => entry.mutating);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
