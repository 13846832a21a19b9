import { describe, expect, it } from "vitest";
import {
  BADSIG,
  fixtureContext,
  fixtureReport,
  SOURCE_HOST,
  SOURCE_URLS,
} from "../../test/support/status-fixture.ts";
import { Secret } from "../core/secret.ts";
import { emptyCounters } from "./metrics.ts";
import { PAGE_CSP } from "./page.ts";
import { type RouteDeps, type RouteRequest, route, type StatusAuth } from "./routes.ts";
import { buildSnapshot, type StatusSnapshot } from "./snapshot.ts";

const TOKEN = "page-token-0123456789";
const UPDATE = "update-token-9876543210";
const USER = "admin";
const PASSWORD = "correct horse battery staple";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

function deps(
  auth: StatusAuth = {},
  options: {
    busy?: boolean | undefined;
    failing?: boolean | undefined;
    twoProviders?: boolean | undefined;
  } = {},
) {
  const calls = { rounds: 0, snapshots: 0 };
  const value: RouteDeps = {
    auth,
    snapshot: () => {
      calls.snapshots++;
      const fixture = { failing: options.failing, twoProviders: options.twoProviders };
      return buildSnapshot(fixtureContext(fixture), fixtureReport(fixture), {
        healthGraceMs: options.failing ? 60_000 : 900_000,
        failingSince: options.failing ? "2025-05-20T11:50:00.000Z" : undefined,
      });
    },
    counters: emptyCounters,
    requestRound: () => {
      calls.rounds++;
      return options.busy ? "busy" : "started";
    },
    refreshSeconds: 45,
  };
  return { deps: value, calls };
}

const req = (method: string, path: string, headers: RouteRequest["headers"] = {}): RouteRequest => ({
  method,
  path,
  headers,
});

const PAGE_AUTH: StatusAuth = { bearer: new Secret(TOKEN, "test") };
const BASIC_AUTH: StatusAuth = { basicUser: USER, basicPassword: new Secret(PASSWORD, "test") };
const BOTH_AUTH: StatusAuth = { ...PAGE_AUTH, ...BASIC_AUTH };
const UPDATE_AUTH: StatusAuth = { updateToken: new Secret(UPDATE, "test") };

describe("route", () => {
  it.each<{
    case: string;
    auth?: StatusAuth;
    request: RouteRequest;
    status: number;
    type?: RegExp;
    body?: RegExp;
    busy?: boolean;
    failing?: boolean;
    header?: [string, string];
  }>([
    { case: "page", request: req("GET", "/"), status: 200, type: /^text\/html/, body: /<!doctype html>/ },
    { case: "page with a query string", request: req("GET", "/?x=1"), status: 200, type: /^text\/html/ },
    { case: "HEAD of the page", request: req("HEAD", "/"), status: 200, type: /^text\/html/ },
    {
      case: "JSON",
      request: req("GET", "/api/status"),
      status: 200,
      type: /^application\/json/,
      body: /"records"/,
    },
    {
      case: "healthz ok",
      request: req("GET", "/healthz"),
      status: 200,
      type: /^text\/plain/,
      body: /^ok: the last round succeeded/,
    },
    {
      case: "healthz failing beyond the grace",
      request: req("GET", "/healthz"),
      failing: true,
      status: 503,
      body: /^failing: failing for 10m, longer than the 60s grace period: nas\.example\.com A: DreamHost answered HTTP 503/,
    },
    {
      case: "metrics",
      request: req("GET", "/metrics"),
      status: 200,
      type: /^text\/plain; version=0\.0\.4/,
      body: /^# HELP homing_build_info/,
    },
    { case: "unknown path", request: req("GET", "/nope"), status: 404 },
    { case: "trailing slash is another path", request: req("GET", "/metrics/"), status: 404 },
    { case: "POST to the page", request: req("POST", "/"), status: 405, header: ["allow", "GET, HEAD"] },
    { case: "DELETE on the API", request: req("DELETE", "/api/status"), status: 405 },
    { case: "update not configured", request: req("POST", "/api/update"), status: 404, body: /update_token/ },
    { case: "update not configured, GET", request: req("GET", "/api/update"), status: 404 },
    // Page auth: bearer.
    {
      case: "bearer: none given",
      auth: PAGE_AUTH,
      request: req("GET", "/"),
      status: 401,
      header: ["www-authenticate", 'Bearer realm="homing"'],
    },
    { case: "bearer: wrong", auth: PAGE_AUTH, request: req("GET", "/", bearer("nope")), status: 401 },
    {
      case: "bearer: a prefix of the token",
      auth: PAGE_AUTH,
      request: req("GET", "/", bearer(TOKEN.slice(0, -1))),
      status: 401,
    },
    { case: "bearer: right", auth: PAGE_AUTH, request: req("GET", "/", bearer(TOKEN)), status: 200 },
    {
      case: "bearer: scheme is case-insensitive",
      auth: PAGE_AUTH,
      request: req("GET", "/", { authorization: `bearer ${TOKEN}` }),
      status: 200,
    },
    { case: "bearer: protects /metrics", auth: PAGE_AUTH, request: req("GET", "/metrics"), status: 401 },
    { case: "bearer: protects /healthz", auth: PAGE_AUTH, request: req("GET", "/healthz"), status: 401 },
    {
      case: "bearer: protects unknown paths too",
      auth: PAGE_AUTH,
      request: req("GET", "/nope"),
      status: 401,
    },
    {
      case: "bearer: basic credentials are not enough",
      auth: PAGE_AUTH,
      request: req("GET", "/", basic(USER, TOKEN)),
      status: 401,
    },
    // Page auth: basic.
    {
      case: "basic: none given",
      auth: BASIC_AUTH,
      request: req("GET", "/"),
      status: 401,
      header: ["www-authenticate", 'Basic realm="homing", charset="UTF-8"'],
    },
    {
      case: "basic: right",
      auth: BASIC_AUTH,
      request: req("GET", "/api/status", basic(USER, PASSWORD)),
      status: 200,
    },
    {
      case: "basic: wrong password",
      auth: BASIC_AUTH,
      request: req("GET", "/", basic(USER, "nope")),
      status: 401,
    },
    {
      case: "basic: wrong user",
      auth: BASIC_AUTH,
      request: req("GET", "/", basic("root", PASSWORD)),
      status: 401,
    },
    {
      case: "basic: no colon",
      auth: BASIC_AUTH,
      request: req("GET", "/", { authorization: `Basic ${Buffer.from(USER).toString("base64")}` }),
      status: 401,
    },
    {
      case: "basic: garbage",
      auth: BASIC_AUTH,
      request: req("GET", "/", { authorization: "Basic !!!" }),
      status: 401,
    },
    {
      case: "both configured: bearer works",
      auth: BOTH_AUTH,
      request: req("GET", "/", bearer(TOKEN)),
      status: 200,
    },
    {
      case: "both configured: basic works",
      auth: BOTH_AUTH,
      request: req("GET", "/", basic(USER, PASSWORD)),
      status: 200,
    },
    // POST /api/update.
    { case: "update: no token", auth: UPDATE_AUTH, request: req("POST", "/api/update"), status: 401 },
    {
      case: "update: wrong token",
      auth: UPDATE_AUTH,
      request: req("POST", "/api/update", bearer("nope")),
      status: 401,
      header: ["www-authenticate", 'Bearer realm="homing-update", error="invalid_token"'],
    },
    {
      case: "update: the page token is not the update token",
      auth: { ...PAGE_AUTH, ...UPDATE_AUTH },
      request: req("POST", "/api/update", bearer(TOKEN)),
      status: 401,
    },
    {
      case: "update: right token",
      auth: UPDATE_AUTH,
      request: req("POST", "/api/update", bearer(UPDATE)),
      status: 202,
      body: /"started"/,
    },
    {
      case: "update: right token, with page auth configured",
      auth: { ...BOTH_AUTH, ...UPDATE_AUTH },
      request: req("POST", "/api/update", bearer(UPDATE)),
      status: 202,
    },
    {
      case: "update: a round is running",
      auth: UPDATE_AUTH,
      busy: true,
      request: req("POST", "/api/update", bearer(UPDATE)),
      status: 409,
      body: /"busy"/,
    },
    {
      case: "update: GET",
      auth: UPDATE_AUTH,
      request: req("GET", "/api/update", bearer(UPDATE)),
      status: 405,
      header: ["allow", "POST"],
    },
    {
      case: "update: GET behind page auth",
      auth: { ...PAGE_AUTH, ...UPDATE_AUTH },
      request: req("GET", "/api/update"),
      status: 401,
    },
    {
      case: "update off, behind page auth",
      auth: PAGE_AUTH,
      request: req("POST", "/api/update"),
      status: 401,
    },
  ])("$case → $status", ({ auth, request, status, type, body, busy, failing, header }) => {
    const { deps: d } = deps(auth, { busy, failing });
    const response = route(request, d);
    expect(response.status, response.body).toBe(status);
    if (type) expect(response.headers["content-type"]).toMatch(type);
    if (body) expect(response.body).toMatch(body);
    if (header) expect(response.headers[header[0]]).toBe(header[1]);
  });

  it("every response carries the security headers; the page gets its own CSP", () => {
    const cases: Array<[StatusAuth, RouteRequest]> = [
      [{}, req("GET", "/")],
      [{}, req("GET", "/api/status")],
      [{}, req("GET", "/healthz")],
      [{}, req("GET", "/metrics")],
      [{}, req("GET", "/nope")],
      [{}, req("PUT", "/")],
      [PAGE_AUTH, req("GET", "/")],
      [UPDATE_AUTH, req("POST", "/api/update", bearer(UPDATE))],
    ];
    for (const [auth, request] of cases) {
      const { headers } = route(request, deps(auth).deps);
      expect(headers).toMatchObject({
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cache-control": "no-store",
      });
      const isPage = request.path === "/" && request.method === "GET" && auth !== PAGE_AUTH;
      expect(headers["content-security-policy"]).toBe(
        isPage ? PAGE_CSP : "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
    }
  });

  it("checks auth before building anything, and requests a round only with the right token", () => {
    const page = deps(PAGE_AUTH);
    route(req("GET", "/", bearer("nope")), page.deps);
    expect(page.calls.snapshots).toBe(0);
    const update = deps(UPDATE_AUTH);
    route(req("POST", "/api/update", bearer("nope")), update.deps);
    route(req("GET", "/api/update", bearer(UPDATE)), update.deps);
    expect(update.calls.rounds).toBe(0);
    route(req("POST", "/api/update", bearer(UPDATE)), update.deps);
    expect(update.calls.rounds).toBe(1);
  });

  it("never puts a configured secret in a response", () => {
    const auth = { ...BOTH_AUTH, ...UPDATE_AUTH };
    const requests = [
      req("GET", "/", bearer(TOKEN)),
      req("GET", "/api/status", bearer(TOKEN)),
      req("GET", "/metrics", bearer(TOKEN)),
      req("GET", "/healthz", bearer(TOKEN)),
      req("GET", "/"),
      req("POST", "/api/update", bearer("nope")),
      req("POST", "/api/update", bearer(UPDATE)),
    ];
    for (const request of requests) {
      const response = route(request, deps(auth).deps);
      const text = `${JSON.stringify(response.headers)}${response.body}`;
      for (const secret of [TOKEN, UPDATE, PASSWORD]) expect(text).not.toContain(secret);
    }
  });

  it("/api/status: a failing provider, each source's URL, each history entry's provider", () => {
    const response = route(req("GET", "/api/status"), deps({}, { twoProviders: true }).deps);
    const body = JSON.parse(response.body) as StatusSnapshot;
    expect(body.providers.find((p) => p.id === "ns")).toMatchObject({
      status: "failing",
      failingRecords: 1,
      lastError: `home.example.com A: ${BADSIG}`,
    });
    expect(body.providers.find((p) => p.id === "dh")).toMatchObject({ status: "ok", failingRecords: 0 });
    const urls = body.detection[0]?.sources.filter((s) => s.source === SOURCE_HOST).map((s) => s.url);
    expect(urls).toEqual([...SOURCE_URLS]);
    expect(body.history.filter((e) => e.provider === "ns")).toHaveLength(2);
  });

  it("the page reloads itself at the configured interval", () => {
    const response = route(req("GET", "/"), deps().deps);
    expect(response.body).toContain('<meta http-equiv="refresh" content="45">');
  });
});
