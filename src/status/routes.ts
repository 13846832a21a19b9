/**
 * The status server's request handling as a pure function of (request, dependencies): the
 * node:http adapter (server.ts) only moves bytes. Authentication comes first; every response carries
 * the security headers.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Secret } from "../core/secret.ts";
import { METRICS_CONTENT_TYPE, type MetricsCounters, renderMetrics } from "./metrics.ts";
import { PAGE_CSP, renderPage } from "./page.ts";
import type { StatusSnapshot } from "./snapshot.ts";

export interface RouteRequest {
  method: string;
  /** The request target: path, possibly with a query string. */
  path: string;
  /** Header names in lower case, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
}

export interface RouteResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface StatusAuth {
  /** Bearer token for every page and API. */
  bearer?: Secret | undefined;
  /** HTTP basic auth for every page and API (both must be set). */
  basicUser?: string | undefined;
  basicPassword?: Secret | undefined;
  /** Bearer token for POST /api/update; the endpoint is off without it. */
  updateToken?: Secret | undefined;
}

export interface RouteDeps {
  auth: StatusAuth;
  /** The current snapshot (built per request, health included, secrets redacted). */
  snapshot(): StatusSnapshot;
  counters(): MetricsCounters;
  requestRound(): "started" | "busy";
  refreshSeconds: number;
}

const JSON_TYPE = "application/json; charset=utf-8";
const TEXT_TYPE = "text/plain; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function securityHeaders(csp: string): Record<string, string> {
  return {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
  };
}

function respond(
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
  csp = API_CSP,
): RouteResponse {
  return { status, headers: { ...securityHeaders(csp), "content-type": contentType, ...extra }, body };
}

const text = (status: number, body: string, extra?: Record<string, string>) =>
  respond(status, TEXT_TYPE, `${body}\n`, extra);
const json = (status: number, value: unknown, extra?: Record<string, string>) =>
  respond(status, JSON_TYPE, `${JSON.stringify(value, null, 2)}\n`, extra);

/** Constant-time string comparison: both sides are hashed first, so lengths leak nothing either. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a, "utf8").digest();
  const hb = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(ha, hb);
}

function header(request: RouteRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bearerOf(request: RouteRequest): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header(request, "authorization") ?? "");
  return match?.[1];
}

function basicOf(request: RouteRequest): { user: string; password: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+=*)[ \t]*$/i.exec(header(request, "authorization") ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const usable = (secret: Secret | undefined): secret is Secret =>
  secret !== undefined && secret.reveal().length > 0;

function basicConfigured(auth: StatusAuth): boolean {
  return auth.basicUser !== undefined && auth.basicUser.length > 0 && usable(auth.basicPassword);
}

/** True when no page auth is configured, or the request carries a valid bearer token or basic credentials. */
function authorized(request: RouteRequest, auth: StatusAuth): boolean {
  const bearerSet = usable(auth.bearer);
  const basicSet = basicConfigured(auth);
  if (!bearerSet && !basicSet) return true;
  if (bearerSet) {
    const token = bearerOf(request);
    if (token !== undefined && safeEqual(token, (auth.bearer as Secret).reveal())) return true;
  }
  if (basicSet) {
    const credentials = basicOf(request);
    if (credentials) {
      // Both compared, always: no early exit that tells a right user from a right password.
      const userOk = safeEqual(credentials.user, auth.basicUser as string);
      const passwordOk = safeEqual(credentials.password, (auth.basicPassword as Secret).reveal());
      if (userOk && passwordOk) return true;
    }
  }
  return false;
}

function unauthorized(auth: StatusAuth): RouteResponse {
  const challenge = basicConfigured(auth) ? 'Basic realm="homing", charset="UTF-8"' : 'Bearer realm="homing"';
  return text(401, "authentication required", { "www-authenticate": challenge });
}

const methodNotAllowed = (allow: string) => text(405, `method not allowed; use ${allow}`, { allow });

const PAGES = new Set(["/", "/api/status", "/healthz", "/metrics"]);

function update(request: RouteRequest, deps: RouteDeps): RouteResponse {
  const token = deps.auth.updateToken;
  if (!usable(token)) {
    if (!authorized(request, deps.auth)) return unauthorized(deps.auth);
    return text(404, "POST /api/update is off: set status.update_token (or update_token_file) to enable it");
  }
  if (request.method !== "POST") {
    if (!authorized(request, deps.auth)) return unauthorized(deps.auth);
    return methodNotAllowed("POST");
  }
  const given = bearerOf(request);
  if (given === undefined || !safeEqual(given, token.reveal())) {
    return text(401, "POST /api/update needs the update token: Authorization: Bearer <status.update_token>", {
      "www-authenticate":
        given === undefined
          ? 'Bearer realm="homing-update"'
          : 'Bearer realm="homing-update", error="invalid_token"',
    });
  }
  const result = deps.requestRound();
  return result === "started"
    ? json(202, { status: "started", message: "a round was requested" })
    : json(409, { status: "busy", message: "a round is already running; another one follows it" });
}

/** Handles one request. Throws only if a dependency throws (the adapter answers 500 then). */
export function route(request: RouteRequest, deps: RouteDeps): RouteResponse {
  const path = request.path.split(/[?#]/, 1)[0] || "/";
  if (path === "/api/update") return update(request, deps);
  if (!authorized(request, deps.auth)) return unauthorized(deps.auth);
  if (!PAGES.has(path)) return text(404, "not found");
  if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed("GET, HEAD");
  switch (path) {
    case "/": {
      const html = renderPage(deps.snapshot(), {
        refreshSeconds: deps.refreshSeconds,
        updateEnabled: usable(deps.auth.updateToken),
      });
      return respond(200, HTML_TYPE, html, {}, PAGE_CSP);
    }
    case "/api/status":
      return json(200, deps.snapshot());
    case "/healthz": {
      const health = deps.snapshot().health;
      return text(health.ok ? 200 : 503, `${health.state}: ${health.reason}`);
    }
    default:
      return respond(200, METRICS_CONTENT_TYPE, renderMetrics(deps.snapshot(), deps.counters()));
  }
}
