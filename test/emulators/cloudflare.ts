/**
 * A local emulator of the parts of Cloudflare's API v4 a DNS updater uses, served on loopback under
 * `/client/v4/`, so the Cloudflare provider can be tested without the network, with injected faults.
 *
 * Documented behaviour it follows, and where each fact comes from:
 * - Envelope: every reply is `{ success, errors: [{ code, message }], messages, result }`; lists add
 *   `result_info: { page, per_page, count, total_count, total_pages }`.
 *   (developers.cloudflare.com/api/node/resources/dns/subresources/records/methods/list/,
 *   ".../user/subresources/tokens/methods/verify")
 * - Auth: `Authorization: Bearer <token>`. `GET /user/tokens/verify` answers
 *   `result: { id, status: "active" | "disabled" | "expired" }` and the message 10000 "This API Token
 *   is valid and active" (developers.cloudflare.com/fundamentals/api/troubleshooting; the verify
 *   method pages above). Observed errors (GitHub issues quoting the API's bodies):
 *   400 6003 "Invalid request headers" with `error_chain` 6111 "Invalid format for Authorization
 *   header" (jeessy2/ddns-go#916, cloudflare/workers-sdk#5175); 403 9109 "Invalid access token"
 *   (jeessy2/ddns-go#890; 9109 also "Cannot use the access token from location: <ip>" for IP
 *   filtering, jeessy2/ddns-go#1341); 403 10000 "Authentication error" for a token without the
 *   permission or the zone (cloudflare/terraform-provider-cloudflare#3292, hieunc229/mailflare#1);
 *   verify with an unknown token: 401 1000 "Invalid API Token" (code 1000 in the verify page's error
 *   example; the status is our choice). 9106 for a request with no credentials at all is our choice.
 * - Zones: `GET /zones?name=` filters by exact name and lists only zones the token can reach; an
 *   empty `result` is how "no such zone for this token" looks (ddclient/ddclient#112 shows the empty
 *   list envelope). Zone pages: default 20, at most 50 per page (zone list parameter descriptions
 *   quoted by API tools; NewFuture/DDNS#324 hit the 50 limit); the minimum of 5 and clamping
 *   out-of-range values are our choices.
 * - DNS records: `GET /zones/{zone_id}/dns_records?name=&type=&page=&per_page=`, `name` an exact
 *   match; `per_page` default 100, minimum 1, maximum 5,000,000; `page` default 1, minimum 1
 *   (Cloudflare OpenAPI schemas dns-records_per_page / dns-records_page). `POST` creates,
 *   `PATCH /zones/{zone_id}/dns_records/{id}` changes only the fields sent, `DELETE` answers
 *   `result: { id }`. Records carry id, zone_id, zone_name, name, type, content, proxiable, proxied,
 *   ttl, comment, tags, created_on, modified_on.
 * - `ttl`: 1 means automatic, otherwise 60 to 86400 (30 for Enterprise zones) (Cloudflare OpenAPI
 *   schema dns-records_ttl); a proxied record's TTL is Auto (developers.cloudflare.com/dns/
 *   manage-dns-records/reference/dns-record-types).
 * - `comment`: free text, no newline or carriage return (dns/manage-dns-records/reference/
 *   record-attributes, per cloudflare-docs PR #17747). The length limit depends on the plan; 100
 *   characters (the Free plan's, as we recall that page) is not re-checked, hence `commentMax`.
 * - Record errors (GitHub issues quoting the bodies): 400 81057 "Record already exists."
 *   (aaPanel/aaPanel#112), 400 81058 "An identical record already exists." (jeessy2/ddns-go#1378),
 *   81053 "An A, AAAA, or CNAME record with that host already exists." and 81054 "A CNAME record with
 *   that host already exists." (favonia/cloudflare-ddns#990), 404 81044 "Record does not exist."
 *   (zanjie1999/cloudflare-api-v4-ddns#5), 400 7003 "Could not route to <path>, perhaps your object
 *   identifier is invalid?" with 7000 "No route for that URI" (cloudflare/cloudflare-go#118),
 *   400 9005 "Content for A record must be a valid IPv4 address." (yulewang/cloudflare-api-v4-ddns#16)
 *   and 1004 "DNS Validation Error" with an `error_chain` (pulumi/pulumi-cloudflare#292,
 *   cloudflare-docs PR #15317: the chain is being replaced by the root cause alone; the chained code
 *   used here for TTL and comment problems is our choice). 9006 for a bad AAAA is our choice.
 * - Rate limit: 1200 requests per five minutes per user; past it, all calls are blocked for the next
 *   five minutes with HTTP 429 and `Retry-After` in seconds
 *   (developers.cloudflare.com/fundamentals/api/reference/limits); the body carries 971 "Please wait
 *   and consider throttling your request speed" (cloudflare/workers-sdk#10025).
 *
 * Only node:http and node:crypto are used. Tokens never reach the request log: the Authorization
 * header is logged as "Bearer ***", and any known token anywhere else in a request becomes "***".
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

// Captured at module load, so a test that fakes timers cannot freeze the emulator's clocks.
const realNow: () => number = Date.now.bind(Date);
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export type CloudflarePermission = "zone:read" | "dns:read" | "dns:edit";

export interface CloudflareTokenConfig {
  /** Zone names the token's Zone Resources include, or "*" for all zones of the account. */
  zones: "*" | string[];
  /** Default: zone:read and dns:edit (dns:edit implies dns:read). */
  permissions?: CloudflarePermission[];
  /** Default "active". Tokens that are not active fail every call but /user/tokens/verify. */
  status?: "active" | "disabled" | "expired";
  /** What a 9109 says when the token is refused (e.g. "Cannot use the access token from location: 1.2.3.4"). */
  refuse?: string;
}

export interface CloudflareZoneFixture {
  name: string;
  /** 32 hex characters; generated when absent. */
  id?: string;
  status?: "active" | "pending";
}

export interface CloudflareRecordFixture {
  /** FQDN, lower case. The zone is the longest zone that contains it. */
  name: string;
  type: string;
  content: string;
  ttl?: number;
  proxied?: boolean;
  comment?: string | null;
  id?: string;
}

/** A record exactly as the API returns it. */
export interface CloudflareRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  proxiable: boolean;
  proxied: boolean;
  ttl: number;
  comment: string | null;
  tags: string[];
  meta: Record<string, unknown>;
  created_on: string;
  modified_on: string;
}

/** Which API operation a request is, for fault targeting and the log. */
export type CloudflareRoute =
  | "verify"
  | "zones"
  | "list_records"
  | "get_record"
  | "create_record"
  | "patch_record"
  | "delete_record"
  | "unknown";

export type CloudflareFault = {
  /** Only requests of this route (default: any). */
  route?: CloudflareRoute;
  /** How many matching requests it affects (default 1; Infinity for all). */
  times?: number;
} & (
  | { kind: "http"; status: number; body: string; contentType?: string; headers?: Record<string, string> }
  | { kind: "api_error"; status: number; code: number; message: string }
  /** A 429 as the rate limiter sends it, with this Retry-After (seconds, default 300). */
  | { kind: "rate_limit"; retryAfter?: number }
  | { kind: "hang" | "reset" | "garbage" | "truncated_json" }
  /** The request is processed, then the connection is reset: the change happened, the answer is lost. */
  | { kind: "lose_reply" }
  /** A lie: HTTP 200 `{"success":true,"result":null}` and nothing changes. */
  | { kind: "lie" }
);

export interface CloudflareRateLimit {
  /** Requests per window per token (default 1200). */
  max: number;
  /** Window length (default 300). */
  windowSec: number;
  /** How long every call is refused once the limit is passed (default 300). */
  blockSec: number;
}

export interface CloudflareEmulatorConfig {
  /** Token string → what it may do. */
  tokens: Record<string, CloudflareTokenConfig>;
  zones: CloudflareZoneFixture[];
  records?: CloudflareRecordFixture[];
  /** Partial values replace the defaults (1200 per 300 s, blocked 300 s). */
  rateLimit?: Partial<CloudflareRateLimit>;
  /** Caps `per_page` of the record list below the documented 5,000,000, to make paging testable. */
  maxPerPage?: number;
  /** Longest comment accepted (default 100, the Free plan's limit). */
  commentMax?: number;
  faults?: CloudflareFault[];
  /** Delay before every reply, in ms (the request is processed first). */
  latencyMs?: number;
}

export interface CloudflareRequestLogEntry {
  method: string;
  /** The path below /client/v4/, e.g. "zones/<id>/dns_records". */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body (tokens replaced by "***"), or the raw text when it is not JSON. */
  body: unknown;
  /** "Bearer ***" when a bearer token was sent, "" when none, "other" for any other scheme. */
  authorization: string;
  route: CloudflareRoute;
  /** HTTP status sent (0 for hang and reset). */
  status: number;
  /** Error codes of the reply. */
  errors: number[];
  /** The fault that answered, when one did. */
  fault?: string;
  /** Arrival time, real epoch milliseconds. */
  at: number;
}

export interface CloudflareEmulator {
  /** API base URL with the trailing slash: "http://127.0.0.1:PORT/client/v4/". */
  url: string;
  /** Every request, in arrival order. */
  requests: CloudflareRequestLogEntry[];
  /** Current records (copies), optionally of one zone, in creation order. */
  records(zone?: string): CloudflareRecord[];
  /** The zone id of a zone name. */
  zoneId(name: string): string;
  addRecord(record: CloudflareRecordFixture): CloudflareRecord;
  addFault(fault: CloudflareFault): void;
  /** Forgets every counted request and lifts any block. */
  resetRateLimit(): void;
  /** Stops the server and destroys every socket, hung ones included. */
  close(): Promise<void>;
}

export const CLOUDFLARE_DEFAULT_RATE_LIMIT: Readonly<CloudflareRateLimit> = Object.freeze({
  max: 1200,
  windowSec: 300,
  blockSec: 300,
});

const BASE = "/client/v4/";
const JSON_TYPE = "application/json";
const HEX32 = /^[0-9a-f]{32}$/;
const RECORD_TYPES = new Set([
  "A",
  "AAAA",
  "CAA",
  "CERT",
  "CNAME",
  "DNSKEY",
  "DS",
  "HTTPS",
  "LOC",
  "MX",
  "NAPTR",
  "NS",
  "PTR",
  "SMIMEA",
  "SRV",
  "SSHFP",
  "SVCB",
  "TLSA",
  "TXT",
  "URI",
]);

interface TokenState {
  id: string;
  zones: "*" | string[];
  permissions: Set<CloudflarePermission>;
  status: "active" | "disabled" | "expired";
  refuse: string | undefined;
}

interface ZoneState {
  id: string;
  name: string;
  status: string;
}

interface ArmedFault {
  fault: CloudflareFault;
  remaining: number;
}

interface State {
  tokens: Map<string, TokenState>;
  zones: ZoneState[];
  records: CloudflareRecord[];
  rateLimit: CloudflareRateLimit;
  /** Request times per presented token, and the end of a block. */
  hits: Map<string, number[]>;
  blockedUntil: Map<string, number>;
  maxPerPage: number;
  commentMax: number;
  faults: ArmedFault[];
  requests: CloudflareRequestLogEntry[];
  latencyMs: number;
}

interface ApiErrorBody {
  code: number;
  message: string;
  error_chain?: Array<{ code: number; message: string }>;
}

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

type Outcome =
  | { kind: "reply"; reply: Reply }
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "lose"; reply: Reply };

function hex32(): string {
  return randomBytes(16).toString("hex");
}

function nowIso(): string {
  return new Date(realNow()).toISOString();
}

export async function startCloudflareEmulator(
  config: CloudflareEmulatorConfig,
  options?: { host?: string; port?: number },
): Promise<CloudflareEmulator> {
  const state = createState(config);
  const sockets = new Set<IncomingMessage["socket"]>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = createServer((req, res) => onRequest(state, req, res, timers));
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  const host = options?.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options?.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("cloudflare emulator: no TCP address");
  const authority = address.address.includes(":") ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${authority}:${address.port}${BASE}`,
    requests: state.requests,
    records(zone) {
      const name = zone?.toLowerCase();
      return state.records
        .filter((r) => name === undefined || r.zone_name === name)
        .map((r) => structuredClone(r));
    },
    zoneId(name) {
      const zone = state.zones.find((z) => z.name === name.toLowerCase());
      if (!zone) throw new Error(`cloudflare emulator: no zone ${name}`);
      return zone.id;
    },
    addRecord(record) {
      return structuredClone(storeFixture(state, record));
    },
    addFault(fault) {
      armFault(state, fault);
    },
    resetRateLimit() {
      state.hits.clear();
      state.blockedUntil.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) realClearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}

function createState(config: CloudflareEmulatorConfig): State {
  const state: State = {
    tokens: new Map(),
    zones: config.zones.map((zone) => ({
      id: zone.id ?? hex32(),
      name: zone.name.toLowerCase(),
      status: zone.status ?? "active",
    })),
    records: [],
    rateLimit: { ...CLOUDFLARE_DEFAULT_RATE_LIMIT, ...config.rateLimit },
    hits: new Map(),
    blockedUntil: new Map(),
    maxPerPage: config.maxPerPage ?? 5_000_000,
    commentMax: config.commentMax ?? 100,
    faults: [],
    requests: [],
    latencyMs: Math.max(0, config.latencyMs ?? 0),
  };
  for (const [token, tokenConfig] of Object.entries(config.tokens)) {
    const permissions = new Set<CloudflarePermission>(tokenConfig.permissions ?? ["zone:read", "dns:edit"]);
    if (permissions.has("dns:edit")) permissions.add("dns:read");
    state.tokens.set(token, {
      id: hex32(),
      zones: tokenConfig.zones === "*" ? "*" : tokenConfig.zones.map((z) => z.toLowerCase()),
      permissions,
      status: tokenConfig.status ?? "active",
      refuse: tokenConfig.refuse,
    });
  }
  for (const record of config.records ?? []) storeFixture(state, record);
  for (const fault of config.faults ?? []) armFault(state, fault);
  return state;
}

function armFault(state: State, fault: CloudflareFault): void {
  const remaining = fault.times ?? 1;
  if (remaining > 0) state.faults.push({ fault: { ...fault }, remaining });
}

function zoneOfName(state: State, name: string): ZoneState | undefined {
  let best: ZoneState | undefined;
  for (const zone of state.zones) {
    if (name !== zone.name && !name.endsWith(`.${zone.name}`)) continue;
    if (!best || zone.name.length > best.name.length) best = zone;
  }
  return best;
}

function storeFixture(state: State, fixture: CloudflareRecordFixture): CloudflareRecord {
  const name = fixture.name.toLowerCase();
  const zone = zoneOfName(state, name);
  if (!zone) throw new Error(`cloudflare emulator: no zone holds ${fixture.name}`);
  const proxied = fixture.proxied ?? false;
  const at = nowIso();
  const record: CloudflareRecord = {
    id: fixture.id ?? hex32(),
    zone_id: zone.id,
    zone_name: zone.name,
    name,
    type: fixture.type.toUpperCase(),
    content: fixture.content,
    proxiable: isProxiable(fixture.type.toUpperCase()),
    proxied,
    ttl: proxied ? 1 : (fixture.ttl ?? 1),
    comment: fixture.comment ?? null,
    tags: [],
    meta: {},
    created_on: at,
    modified_on: at,
  };
  state.records.push(record);
  return record;
}

function isProxiable(type: string): boolean {
  return type === "A" || type === "AAAA" || type === "CNAME";
}

// ---------------------------------------------------------------------------------------------------
// HTTP layer

function onRequest(
  state: State,
  req: IncomingMessage,
  res: ServerResponse,
  timers: Set<ReturnType<typeof setTimeout>>,
): void {
  const entry: CloudflareRequestLogEntry = {
    method: req.method ?? "",
    path: "",
    query: {},
    body: undefined,
    authorization: "",
    route: "unknown",
    status: 0,
    errors: [],
    at: realNow(),
  };
  state.requests.push(entry);
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("error", () => {
    // The client went away mid-body: nobody is left to answer.
  });
  req.on("end", () => {
    const outcome = processRequest(state, req, Buffer.concat(chunks).toString("utf8"), entry);
    if (outcome.kind === "hang") return;
    const deliver = () => {
      if (outcome.kind === "reset" || outcome.kind === "lose") {
        req.socket.destroy();
        return;
      }
      send(res, outcome.reply);
    };
    if (state.latencyMs <= 0) {
      deliver();
      return;
    }
    const timer = realSetTimeout(() => {
      timers.delete(timer);
      deliver();
    }, state.latencyMs);
    timers.add(timer);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": Buffer.byteLength(reply.body),
    ...reply.headers,
  });
  res.end(reply.body);
}

function envelope(result: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ result, success: true, errors: [], messages: [], ...extra });
}

function failure(status: number, errors: ApiErrorBody[], headers?: Record<string, string>): Reply {
  return {
    status,
    contentType: JSON_TYPE,
    body: JSON.stringify({ result: null, success: false, errors, messages: [] }),
    ...(headers ? { headers } : {}),
  };
}

function ok(result: unknown, extra: Record<string, unknown> = {}): Reply {
  return { status: 200, contentType: JSON_TYPE, body: envelope(result, extra) };
}

/** Replaces every known token (and the presented one) in a logged string. */
function scrub(state: State, text: string, presented: string | undefined): string {
  let out = text;
  const secrets = [...state.tokens.keys(), ...(presented ? [presented] : [])].filter((s) => s.length >= 4);
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}

function routeOf(method: string, parts: string[]): CloudflareRoute {
  if (parts.length === 3 && parts[0] === "user" && parts[1] === "tokens" && parts[2] === "verify")
    return "verify";
  if (parts.length === 1 && parts[0] === "zones" && method === "GET") return "zones";
  if (parts.length === 3 && parts[0] === "zones" && parts[2] === "dns_records") {
    if (method === "GET") return "list_records";
    if (method === "POST") return "create_record";
  }
  if (parts.length === 4 && parts[0] === "zones" && parts[2] === "dns_records") {
    if (method === "GET") return "get_record";
    if (method === "PATCH") return "patch_record";
    if (method === "DELETE") return "delete_record";
  }
  return "unknown";
}

function processRequest(
  state: State,
  req: IncomingMessage,
  rawBody: string,
  entry: CloudflareRequestLogEntry,
): Outcome {
  const url = new URL(req.url ?? "/", "http://emulator");
  const header = req.headers.authorization;
  const bearer = typeof header === "string" && /^Bearer /.test(header) ? header.slice(7) : undefined;
  entry.authorization = header === undefined ? "" : bearer !== undefined ? "Bearer ***" : "other";
  const below = url.pathname.startsWith(BASE)
    ? url.pathname.slice(BASE.length)
    : url.pathname.replace(/^\//, "");
  entry.path = scrub(state, below, bearer);
  for (const [name, value] of url.searchParams) entry.query[name] = scrub(state, value, bearer);
  if (rawBody !== "") {
    const text = scrub(state, rawBody, bearer);
    try {
      entry.body = JSON.parse(text);
    } catch {
      entry.body = text;
    }
  }
  const parts = below.split("/").filter((part) => part !== "");
  const method = (req.method ?? "GET").toUpperCase();
  entry.route = url.pathname.startsWith(BASE) ? routeOf(method, parts) : "unknown";

  const finish = (outcome: Outcome): Outcome => {
    if (outcome.kind === "reply" || outcome.kind === "lose") {
      entry.status = outcome.reply.status;
      try {
        const parsed = JSON.parse(outcome.reply.body) as { errors?: Array<{ code: number }> };
        entry.errors = (parsed.errors ?? []).map((e) => e.code);
      } catch {
        // not JSON: a fault body
      }
    }
    return outcome;
  };

  const fault = takeFault(state, entry.route);
  if (fault && fault.kind !== "lose_reply") {
    entry.fault = fault.kind;
    return finish(faultOutcome(fault));
  }

  const reply = handle(state, method, parts, url.searchParams, rawBody, header, bearer, url.pathname);
  if (fault?.kind === "lose_reply") {
    entry.fault = fault.kind;
    return finish({ kind: "lose", reply });
  }
  return finish({ kind: "reply", reply });
}

function takeFault(state: State, route: CloudflareRoute): CloudflareFault | undefined {
  const index = state.faults.findIndex(
    (f) => f.remaining > 0 && (f.fault.route === undefined || f.fault.route === route),
  );
  const armed = state.faults[index];
  if (armed === undefined) return undefined;
  armed.remaining -= 1;
  if (armed.remaining <= 0) state.faults.splice(index, 1);
  return armed.fault;
}

function faultOutcome(fault: CloudflareFault): Outcome {
  switch (fault.kind) {
    case "http":
      return {
        kind: "reply",
        reply: {
          status: fault.status,
          body: fault.body,
          contentType: fault.contentType ?? "text/html",
          ...(fault.headers ? { headers: fault.headers } : {}),
        },
      };
    case "api_error":
      return { kind: "reply", reply: failure(fault.status, [{ code: fault.code, message: fault.message }]) };
    case "rate_limit":
      return { kind: "reply", reply: rateLimited(fault.retryAfter ?? 300) };
    case "garbage":
      return {
        kind: "reply",
        reply: {
          status: 200,
          contentType: "text/html",
          body: "<html><head><title>Cloudflare</title></head><body>Please enable cookies.</body></html>",
        },
      };
    case "truncated_json":
      return { kind: "reply", reply: { status: 200, contentType: JSON_TYPE, body: '{"result":[{"id":"' } };
    case "hang":
      return { kind: "hang" };
    case "reset":
      return { kind: "reset" };
    case "lose_reply":
      return { kind: "reset" };
    case "lie":
      return { kind: "reply", reply: { status: 200, contentType: JSON_TYPE, body: envelope(null) } };
  }
}

function rateLimited(retryAfterSec: number): Reply {
  return failure(429, [{ code: 971, message: "Please wait and consider throttling your request speed" }], {
    "retry-after": String(Math.max(1, Math.ceil(retryAfterSec))),
  });
}

/** Counts the request against the token's window; a 429 reply while blocked or once the limit is passed. */
function rateLimit(state: State, key: string): Reply | undefined {
  const now = realNow();
  const blocked = state.blockedUntil.get(key);
  if (blocked !== undefined && blocked > now) return rateLimited((blocked - now) / 1000);
  const windowMs = state.rateLimit.windowSec * 1000;
  const hits = (state.hits.get(key) ?? []).filter((t) => t > now - windowMs);
  hits.push(now);
  state.hits.set(key, hits);
  if (hits.length > state.rateLimit.max) {
    const until = now + state.rateLimit.blockSec * 1000;
    state.blockedUntil.set(key, until);
    return rateLimited(state.rateLimit.blockSec);
  }
  return undefined;
}

const NO_ROUTE: ApiErrorBody = { code: 7000, message: "No route for that URI" };

function noRoute(pathname: string): Reply {
  return failure(400, [
    { code: 7003, message: `Could not route to ${pathname}, perhaps your object identifier is invalid?` },
    NO_ROUTE,
  ]);
}

const AUTH_ERROR: ApiErrorBody = { code: 10000, message: "Authentication error" };

function handle(
  state: State,
  method: string,
  parts: string[],
  query: URLSearchParams,
  rawBody: string,
  header: string | undefined,
  bearer: string | undefined,
  pathname: string,
): Reply {
  if (header === undefined) {
    return failure(400, [
      { code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" },
    ]);
  }
  if (bearer === undefined || !/^[A-Za-z0-9_-]+$/.test(bearer)) {
    return failure(400, [
      {
        code: 6003,
        message: "Invalid request headers",
        error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
      },
    ]);
  }
  const limited = rateLimit(state, bearer);
  if (limited) return limited;
  const token = state.tokens.get(bearer);
  const route = routeOf(method, parts);
  if (route === "verify") {
    if (!token) return failure(401, [{ code: 1000, message: "Invalid API Token" }]);
    return ok(
      { id: token.id, status: token.status },
      { messages: [{ code: 10000, message: "This API Token is valid and active", type: null }] },
    );
  }
  if (token?.status !== "active" || token.refuse !== undefined) {
    return failure(403, [{ code: 9109, message: token?.refuse ?? "Invalid access token" }]);
  }
  if (route === "zones") return listZones(state, token, query);
  if (parts[0] === "zones" && parts.length >= 2 && !HEX32.test(parts[1] ?? "")) return noRoute(pathname);
  if (parts[0] !== "zones" || parts[2] !== "dns_records" || parts.length > 4) {
    if (parts.length === 1 && parts[0] === "zones") {
      return failure(405, [{ code: 7001, message: `Method ${method} not available for that URI.` }]);
    }
    return failure(404, [NO_ROUTE]);
  }
  const zoneId = parts[1] ?? "";
  const zone = state.zones.find((z) => z.id === zoneId);
  if (!zone || !tokenReaches(token, zone)) return failure(403, [AUTH_ERROR]);
  const recordId = parts[3];
  if (recordId !== undefined && !HEX32.test(recordId)) return noRoute(pathname);
  if (route === "unknown") {
    return failure(405, [{ code: 7001, message: `Method ${method} not available for that URI.` }]);
  }
  const writing = route === "create_record" || route === "patch_record" || route === "delete_record";
  if (!token.permissions.has(writing ? "dns:edit" : "dns:read")) return failure(403, [AUTH_ERROR]);
  let body: Record<string, unknown> = {};
  if (route === "create_record" || route === "patch_record") {
    try {
      const parsed: unknown = JSON.parse(rawBody);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      body = parsed as Record<string, unknown>;
    } catch {
      return failure(400, [{ code: 9207, message: "Request body is invalid." }]);
    }
  }
  switch (route) {
    case "list_records":
      return listRecords(state, zone, query);
    case "create_record":
      return createRecord(state, zone, body);
    case "get_record":
    case "patch_record":
    case "delete_record": {
      const record = state.records.find((r) => r.id === recordId && r.zone_id === zone.id);
      if (!record) return failure(404, [{ code: 81044, message: "Record does not exist." }]);
      if (route === "get_record") return ok(structuredClone(record));
      if (route === "delete_record") {
        state.records = state.records.filter((r) => r !== record);
        return ok({ id: record.id });
      }
      return patchRecord(state, zone, record, body);
    }
    default:
      return failure(404, [NO_ROUTE]);
  }
}

function tokenReaches(token: TokenState, zone: ZoneState): boolean {
  return token.zones === "*" || token.zones.includes(zone.name);
}

function pageParams(query: URLSearchParams, defaults: { perPage: number; min: number; max: number }) {
  const page = Math.max(1, Math.floor(Number(query.get("page") ?? "1")) || 1);
  const asked = Math.floor(Number(query.get("per_page") ?? String(defaults.perPage))) || defaults.perPage;
  const perPage = Math.min(defaults.max, Math.max(defaults.min, asked));
  return { page, perPage };
}

function paginate<T>(
  items: T[],
  page: number,
  perPage: number,
): { slice: T[]; info: Record<string, number> } {
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.ceil(items.length / perPage),
    },
  };
}

function listZones(state: State, token: TokenState, query: URLSearchParams): Reply {
  const name = query.get("name")?.toLowerCase();
  const visible = state.zones.filter(
    (zone) =>
      tokenReaches(token, zone) && token.permissions.size > 0 && (name === undefined || zone.name === name),
  );
  const { page, perPage } = pageParams(query, { perPage: 20, min: 5, max: 50 });
  const { slice, info } = paginate(visible, page, perPage);
  const zones = slice.map((zone) => ({
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
  }));
  return ok(zones, { result_info: info });
}

function listRecords(state: State, zone: ZoneState, query: URLSearchParams): Reply {
  const name = query.get("name")?.toLowerCase() ?? query.get("name.exact")?.toLowerCase();
  const type = query.get("type")?.toUpperCase();
  const matching = state.records.filter(
    (r) =>
      r.zone_id === zone.id &&
      (name === undefined || r.name === name) &&
      (type === undefined || r.type === type),
  );
  const { page, perPage } = pageParams(query, { perPage: 100, min: 1, max: state.maxPerPage });
  const { slice, info } = paginate(matching, page, perPage);
  return ok(
    slice.map((r) => structuredClone(r)),
    { result_info: info },
  );
}

/** A relative name ("home", "@") is completed with the zone, as the dashboard does. */
function fullName(name: string, zone: ZoneState): string {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "@" || lower === "") return zone.name;
  if (lower === zone.name || lower.endsWith(`.${zone.name}`)) return lower;
  return `${lower}.${zone.name}`;
}

function isIPv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(value: string): boolean {
  if (!value.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(value)) return false;
  try {
    new URL(`http://[${value}]/`);
    return true;
  } catch {
    return false;
  }
}

function validationError(code: number, message: string): Reply {
  return failure(400, [{ code: 1004, message: "DNS Validation Error", error_chain: [{ code, message }] }]);
}

interface Fields {
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment: string | null;
}

/** Checks a record's would-be fields; a reply when they are not acceptable. */
function validate(
  state: State,
  zone: ZoneState,
  fields: Fields,
  self: CloudflareRecord | undefined,
): Reply | undefined {
  if (!RECORD_TYPES.has(fields.type))
    return failure(400, [{ code: 9000, message: "DNS record type is invalid." }]);
  if (fields.type === "A" && !isIPv4(fields.content)) {
    return failure(400, [{ code: 9005, message: "Content for A record must be a valid IPv4 address." }]);
  }
  if (fields.type === "AAAA" && !isIPv6(fields.content)) {
    return failure(400, [{ code: 9006, message: "Content for AAAA record must be a valid IPv6 address." }]);
  }
  if (!(fields.ttl === 1 || (Number.isInteger(fields.ttl) && fields.ttl >= 60 && fields.ttl <= 86400))) {
    return validationError(9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.");
  }
  if (fields.comment !== null && /[\r\n]/.test(fields.comment)) {
    return validationError(9101, "DNS record comment cannot contain newline characters.");
  }
  if (fields.comment !== null && [...fields.comment].length > state.commentMax) {
    return validationError(9102, `DNS record comment is longer than ${state.commentMax} characters.`);
  }
  if (fields.proxied && !isProxiable(fields.type)) {
    return validationError(9004, "This record type cannot be proxied.");
  }
  const others = state.records.filter((r) => r.zone_id === zone.id && r.name === fields.name && r !== self);
  if (fields.type === "CNAME" && others.some((r) => ["A", "AAAA", "CNAME"].includes(r.type))) {
    return failure(400, [
      { code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." },
    ]);
  }
  if (fields.type !== "CNAME" && others.some((r) => r.type === "CNAME")) {
    return failure(400, [{ code: 81054, message: "A CNAME record with that host already exists." }]);
  }
  if (others.some((r) => r.type === fields.type && r.content === fields.content)) {
    return failure(400, [{ code: 81058, message: "An identical record already exists." }]);
  }
  return undefined;
}

function readFields(body: Record<string, unknown>, base: Fields, zone: ZoneState): Fields | Reply {
  const fields: Fields = { ...base };
  if (body.type !== undefined) {
    if (typeof body.type !== "string")
      return failure(400, [{ code: 9000, message: "DNS record type is invalid." }]);
    fields.type = body.type.toUpperCase();
  }
  if (body.name !== undefined) {
    if (typeof body.name !== "string") return failure(400, [{ code: 9000, message: "DNS name is invalid." }]);
    fields.name = fullName(body.name, zone);
  }
  if (body.content !== undefined) {
    if (typeof body.content !== "string")
      return failure(400, [{ code: 9000, message: "DNS content is invalid." }]);
    fields.content = body.content;
  }
  if (body.ttl !== undefined) {
    if (typeof body.ttl !== "number") return validationError(9021, "Invalid TTL.");
    fields.ttl = body.ttl;
  }
  if (body.proxied !== undefined) {
    if (typeof body.proxied !== "boolean")
      return failure(400, [{ code: 9003, message: "Invalid 'proxied' value." }]);
    fields.proxied = body.proxied;
  }
  if (body.comment !== undefined) {
    if (body.comment !== null && typeof body.comment !== "string") {
      return validationError(9101, "DNS record comment is invalid.");
    }
    fields.comment = body.comment === "" ? null : body.comment;
  }
  return fields;
}

function createRecord(state: State, zone: ZoneState, body: Record<string, unknown>): Reply {
  if (typeof body.type !== "string" || typeof body.name !== "string" || typeof body.content !== "string") {
    return validationError(9000, "type, name and content are required.");
  }
  const fields = readFields(
    body,
    { type: "", name: "", content: "", ttl: 1, proxied: false, comment: null },
    zone,
  );
  if ("status" in fields) return fields;
  const problem = validate(state, zone, fields, undefined);
  if (problem) return problem;
  const at = nowIso();
  const record: CloudflareRecord = {
    id: hex32(),
    zone_id: zone.id,
    zone_name: zone.name,
    name: fields.name,
    type: fields.type,
    content: fields.content,
    proxiable: isProxiable(fields.type),
    proxied: fields.proxied,
    ttl: fields.proxied ? 1 : fields.ttl,
    comment: fields.comment,
    tags: [],
    meta: {},
    created_on: at,
    modified_on: at,
  };
  state.records.push(record);
  return ok(structuredClone(record));
}

function patchRecord(
  state: State,
  zone: ZoneState,
  record: CloudflareRecord,
  body: Record<string, unknown>,
): Reply {
  const fields = readFields(body, { ...record }, zone);
  if ("status" in fields) return fields;
  const problem = validate(state, zone, fields, record);
  if (problem) return problem;
  Object.assign(record, {
    type: fields.type,
    name: fields.name,
    content: fields.content,
    proxiable: isProxiable(fields.type),
    proxied: fields.proxied,
    ttl: fields.proxied ? 1 : fields.ttl,
    comment: fields.comment,
    modified_on: nowIso(),
  });
  return ok(structuredClone(record));
}
