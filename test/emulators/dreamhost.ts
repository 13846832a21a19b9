/**
 * A local emulator of DreamHost's DNS API (`https://api.dreamhost.com/`), built to the spec in
 * /work/shared/reference/dreamhost-api.md §9. It serves `dns-list_records`, `dns-add_record`,
 * `dns-remove_record` and the metacommand `api-list_accessible_cmds` on loopback, so the DreamHost
 * provider can be tested without the network, including the behaviours nobody has pinned down
 * (switchable through `quirks`) and infrastructure failures (`faults`).
 *
 * Only node:http and node:crypto are used: the emulator must not pull dependencies into the test suite.
 */
import { randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

// Captured at module load so that a test which later calls vi.useFakeTimers() cannot freeze the
// emulator: rate-limit windows, consistency lag and response latency must follow real time.
const realNow: () => number = Date.now.bind(Date);
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export interface DreamHostQuirks {
  /** Where the "specifics after a tab" go in JSON: a `reason` field, or `data` = `code\tdetail`. */
  errorDetailIn: "reason" | "data-tab";
  /** Error for removing an `editable:"0"` row: documented `not_editable`, or `no_such_value` (seen 2019). */
  removeNonEditable: "not_editable" | "no_such_value";
  /** A non-editable row of the same (record, type) with another value blocks an add. */
  nonEditableSameNameTypeBlocksAdd: boolean;
  /** CNAME values get a trailing dot appended when stored. */
  cnameTrailingDot: boolean;
  /** NS/PTR values and SRV targets get a trailing dot appended when stored. */
  hostnameTargetsTrailingDot: boolean;
  shuffleRecordOrder: boolean;
  shuffleKeyOrder: boolean;
  /** For this long after a change, the list still shows the pre-change state. */
  consistencyLagMs: number;
  uniqueIdMaxLen: number;
}

export interface DreamHostKeyConfig {
  /** Accounts this key can see, e.g. ["123456"]. */
  accountIds: string[];
  /** Commands this key may call; "*" means all functions. */
  cmds: "*" | string[];
}

export interface DreamHostZoneFixture {
  accountId: string;
  zone: string;
}

export interface DreamHostRecordFixture {
  accountId: string;
  zone: string;
  record: string;
  type: string;
  value: string;
  comment?: string;
  editable: "0" | "1";
}

/** A row exactly as `dns-list_records` returns it: every field a string. */
export interface DreamHostRecordRow {
  account_id: string;
  zone: string;
  record: string;
  type: string;
  value: string;
  comment: string;
  editable: "0" | "1";
}

export interface DreamHostRateLimit {
  cmd: string;
  windowSec: number;
  max: number;
}

export type DreamHostFault =
  | { cmd?: string; times?: number; kind: "api_error"; code: string; reason?: string }
  | { cmd?: string; times?: number; kind: "http"; status: number; body: string; contentType?: string }
  | { cmd?: string; times?: number; kind: "hang" | "reset" | "garbage" | "truncated_json" }
  /**
   * A lie: `{"result":"success","data":<data>}` (default "record_not_added") and nothing changes; with
   * `effect`, the command does run and only the reply's wording is odd.
   */
  | { cmd?: string; times?: number; kind: "lie"; data?: string; effect?: boolean };

export interface DreamHostEmulatorConfig {
  /** Key string (16 chars [A-Z0-9] recommended) → what it may do. */
  keys: Record<string, DreamHostKeyConfig>;
  /** Zones that exist (a hosted domain without a zone gives no_such_zone). Zones of `records` exist too. */
  zones: DreamHostZoneFixture[];
  records: DreamHostRecordFixture[];
  /** Replaces the defaults entirely when given (`[]` disables rate limiting). */
  rateLimits?: DreamHostRateLimit[];
  /** Missing fields take the defaults in DREAMHOST_DEFAULT_QUIRKS. */
  quirks?: Partial<DreamHostQuirks>;
  faults?: DreamHostFault[];
  /** Delay added before every response, default 0. The request is processed before the delay. */
  latencyMs?: number;
}

export interface DreamHostRequestLogEntry {
  cmd: string;
  method: string;
  contentType: string;
  /** Query and body parameters merged (body wins), with `key` replaced by "***". */
  params: Record<string, string>;
  /** Names of the parameters that arrived in the query string (lets tests check the key stayed out of URLs). */
  queryParamNames: string[];
  uniqueId?: string;
  /** Arrival time, real epoch milliseconds. */
  at: number;
  result: "success" | "error" | "fault";
  /** `record_added`/`record_removed` for mutations, the error code, the fault code or kind, or `http_<status>`. */
  data?: string;
}

export interface DreamHostEmulator {
  /** Base URL with the trailing slash, e.g. "http://127.0.0.1:PORT/". */
  url: string;
  /** Every request, in arrival order. */
  requests: DreamHostRequestLogEntry[];
  /** Current rows (no consistency lag, insertion order), as copies. */
  records(): DreamHostRecordRow[];
  addFault(fault: DreamHostFault): void;
  /** Replaces all rows at once, with no consistency lag. Accepts fixture or list-row shapes. */
  setRecords(rows: ReadonlyArray<DreamHostRecordFixture | DreamHostRecordRow>): void;
  setQuirks(quirks: Partial<DreamHostQuirks>): void;
  resetRateLimits(): void;
  /** Stops the server and destroys every socket (including hung ones), so it never hangs. */
  close(): Promise<void>;
}

export const DREAMHOST_DEFAULT_QUIRKS: Readonly<DreamHostQuirks> = Object.freeze({
  errorDetailIn: "reason",
  removeNonEditable: "not_editable",
  nonEditableSameNameTypeBlocksAdd: true,
  cnameTrailingDot: true,
  hostnameTargetsTrailingDot: true,
  shuffleRecordOrder: true,
  shuffleKeyOrder: true,
  consistencyLagMs: 0,
  uniqueIdMaxLen: 64,
});

// Measured for dns-add_record (robderickson, 2021); the remove limits are a guess (§5).
export const DREAMHOST_DEFAULT_RATE_LIMITS: readonly Readonly<DreamHostRateLimit>[] = Object.freeze([
  Object.freeze({ cmd: "dns-add_record", windowSec: 300, max: 10 }),
  Object.freeze({ cmd: "dns-add_record", windowSec: 3600, max: 50 }),
  Object.freeze({ cmd: "dns-remove_record", windowSec: 300, max: 10 }),
  Object.freeze({ cmd: "dns-remove_record", windowSec: 3600, max: 50 }),
]);

/** Zones whose rows dns-list_records never returns and that dns-add_record cannot reach (§2, §9.4). */
export const DREAMHOST_HIDDEN_ZONES: readonly string[] = Object.freeze([
  "dreamhosters.com",
  "dreamhost.com",
  "dreamhostps.com",
  "newdream.net",
]);

const IMPLEMENTED_CMDS: readonly string[] = [
  "api-list_accessible_cmds",
  "dns-add_record",
  "dns-list_records",
  "dns-remove_record",
];

const ADDABLE_TYPES: ReadonlySet<string> = new Set([
  "A",
  "AAAA",
  "CNAME",
  "NS",
  "NAPTR",
  "SRV",
  "TXT",
  "PTR",
]);

const LIST_COLUMNS = ["account_id", "zone", "record", "type", "value", "comment", "editable"] as const;
const CMD_COLUMNS = ["cmd", "order", "args", "optargs"] as const;

const JSON_TYPE = "application/json;charset=UTF-8";
const TAB_TYPE = "text/plain; charset=UTF-8";
const HTML_TYPE = "text/html";

interface StoredRow {
  seq: number;
  accountId: string;
  zone: string;
  record: string;
  type: string;
  value: string;
  comment: string;
  editable: "0" | "1";
  /** -Infinity for fixture rows, so they are visible whatever the lag. */
  addedAt: number;
  removedAt?: number;
}

interface ZoneEntry {
  accountId: string;
  zone: string;
}

interface KeyState {
  accountIds: string[];
  cmds: "*" | string[];
  usedUniqueIds: Set<string>;
}

interface ArmedFault {
  fault: DreamHostFault;
  remaining: number;
}

interface EmulatorState {
  keys: Map<string, KeyState>;
  zones: ZoneEntry[];
  rows: StoredRow[];
  /** Removed rows kept while the consistency lag can still show them (or block an identical re-add). */
  tombstones: StoredRow[];
  nextSeq: number;
  rateLimits: DreamHostRateLimit[];
  /** Times of successful calls per key and cmd: only successes count toward the limits (§5). */
  successes: Map<string, number[]>;
  quirks: DreamHostQuirks;
  faults: ArmedFault[];
  requests: DreamHostRequestLogEntry[];
  latencyMs: number;
}

type Format = "json" | "tab";

interface ApiError {
  code: string;
  detail?: string;
  /** "specifics" follow quirks.errorDetailIn; "reason" always uses the JSON `reason` field. */
  detailKind?: "specifics" | "reason";
}

interface Table {
  columns: readonly string[];
  rows: string[][];
}

type CommandResult = { ok: true; data: string | Table } | { ok: false; error: ApiError };

interface HttpReply {
  status: number;
  contentType: string;
  body: string;
  extraHeaders?: Record<string, string>;
}

type Outcome = { kind: "reply"; reply: HttpReply } | { kind: "hang" } | { kind: "reset" };

type Socket = IncomingMessage["socket"];

export async function startDreamHostEmulator(
  config: DreamHostEmulatorConfig,
  options?: { port?: number; host?: string },
): Promise<DreamHostEmulator> {
  const state = createState(config);
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const server = createServer((req, res) => {
    onRequest(state, req, res, timers);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const host = options?.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options?.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("dreamhost emulator: unexpected server address");
  }
  const urlHost = address.address.includes(":") ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}/`,
    requests: state.requests,
    records() {
      return state.rows.map(toRow);
    },
    addFault(fault) {
      armFault(state, fault);
    },
    setRecords(rows) {
      state.rows = [];
      state.tombstones = [];
      for (const row of rows) {
        const fixture = toFixture(row);
        state.rows.push(storeFixture(state, fixture));
        addZone(state, fixture.accountId, fixture.zone);
      }
    },
    setQuirks(quirks) {
      state.quirks = mergeQuirks(state.quirks, quirks);
    },
    resetRateLimits() {
      state.successes.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) realClearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Hung requests and idle keep-alive connections would otherwise keep close() waiting for ever.
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}

function createState(config: DreamHostEmulatorConfig): EmulatorState {
  const state: EmulatorState = {
    keys: new Map(),
    zones: [],
    rows: [],
    tombstones: [],
    nextSeq: 0,
    rateLimits: (config.rateLimits ?? DREAMHOST_DEFAULT_RATE_LIMITS).map((l) => ({ ...l })),
    successes: new Map(),
    quirks: mergeQuirks(DREAMHOST_DEFAULT_QUIRKS, config.quirks ?? {}),
    faults: [],
    requests: [],
    latencyMs: Math.max(0, config.latencyMs ?? 0),
  };
  for (const [key, keyConfig] of Object.entries(config.keys)) {
    state.keys.set(key, {
      accountIds: [...keyConfig.accountIds],
      cmds: keyConfig.cmds === "*" ? "*" : [...keyConfig.cmds],
      usedUniqueIds: new Set(),
    });
  }
  for (const zone of config.zones) addZone(state, zone.accountId, zone.zone);
  for (const record of config.records) {
    state.rows.push(storeFixture(state, record));
    // A zone exists as soon as it holds a record (§3: zones are created by their first record).
    addZone(state, record.accountId, record.zone);
  }
  for (const fault of config.faults ?? []) armFault(state, fault);
  return state;
}

function mergeQuirks(base: Readonly<DreamHostQuirks>, patch: Partial<DreamHostQuirks>): DreamHostQuirks {
  const merged: DreamHostQuirks = { ...base };
  // Skip explicit undefined values (possible from plain JS callers) so they cannot erase a default.
  for (const [name, value] of Object.entries(patch)) {
    if (value !== undefined) Object.assign(merged, { [name]: value });
  }
  return merged;
}

function addZone(state: EmulatorState, accountId: string, zone: string): void {
  const name = zone.toLowerCase();
  if (!state.zones.some((z) => z.accountId === accountId && z.zone === name)) {
    state.zones.push({ accountId, zone: name });
  }
}

function armFault(state: EmulatorState, fault: DreamHostFault): void {
  const remaining = fault.times ?? 1;
  if (remaining > 0) state.faults.push({ fault: { ...fault }, remaining });
}

function toFixture(row: DreamHostRecordFixture | DreamHostRecordRow): DreamHostRecordFixture {
  if ("account_id" in row) {
    return {
      accountId: row.account_id,
      zone: row.zone,
      record: row.record,
      type: row.type,
      value: row.value,
      comment: row.comment,
      editable: row.editable,
    };
  }
  return row;
}

function storeFixture(state: EmulatorState, fixture: DreamHostRecordFixture): StoredRow {
  return {
    seq: state.nextSeq++,
    accountId: fixture.accountId,
    zone: fixture.zone,
    record: fixture.record,
    type: fixture.type,
    value: fixture.value,
    comment: fixture.comment ?? "",
    editable: fixture.editable,
    addedAt: Number.NEGATIVE_INFINITY,
  };
}

function toRow(row: StoredRow): DreamHostRecordRow {
  return {
    account_id: row.accountId,
    zone: row.zone,
    record: row.record,
    type: row.type,
    value: row.value,
    comment: row.comment,
    editable: row.editable,
  };
}

// ---------------------------------------------------------------------------------------------------
// HTTP layer

function onRequest(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  timers: Set<ReturnType<typeof setTimeout>>,
): void {
  // Logged on arrival (not on completion) so the log keeps arrival order even when bodies stream slowly.
  const entry: DreamHostRequestLogEntry = {
    cmd: "",
    method: req.method ?? "",
    contentType: req.headers["content-type"] ?? "",
    params: {},
    queryParamNames: [],
    at: realNow(),
    result: "error",
  };
  state.requests.push(entry);

  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("error", () => {
    // The client went away mid-body: there is nobody left to answer.
  });
  req.on("end", () => {
    const outcome = processRequest(state, req, Buffer.concat(chunks), entry);
    if (outcome.kind === "hang") return; // never answer; close() destroys the socket
    const deliver = () => {
      if (outcome.kind === "reset") {
        req.socket.destroy();
      } else {
        sendReply(res, outcome.reply);
      }
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

function sendReply(res: ServerResponse, reply: HttpReply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, {
    "Content-Type": reply.contentType,
    Server: "nginx",
    "Access-Control-Allow-Origin": "*",
    ...reply.extraHeaders,
  });
  // write() then end() makes Node use chunked transfer encoding, as the real API does (§1.1).
  if (reply.body.length > 0) res.write(reply.body);
  res.end();
}

function processRequest(
  state: EmulatorState,
  req: IncomingMessage,
  body: Buffer,
  entry: DreamHostRequestLogEntry,
): Outcome {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : rawUrl.slice(q + 1));

  const params = new Map<string, string>();
  for (const [name, value] of query) {
    if (!params.has(name)) params.set(name, value);
  }
  entry.queryParamNames = [...params.keys()];
  if (req.method === "POST") {
    // Body parameters win over query parameters on conflicts (§9.2).
    const fromBody = new Map<string, string>();
    for (const [name, value] of parseBody(req.headers["content-type"] ?? "", body)) {
      if (!fromBody.has(name)) fromBody.set(name, value);
    }
    for (const [name, value] of fromBody) params.set(name, value);
  }
  fillLogParams(entry, params);

  if (path !== "/" && path !== "") {
    return httpFailure(
      entry,
      404,
      HTML_TYPE,
      "<html><head><title>404 Not Found</title></head><body>404</body></html>",
    );
  }
  if (req.method !== "GET" && req.method !== "POST") {
    const failure = httpFailure(entry, 405, HTML_TYPE, "<html><body>405 Not Allowed</body></html>");
    if (failure.kind === "reply") failure.reply.extraHeaders = { Allow: "GET, POST" };
    return failure;
  }
  const formatParam = (params.get("format") ?? "").toLowerCase();
  const format: Format | undefined =
    formatParam === "" || formatParam === "tab" ? "tab" : formatParam === "json" ? "json" : undefined;
  if (format === undefined) {
    // A deliberate signal that the emulator does not emulate xml/perl/php/yaml/html (§9.2).
    return httpFailure(entry, 501, TAB_TYPE, "emulator: format not implemented");
  }
  return runApi(state, params, format, entry);
}

function fillLogParams(entry: DreamHostRequestLogEntry, params: Map<string, string>): void {
  const logged: Record<string, string> = {};
  for (const [name, value] of params) {
    // Any spelling of "key" is redacted: a wrongly cased `Key=` still carries a secret.
    Object.defineProperty(logged, name, {
      value: name.toLowerCase() === "key" ? "***" : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  entry.params = logged;
  entry.cmd = params.get("cmd") ?? "";
  const uniqueId = params.get("unique_id");
  if (uniqueId !== undefined) entry.uniqueId = uniqueId;
}

function httpFailure(
  entry: DreamHostRequestLogEntry,
  status: number,
  contentType: string,
  body: string,
): Outcome {
  entry.result = "error";
  entry.data = `http_${status}`;
  return { kind: "reply", reply: { status, contentType, body } };
}

function parseBody(contentType: string, body: Buffer): Array<[string, string]> {
  const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (mediaType === "application/x-www-form-urlencoded") {
    return [...new URLSearchParams(body.toString("utf8"))];
  }
  if (mediaType === "multipart/form-data") {
    return parseMultipart(contentType, body);
  }
  // Any other body (JSON, none) is ignored, as a form-reading CGI backend would.
  return [];
}

function parseMultipart(contentType: string, body: Buffer): Array<[string, string]> {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return [];
  // latin1 maps bytes 1:1 to chars, so part contents can be cut out and decoded as UTF-8 afterwards.
  const text = body.toString("latin1");
  const fields: Array<[string, string]> = [];
  const parts = text.split(`--${boundary}`);
  for (const part of parts.slice(1)) {
    if (part.startsWith("--")) break; // closing delimiter
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd === -1) continue;
    const headers = part.slice(0, headerEnd);
    const name = /;\s*name="([^"]*)"/i.exec(headers)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(headers)?.[1];
    if (name === undefined) continue;
    let content = part.slice(headerEnd + 4);
    if (content.endsWith("\r\n")) content = content.slice(0, -2);
    fields.push([
      Buffer.from(name, "latin1").toString("utf8"),
      Buffer.from(content, "latin1").toString("utf8"),
    ]);
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------------
// API layer: processing order of §9.3

function runApi(
  state: EmulatorState,
  params: Map<string, string>,
  format: Format,
  entry: DreamHostRequestLogEntry,
): Outcome {
  const quirks = state.quirks;
  const fail = (error: ApiError): Outcome => {
    entry.result = "error";
    entry.data = error.code;
    return { kind: "reply", reply: renderError(format, error, quirks) };
  };

  const key = params.get("key");
  if (key === undefined || key === "") return fail({ code: "no_key" });
  const keyState = state.keys.get(key);
  if (keyState === undefined) {
    return fail({
      code: "invalid_api_key",
      detail: "The API key you provided does not exist.",
      detailKind: "reason",
    });
  }
  const cmd = params.get("cmd");
  if (cmd === undefined || cmd === "") return fail({ code: "no_cmd" });
  // The permission error supersedes no_such_cmd (§1.4).
  if (keyState.cmds !== "*" && !keyState.cmds.includes(cmd)) {
    return fail({ code: "this_key_cannot_access_this_cmd" });
  }
  if (!IMPLEMENTED_CMDS.includes(cmd)) return fail({ code: "no_such_cmd" });

  const uniqueId = params.get("unique_id");
  const hasUniqueId = uniqueId !== undefined && uniqueId !== "";
  if (hasUniqueId) {
    if (uniqueId.length > quirks.uniqueIdMaxLen) return fail({ code: "unique_id_too_long" });
    if (keyState.usedUniqueIds.has(uniqueId)) return fail({ code: "unique_id_already_used" });
  }

  const account = params.get("account");
  let scope = keyState.accountIds;
  if (account !== undefined && account !== "") {
    if (!keyState.accountIds.includes(account)) return fail({ code: "invalid_account" });
    scope = [account];
  }

  const now = realNow();
  const limited = checkRateLimit(state, key, cmd, now);
  if (limited !== undefined) return fail(limited);

  const fault = takeFault(state, cmd);
  if (fault !== undefined && !(fault.kind === "lie" && fault.effect))
    return faultOutcome(fault, format, quirks, entry);

  pruneTombstones(state, now);
  const result = runCommand(state, keyState, cmd, params, scope, now);
  if (!result.ok) return fail(result.error);
  if (fault !== undefined) return faultOutcome(fault, format, quirks, entry);

  // Only a success uses up the unique_id and counts toward the rate limits (§1.3, §5).
  if (hasUniqueId) keyState.usedUniqueIds.add(uniqueId);
  recordSuccess(state, key, cmd, now);
  entry.result = "success";
  if (typeof result.data === "string") entry.data = result.data;
  return { kind: "reply", reply: renderSuccess(format, result.data, quirks) };
}

function rateKey(key: string, cmd: string): string {
  return `${key}\n${cmd}`;
}

function checkRateLimit(state: EmulatorState, key: string, cmd: string, now: number): ApiError | undefined {
  const times = state.successes.get(rateKey(key, cmd)) ?? [];
  for (const limit of state.rateLimits) {
    if (limit.cmd !== cmd) continue;
    const since = now - limit.windowSec * 1000;
    const count = times.filter((t) => t > since).length;
    if (count >= limit.max) {
      return {
        code: "slow_down_bucko",
        detail: `${cmd} limit of ${limit.max} per ${limit.windowSec}s reached`,
        detailKind: "specifics",
      };
    }
  }
  return undefined;
}

function recordSuccess(state: EmulatorState, key: string, cmd: string, now: number): void {
  const windows = state.rateLimits.filter((l) => l.cmd === cmd).map((l) => l.windowSec * 1000);
  if (windows.length === 0) return;
  const longest = Math.max(...windows);
  const id = rateKey(key, cmd);
  const times = (state.successes.get(id) ?? []).filter((t) => t > now - longest);
  times.push(now);
  state.successes.set(id, times);
}

function takeFault(state: EmulatorState, cmd: string): DreamHostFault | undefined {
  const index = state.faults.findIndex(
    (f) => f.remaining > 0 && (f.fault.cmd === undefined || f.fault.cmd === cmd),
  );
  const armed = state.faults[index];
  if (armed === undefined) return undefined;
  armed.remaining -= 1;
  if (armed.remaining <= 0) state.faults.splice(index, 1);
  return armed.fault;
}

function faultOutcome(
  fault: DreamHostFault,
  format: Format,
  quirks: DreamHostQuirks,
  entry: DreamHostRequestLogEntry,
): Outcome {
  entry.result = "fault";
  switch (fault.kind) {
    case "api_error": {
      entry.data = fault.code;
      // §9.8 puts an injected reason in the `reason` field whatever errorDetailIn says.
      const error: ApiError =
        fault.reason === undefined
          ? { code: fault.code }
          : { code: fault.code, detail: fault.reason, detailKind: "reason" };
      return { kind: "reply", reply: renderError(format, error, quirks) };
    }
    case "http":
      entry.data = `http_${fault.status}`;
      return {
        kind: "reply",
        reply: { status: fault.status, contentType: fault.contentType ?? HTML_TYPE, body: fault.body },
      };
    case "garbage":
      entry.data = "garbage";
      return {
        kind: "reply",
        reply: {
          status: 200,
          contentType: HTML_TYPE,
          body: "<html><head><title>DreamHost</title></head><body><h1>Oops</h1><p>Something went wrong.</p></body></html>",
        },
      };
    case "truncated_json":
      entry.data = "truncated_json";
      return { kind: "reply", reply: { status: 200, contentType: JSON_TYPE, body: '{"result":"succ' } };
    case "lie":
      entry.data = `lie:${fault.data ?? "record_not_added"}`;
      return { kind: "reply", reply: renderSuccess(format, fault.data ?? "record_not_added", quirks) };
    case "hang":
      entry.data = "hang";
      return { kind: "hang" };
    case "reset":
      entry.data = "reset";
      return { kind: "reset" };
  }
}

function runCommand(
  state: EmulatorState,
  keyState: KeyState,
  cmd: string,
  params: Map<string, string>,
  scope: readonly string[],
  now: number,
): CommandResult {
  switch (cmd) {
    case "dns-list_records":
      return { ok: true, data: listRecords(state, scope, now) };
    case "dns-add_record":
      return addRecord(state, params, scope, now);
    case "dns-remove_record":
      return removeRecord(state, params, scope, now);
    case "api-list_accessible_cmds":
      return { ok: true, data: listAccessibleCmds(keyState) };
    default:
      return { ok: false, error: { code: "no_such_cmd" } };
  }
}

// ---------------------------------------------------------------------------------------------------
// Commands

function isHiddenZone(zone: string): boolean {
  const name = zone.toLowerCase();
  return DREAMHOST_HIDDEN_ZONES.some((hidden) => name === hidden || name.endsWith(`.${hidden}`));
}

function pruneTombstones(state: EmulatorState, now: number): void {
  const cutoff = now - state.quirks.consistencyLagMs;
  state.tombstones = state.tombstones.filter((row) => (row.removedAt ?? 0) > cutoff);
}

function listRecords(state: EmulatorState, scope: readonly string[], now: number): Table {
  // With a lag, the list shows the state as of `cutoff`: rows added after it are not visible yet,
  // rows removed after it still are.
  const cutoff = now - state.quirks.consistencyLagMs;
  const visible = [...state.rows, ...state.tombstones]
    .filter(
      (row) =>
        scope.includes(row.accountId) &&
        !isHiddenZone(row.zone) &&
        row.addedAt <= cutoff &&
        (row.removedAt === undefined || row.removedAt > cutoff),
    )
    .sort((a, b) => a.seq - b.seq);
  if (state.quirks.shuffleRecordOrder) shuffle(visible);
  return {
    columns: LIST_COLUMNS,
    rows: visible.map((row) => [
      row.accountId,
      row.zone,
      row.record,
      row.type,
      row.value,
      row.comment,
      row.editable,
    ]),
  };
}

function listAccessibleCmds(keyState: KeyState): Table {
  const cmds = IMPLEMENTED_CMDS.filter((cmd) => keyState.cmds === "*" || keyState.cmds.includes(cmd));
  return { columns: CMD_COLUMNS, rows: cmds.map((cmd) => [cmd, "see_docs", "see_docs", "see_docs"]) };
}

function findZone(state: EmulatorState, record: string, scope: readonly string[]): ZoneEntry | undefined {
  let best: ZoneEntry | undefined;
  for (const zone of state.zones) {
    if (!scope.includes(zone.accountId) || isHiddenZone(zone.zone)) continue;
    if (record !== zone.zone && !record.endsWith(`.${zone.zone}`)) continue;
    if (best === undefined || zone.zone.length > best.zone.length) best = zone;
  }
  return best;
}

function rowsAtName(rows: readonly StoredRow[], zone: ZoneEntry, record: string): StoredRow[] {
  return rows.filter(
    (row) =>
      row.accountId === zone.accountId &&
      row.zone.toLowerCase() === zone.zone &&
      row.record.toLowerCase() === record,
  );
}

interface MutationArgs {
  record: string;
  type: string;
  value: string;
}

function readMutationArgs(params: Map<string, string>): MutationArgs | ApiError {
  // Values are case-insensitive (§1.2): names and types are folded; values are kept byte-for-byte.
  const record = (params.get("record") ?? "").toLowerCase();
  const type = (params.get("type") ?? "").toUpperCase();
  const value = params.get("value") ?? "";
  if (record === "") return { code: "no_record" };
  if (type === "") return { code: "no_type" };
  if (value === "") return { code: "no_value" };
  return { record, type, value };
}

function addRecord(
  state: EmulatorState,
  params: Map<string, string>,
  scope: readonly string[],
  now: number,
): CommandResult {
  const args = readMutationArgs(params);
  if ("code" in args) return { ok: false, error: args };
  const { record, type, value } = args;

  if (!isValidRecordName(record)) {
    return { ok: false, error: { code: "invalid_record", detail: "bad hostname", detailKind: "specifics" } };
  }
  if (!ADDABLE_TYPES.has(type)) {
    return { ok: false, error: { code: "invalid_type", detail: type, detailKind: "specifics" } };
  }
  const valueProblem = checkValue(type, value);
  if (valueProblem !== undefined) {
    return { ok: false, error: { code: "invalid_value", detail: valueProblem, detailKind: "specifics" } };
  }
  const zone = findZone(state, record, scope);
  if (zone === undefined) return { ok: false, error: { code: "no_such_zone" } };

  const stored = normaliseValue(type, value, state.quirks);
  const atName = rowsAtName(state.rows, zone, record);
  if (type === "CNAME" && atName.length > 0)
    return { ok: false, error: { code: "CNAME_must_be_only_record" } };
  if (atName.some((row) => row.type.toUpperCase() === "CNAME")) {
    return { ok: false, error: { code: "CNAME_already_on_record" } };
  }
  // Tombstones still inside the lag window count here: an immediate re-add after a remove collides.
  const identical = [...atName, ...rowsAtName(state.tombstones, zone, record)].find(
    (row) => row.type.toUpperCase() === type && row.value === stored,
  );
  if (identical !== undefined) {
    return {
      ok: false,
      error: {
        code:
          identical.editable === "0"
            ? "record_already_exists_not_editable"
            : "record_already_exists_remove_first",
      },
    };
  }
  if (
    state.quirks.nonEditableSameNameTypeBlocksAdd &&
    atName.some((row) => row.type.toUpperCase() === type && row.editable === "0")
  ) {
    return { ok: false, error: { code: "record_already_exists_not_editable" } };
  }

  state.rows.push({
    seq: state.nextSeq++,
    accountId: zone.accountId,
    zone: zone.zone,
    record,
    type,
    value: stored,
    comment: params.get("comment") ?? "",
    editable: "1",
    addedAt: now,
  });
  return { ok: true, data: "record_added" };
}

function removeRecord(
  state: EmulatorState,
  params: Map<string, string>,
  scope: readonly string[],
  now: number,
): CommandResult {
  const args = readMutationArgs(params);
  if ("code" in args) return { ok: false, error: args };
  const { record, type, value } = args;

  const zone = findZone(state, record, scope);
  const atName = zone === undefined ? [] : rowsAtName(state.rows, zone, record);
  if (atName.length === 0) return { ok: false, error: { code: "no_such_record" } };
  const ofType = atName.filter((row) => row.type.toUpperCase() === type);
  if (ofType.length === 0) return { ok: false, error: { code: "no_such_type" } };
  // Compared byte-for-byte with what is stored: no trailing-dot or IPv6 normalisation on remove (§9.6).
  const match = ofType.find((row) => row.value === value);
  if (match === undefined) return { ok: false, error: { code: "no_such_value" } };
  if (match.editable === "0") return { ok: false, error: { code: state.quirks.removeNonEditable } };

  state.rows = state.rows.filter((row) => row !== match);
  match.removedAt = now;
  if (state.quirks.consistencyLagMs > 0) state.tombstones.push(match);
  return { ok: true, data: "record_removed" };
}

// ---------------------------------------------------------------------------------------------------
// Validation and normalisation

function isValidRecordName(name: string): boolean {
  if (name.length > 253 || name.endsWith(".")) return false;
  return name.split(".").every((label) => /^[a-z0-9_*-]{1,63}$/.test(label));
}

function isHostname(value: string): boolean {
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => /^[A-Za-z0-9_-]{1,63}$/.test(label));
}

function checkIPv4(value: string): string | undefined {
  const parts = value.split(".");
  if (parts.length < 4) return "too short";
  if (parts.length > 4) return "too long";
  const ok = parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
  return ok ? undefined : "bad ip";
}

function isIPv6(value: string): boolean {
  if (!value.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(value)) return false;
  try {
    // The WHATWG URL parser implements a strict IPv6 parser; node:net is not on the allowed list.
    new URL(`http://[${value}]/`);
    return true;
  } catch {
    return false;
  }
}

function checkValue(type: string, value: string): string | undefined {
  switch (type) {
    case "A":
      return checkIPv4(value);
    case "AAAA":
      return isIPv6(value) ? undefined : "bad ipv6";
    case "CNAME":
    case "NS":
    case "PTR":
      return isHostname(value) ? undefined : "bad hostname";
    case "TXT":
      return value.length > 255 ? "too long" : undefined;
    case "SRV": {
      const m = /^(\d{1,5})\s+(\d{1,5})\s+(\d{1,5})\s+(\S+)$/.exec(value);
      if (m === null) return "bad srv";
      const numbersOk = [m[1], m[2], m[3]].every((n) => Number(n) <= 65535);
      const target = m[4] ?? "";
      return numbersOk && (target === "." || isHostname(target)) ? undefined : "bad srv";
    }
    default:
      return undefined;
  }
}

function normaliseValue(type: string, value: string, quirks: DreamHostQuirks): string {
  const dotted = value.endsWith(".") ? value : `${value}.`;
  if (type === "CNAME") return quirks.cnameTrailingDot ? dotted : value;
  // For SRV the target is the last field and checkValue() allows no trailing whitespace, so appending
  // to the whole value appends to the target.
  if (type === "NS" || type === "PTR" || type === "SRV")
    return quirks.hostnameTargetsTrailingDot ? dotted : value;
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** Builds an object whose key order is shuffled when asked: the Perl backend's hash order is random. */
function makeObject(entries: Array<[string, unknown]>, quirks: DreamHostQuirks): Record<string, unknown> {
  return Object.fromEntries(quirks.shuffleKeyOrder ? shuffle(entries) : entries);
}

function renderSuccess(format: Format, data: string | Table, quirks: DreamHostQuirks): HttpReply {
  if (format === "tab") {
    const lines =
      typeof data === "string"
        ? ["success", data]
        : ["success", data.columns.join("\t"), ...data.rows.map((row) => row.join("\t"))];
    return { status: 200, contentType: TAB_TYPE, body: lines.join("\n") };
  }
  const payload =
    typeof data === "string"
      ? data
      : data.rows.map((row) =>
          makeObject(
            data.columns.map((column, i): [string, unknown] => [column, row[i] ?? ""]),
            quirks,
          ),
        );
  const body = makeObject(
    [
      ["result", "success"],
      ["data", payload],
    ],
    quirks,
  );
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function renderError(format: Format, error: ApiError, quirks: DreamHostQuirks): HttpReply {
  if (format === "tab") {
    const line = error.detail === undefined ? error.code : `${error.code}\t${error.detail}`;
    return { status: 200, contentType: TAB_TYPE, body: `error\n${line}` };
  }
  const entries: Array<[string, unknown]> = [["result", "error"]];
  if (error.detail === undefined) {
    entries.push(["data", error.code]);
  } else if (error.detailKind === "specifics" && quirks.errorDetailIn === "data-tab") {
    entries.push(["data", `${error.code}\t${error.detail}`]);
  } else {
    entries.push(["data", error.code], ["reason", error.detail]);
  }
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(makeObject(entries, quirks)) };
}
