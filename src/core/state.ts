/**
 * The state file's shape. It is a cache, never the truth: the provider is. Anything unexpected in
 * a loaded file is dropped (with a warning by the caller) and the provider is read again.
 */
export const STATE_VERSION = 1;

export interface RecordState {
  provider: string;
  name: string;
  type: "A" | "AAAA";
  /** The address homing last saw or made correct at the provider. */
  published: string | null;
  /** When the provider last confirmed `published` (list or successful change), ISO 8601. */
  verifiedAt: string | null;
  changedAt: string | null;
  lastRunAt: string;
  lastResult: "unchanged" | "updated" | "failed" | "planned";
  lastError: string | null;
  /** Consecutive failed runs. */
  failures: number;
}

export interface ProviderHalt {
  /** sha256 (hex, first 16 chars) of the provider's config table and secret values when it halted. */
  fingerprint: string;
  /** The service's answer that stopped homing, as the error message said it. */
  reason: string;
  /** When it halted (ISO 8601). */
  at: string;
}

export interface ProviderState {
  /** No mutating call before this time (ISO 8601), e.g. after DreamHost's slow_down_bucko. */
  backoffUntil: string | null;
  backoffReason: string | null;
  /**
   * The service refused in a way only the user can fix (dyndns2 badauth, nohost, abuse, badagent):
   * nothing is sent to it while its config fingerprint is unchanged.
   */
  halted?: ProviderHalt;
  /**
   * Hostnames the service refused in a way only the user can fix (dyndns2 `nohost`, `notfqdn`):
   * nothing is sent for that name while the provider's and the record's config are unchanged. The
   * fingerprint also covers the record's own config, so fixing the record lifts it.
   */
  haltedNames?: Record<string, ProviderHalt>;
}

export interface SourceState {
  source: string;
  /** The source's kind ("http", "interface", …); absent in older state files (all http). */
  kind?: string;
  /** The source's URL, redacted for display (src/http/shown-url.ts); absent in older state files. */
  url?: string;
  /** Where a source of another kind asks (an interface, a router). */
  where?: string;
  prefix?: string;
  verdict: string;
  address?: string;
  reason?: string;
}

export interface DetectionState {
  at: string;
  status: "known" | "unavailable";
  address?: string;
  /** The agreed IPv6 /64, when records with ipv6_suffix asked for one. */
  prefix?: string;
  reason?: string;
  sources: SourceState[];
}

export interface HistoryEntry {
  at: string;
  provider: string;
  name: string;
  type: "A" | "AAAA";
  from: string | null;
  to: string;
}

export interface State {
  version: number;
  records: Record<string, RecordState>;
  providers: Record<string, ProviderState>;
  detection: Partial<Record<"ipv4" | "ipv6", DetectionState>>;
  history: HistoryEntry[];
}

export const HISTORY_LIMIT = 200;

/**
 * `records` and `providers` are keyed by user-chosen ids: they have no prototype, so an id like
 * "__proto__" or "constructor" is an ordinary key and a lookup never finds Object.prototype.
 */
export function emptyState(): State {
  return {
    version: STATE_VERSION,
    records: Object.create(null),
    providers: Object.create(null),
    detection: {},
    history: [],
  };
}

export function recordKey(provider: string, name: string, type: "A" | "AAAA"): string {
  return `${provider}/${name}/${type}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Containers of the wrong type ("records": [] or "history": {}): the whole file is suspect. */
function containerProblems(parsed: Record<string, unknown>): string[] {
  const expected = { records: "object", providers: "object", detection: "object", history: "list" } as const;
  const problems: string[] = [];
  for (const [key, kind] of Object.entries(expected)) {
    if (!Object.hasOwn(parsed, key)) continue;
    const value = parsed[key];
    const ok = kind === "list" ? Array.isArray(value) : isObject(value);
    if (!ok)
      problems.push(`"${key}" is ${typeOf(value)}, expected ${kind === "list" ? "a list" : "an object"}`);
  }
  return problems;
}

const isStringOrNull = (value: unknown) => value === null || typeof value === "string";
const isOptionalString = (value: unknown) => value === undefined || typeof value === "string";

function validRecord(value: unknown): value is RecordState {
  return (
    isObject(value) &&
    typeof value.provider === "string" &&
    typeof value.name === "string" &&
    (value.type === "A" || value.type === "AAAA") &&
    isStringOrNull(value.published) &&
    isStringOrNull(value.verifiedAt) &&
    isStringOrNull(value.changedAt) &&
    typeof value.lastRunAt === "string" &&
    typeof value.lastResult === "string" &&
    isStringOrNull(value.lastError) &&
    typeof value.failures === "number"
  );
}

function validDetection(value: unknown): value is DetectionState {
  return (
    isObject(value) &&
    typeof value.at === "string" &&
    (value.status === "known" || value.status === "unavailable") &&
    isOptionalString(value.address) &&
    isOptionalString(value.prefix) &&
    isOptionalString(value.reason) &&
    Array.isArray(value.sources) &&
    value.sources.every(
      (source) =>
        isObject(source) &&
        typeof source.source === "string" &&
        typeof source.verdict === "string" &&
        ["kind", "url", "where", "prefix", "address", "reason"].every((key) => isOptionalString(source[key])),
    )
  );
}

function validHalt(value: unknown): value is ProviderHalt {
  return (
    isObject(value) &&
    typeof value.fingerprint === "string" &&
    typeof value.reason === "string" &&
    typeof value.at === "string"
  );
}

function validHalts(value: unknown): value is Record<string, ProviderHalt> {
  return isObject(value) && Object.values(value).every(validHalt);
}

/**
 * Parses a state file. Returns the state plus a problem description when the file was corrupt or
 * from another version; in that case the state is empty (or holds only the valid entries).
 */
export function parseState(text: string): { state: State; problem?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { state: emptyState(), problem: "it is not valid JSON (truncated or damaged)" };
  }
  if (!isObject(parsed)) return { state: emptyState(), problem: "it does not hold a JSON object" };
  if (parsed.version !== STATE_VERSION) {
    return {
      state: emptyState(),
      problem: `it has schema version ${String(parsed.version)}, expected ${STATE_VERSION}`,
    };
  }
  const wrongContainers = containerProblems(parsed);
  if (wrongContainers.length) return { state: emptyState(), problem: wrongContainers.join(", ") };
  const state = emptyState();
  let dropped = 0;
  for (const [key, value] of Object.entries(isObject(parsed.records) ? parsed.records : {})) {
    if (validRecord(value)) state.records[key] = value;
    else dropped++;
  }
  for (const [key, value] of Object.entries(isObject(parsed.providers) ? parsed.providers : {})) {
    if (isObject(value) && isStringOrNull(value.backoffUntil) && isStringOrNull(value.backoffReason)) {
      state.providers[key] = {
        backoffUntil: value.backoffUntil as string | null,
        backoffReason: value.backoffReason as string | null,
        ...(validHalt(value.halted) ? { halted: value.halted } : {}),
        ...(validHalts(value.haltedNames) ? { haltedNames: value.haltedNames } : {}),
      };
    } else dropped++;
  }
  if (isObject(parsed.detection)) {
    for (const family of ["ipv4", "ipv6"] as const) {
      if (!Object.hasOwn(parsed.detection, family)) continue;
      const entry = parsed.detection[family];
      if (validDetection(entry)) state.detection[family] = entry;
      else dropped++;
    }
  }
  if (Array.isArray(parsed.history)) {
    state.history = parsed.history.filter(
      (entry): entry is HistoryEntry =>
        isObject(entry) &&
        typeof entry.at === "string" &&
        typeof entry.to === "string" &&
        typeof entry.provider === "string" &&
        typeof entry.name === "string" &&
        (entry.type === "A" || entry.type === "AAAA") &&
        isStringOrNull(entry.from ?? null),
    );
  }
  return dropped > 0
    ? { state, problem: `${dropped} damaged entr${dropped === 1 ? "y was" : "ies were"} dropped` }
    : { state };
}
