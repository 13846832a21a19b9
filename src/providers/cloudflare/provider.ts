import { parseDuration } from "../../core/duration.ts";
import { sameAddress } from "../../core/plan.ts";
import { type AddressRecordType, normalizeName, type ProviderRecord } from "../../core/records.ts";
import { ConfigError, errorMessage, PartialListError, ProviderError } from "../../errors.ts";
import { Zones } from "../kit/zones.ts";
import {
  type AddResult,
  type CallOptions,
  CONFIRMED,
  type DnsProvider,
  type ProviderCapabilities,
  type ProviderContext,
  type RecordChange,
  type ReplaceResult,
  settleEach,
  type VerifyOptions,
} from "../provider.ts";
import { type ApiReply, CloudflareClient, TOKEN_HELP } from "./client.ts";
import type { CloudflareConfig } from "./schema.ts";

/** Records per page asked for (documented default 100; the server may answer with smaller pages). */
const PER_PAGE = 5000;
/** GET /zones allows at most 50 per page. */
const ZONES_PER_PAGE = 50;
/** A name with more pages than this is not a dynamic DNS name; stop rather than loop. */
const MAX_PAGES = 100;

/** Cloudflare's "a record with these settings already exists" (81057 older, 81058 current). */
const EXISTS_CODES = [81057, 81058];
/** "Record does not exist" (81044) and "could not route, perhaps your object identifier is invalid" (7003). */
const GONE_CODES = [81044, 7003];
/** A CNAME at the name blocks an address record (81053 and 81054). */
const CNAME_CODES = [81053, 81054];

interface Zone {
  id: string;
  name: string;
}

/** What the provider remembers of a listed row, by record id: enough to patch or delete it later. */
interface RowInfo {
  zone: Zone;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment: string | null;
  marked: boolean;
}

interface ListedRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment: string | null;
}

function isAddressType(type: string): type is AddressRecordType {
  return type === "A" || type === "AAAA";
}

/** A DNS record of a reply, or the field that makes it unreadable (for the message). */
function parseRecord(value: unknown): ListedRecord | { missing: string } {
  if (typeof value !== "object" || value === null) return { missing: "an object" };
  const row = value as Record<string, unknown>;
  for (const field of ["id", "name", "type", "content"]) {
    if (typeof row[field] !== "string") return { missing: `a string "${field}"` };
  }
  return {
    id: row.id as string,
    name: normalizeName(row.name as string),
    type: (row.type as string).toUpperCase(),
    content: row.content as string,
    ttl: typeof row.ttl === "number" ? row.ttl : 1,
    proxied: row.proxied === true,
    comment: typeof row.comment === "string" ? row.comment : null,
  };
}

/** A zone entry homing can use: skipping one it cannot read could make a real zone look absent. */
function zoneFields(
  zone: Record<string, unknown>,
): zone is Record<string, unknown> & { id: string; name: string } {
  return typeof zone.id === "string" && typeof zone.name === "string";
}

/**
 * Cloudflare: records have ids and can be patched, so a change updates the existing record in place
 * (its TTL and proxy setting kept unless configured) and no moment passes without the record.
 * Records homing creates carry a comment (the "mark"); homing only ever deletes marked records.
 *
 * Ownership per (name, type): a marked A/AAAA row is homing's. An unmarked one (say, created in the
 * dashboard) is homing's to update in place only while no marked row of that type exists at the
 * name; once one does, unmarked rows are reported as foreign and never touched. Adopting an
 * unmarked row that has no comment writes the mark on it, so duplicates converge over runs.
 */
export class CloudflareProvider implements DnsProvider {
  readonly id: string;
  readonly label = "Cloudflare";
  readonly capabilities: ProviderCapabilities = { list: true, change: "in-place", maxConcurrency: 4 };
  readonly foreignRowHint: string;
  readonly ownership: string;
  readonly #client: CloudflareClient;
  readonly #config: CloudflareConfig;
  readonly #context: ProviderContext;
  /** Which zone holds a name: the configured one, or the longest of the zones the token can see. */
  readonly #zones: Zones;
  /** Listed rows by record id. */
  readonly #rows = new Map<string, RowInfo>();

  private constructor(
    id: string,
    client: CloudflareClient,
    config: CloudflareConfig,
    context: ProviderContext,
  ) {
    this.id = id;
    this.#client = client;
    this.#config = config;
    this.#context = context;
    this.#zones = new Zones(
      this,
      {
        lookup: (name, signal) => this.#lookupZone(name, signal),
        all: (signal) => this.#visibleZones(signal),
        notFound: (name, asked) =>
          `Cloudflare has no zone for ${name} that this API token can see (asked for ${asked.join(", ")}): check the zone name${config.zone === undefined ? "" : ` (providers.${id}.zone)`} and that the token's Zone Resources include that zone`,
      },
      config.zone,
      "",
    );
    this.ownership = `homing owns the A and AAAA records that carry the comment "${config.comment}" at each managed name with cloudflare, and an unmarked one while none carries it`;
    this.foreignRowHint = `a record homing did not create (it lacks the comment "${config.comment}", and homing only deletes records that carry it); delete it in the Cloudflare dashboard if the name should point only at this host`;
  }

  static async create(
    id: string,
    config: CloudflareConfig,
    context: ProviderContext,
  ): Promise<CloudflareProvider> {
    const token = await context.secret("api_token");
    const value = token.reveal();
    const where = `providers.${id}.api_token (${token.origin})`;
    if (/^[0-9a-f]{37}$/i.test(value)) {
      throw new ConfigError([
        `${where} looks like a Cloudflare Global API Key (37 hexadecimal characters), which can do anything in the account; homing only takes an API token: ${TOKEN_HELP}`,
      ]);
    }
    if (/^bearer\s/i.test(value)) {
      throw new ConfigError([`${where} starts with "Bearer "; put only the token itself`]);
    }
    if (!/^[\x21-\x7e]+$/.test(value)) {
      throw new ConfigError([
        `${where} contains spaces or characters an API token never has; copy the token again from the Cloudflare dashboard`,
      ]);
    }
    let endpoint: URL;
    try {
      endpoint = new URL(config.endpoint.endsWith("/") ? config.endpoint : `${config.endpoint}/`);
    } catch {
      throw new ConfigError([`providers.${id}.endpoint: "${config.endpoint}" is not a URL`]);
    }
    if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") {
      throw new ConfigError([`providers.${id}.endpoint: expected an https:// URL`]);
    }
    const client = new CloudflareClient({
      id,
      endpoint: endpoint.href,
      token,
      timeoutMs: parseDuration(config.timeout) ?? 30_000,
      context,
    });
    return new CloudflareProvider(id, client, config, context);
  }

  #permanent(message: string, code?: number): ProviderError {
    return new ProviderError(message, {
      kind: "permanent",
      provider: this.id,
      ...(code !== undefined ? { code: String(code) } : {}),
    });
  }

  /** A successful reply homing cannot use: retried on the next run, never taken as "nothing there". */
  #garbled(what: string, missing: string): ProviderError {
    return new ProviderError(`Cloudflare could not ${what}: the reply has ${missing}; homing retries later`, {
      kind: "transient",
      provider: this.id,
    });
  }

  /** GET /zones?name=: the zone of that exact name the token can see, or null. Cached per instance. */
  async #lookupZone(name: string, signal: AbortSignal): Promise<Zone | null> {
    const what = `look up the zone ${name}`;
    const reply = await this.#client.call({ method: "GET", path: "zones", query: { name }, what }, signal);
    if (!reply.ok) throw this.#client.unexpected(what, reply);
    if (!Array.isArray(reply.result)) throw this.#garbled(what, 'no zone list in "result"');
    const entries: unknown[] = reply.result;
    const unreadable = entries.findIndex(
      (zone) => typeof zone !== "object" || zone === null || !zoneFields(zone as Record<string, unknown>),
    );
    if (unreadable >= 0)
      throw this.#garbled(what, `a zone without a string "id" and "name" (result[${unreadable}])`);
    const zones = (entries as Record<string, unknown>[]).filter(
      (zone) => normalizeName(zone.name as string) === name,
    );
    const chosen = zones.find((zone) => zone.status === "active") ?? zones[0];
    return chosen ? { id: String(chosen.id), name } : null;
  }

  /**
   * Every zone the token can see, one paginated GET /zones for the whole round (not one lookup per
   * name), so the number of calls grows with zones, never with records. Cached per instance.
   */
  async #visibleZones(signal: AbortSignal): Promise<Zone[]> {
    const what = "list the zones this API token can see";
    const zones: Zone[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const reply = await this.#client.call(
        {
          method: "GET",
          path: "zones",
          query: { page: String(page), per_page: String(ZONES_PER_PAGE) },
          what,
        },
        signal,
      );
      if (!reply.ok) throw this.#client.unexpected(what, reply);
      if (!Array.isArray(reply.result)) throw this.#garbled(what, 'no zone list in "result"');
      const result: unknown[] = reply.result;
      for (const [index, item] of result.entries()) {
        const zone = item as Record<string, unknown>;
        if (typeof item !== "object" || item === null || !zoneFields(zone))
          throw this.#garbled(what, `a zone without a string "id" and "name" (result[${index}])`);
        if (zone.status !== undefined && zone.status !== "active" && zone.status !== "pending") continue;
        zones.push({ id: zone.id, name: normalizeName(zone.name) });
      }
      const info = reply.resultInfo;
      if (!info || page >= info.totalPages || result.length === 0) break;
    }
    return zones;
  }

  /** The zone that holds `name`: the configured one, or the longest parent among the token's zones. */
  async #zoneFor(name: string, signal: AbortSignal): Promise<Zone> {
    return (await this.#zones.of(name, signal)).zone;
  }

  /**
   * Every row of the zone at one of `names` (any type), following every page. One listing per zone
   * serves all of its names: calls grow with zones, not with the number of records.
   */
  async #listZone(zone: Zone, names: ReadonlySet<string>, signal: AbortSignal): Promise<ListedRecord[]> {
    const what = `list the records of ${zone.name}`;
    const rows: ListedRecord[] = [];
    for (let page = 1; ; page++) {
      if (page > MAX_PAGES) {
        throw this.#permanent(
          `Cloudflare listed more than ${MAX_PAGES} pages of records for ${zone.name}; homing stops there`,
        );
      }
      const query =
        names.size === 1
          ? { name: [...names][0] as string, page: String(page), per_page: String(PER_PAGE) }
          : { page: String(page), per_page: String(PER_PAGE) };
      const reply = await this.#client.call(
        { method: "GET", path: `zones/${zone.id}/dns_records`, query, what },
        signal,
      );
      if (!reply.ok) throw this.#client.unexpected(what, reply);
      if (!Array.isArray(reply.result)) throw this.#garbled(what, 'no record list in "result"');
      const result: unknown[] = reply.result;
      for (const [index, item] of result.entries()) {
        const row = parseRecord(item);
        // A row homing cannot read could be the record itself: creating another would duplicate it.
        if ("missing" in row) throw this.#garbled(what, `a record without ${row.missing} (result[${index}])`);
        if (names.has(row.name)) rows.push(row);
      }
      const info = reply.resultInfo;
      const more = info ? page < info.totalPages : false;
      if (!more || result.length === 0) return rows;
    }
  }

  /**
   * One listing per zone for all of its names. A name whose zone cannot be found, or whose zone's
   * listing fails, fails alone (PartialListError): the other names are still listed.
   */
  async list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    const unique = new Set(names.map(normalizeName));
    const zones = await settleEach(unique, (name) => this.#zoneFor(name, options.signal));
    const byZone = new Map<string, { zone: Zone; names: Set<string> }>();
    for (const [name, zone] of zones.done) {
      const entry = byZone.get(zone.id) ?? { zone, names: new Set<string>() };
      entry.names.add(name);
      byZone.set(zone.id, entry);
    }
    const listed = await settleEach(byZone.values(), (entry) => this.#listNames(entry, options.signal));
    const failed = new Map(zones.failed);
    for (const [entry, why] of listed.failed) for (const name of entry.names) failed.set(name, why);
    const rows = [...listed.done.values()].flat();
    if (failed.size > 0) throw PartialListError.of(rows, failed, unique.size);
    return rows;
  }

  /** The rows at `names` in one zone, remembered by id for later patches and deletes. */
  async #listNames(
    entry: { zone: Zone; names: Set<string> },
    signal: AbortSignal,
  ): Promise<ProviderRecord[]> {
    const { zone, names: zoneNames } = entry;
    const out: ProviderRecord[] = [];
    const zoneRows = await this.#listZone(zone, zoneNames, signal);
    for (const name of zoneNames) {
      const rows = zoneRows.filter((row) => row.name === name);
      const markedTypes = new Set(
        rows.filter((row) => row.comment === this.#config.comment).map((r) => r.type),
      );
      for (const row of rows) {
        const marked = row.comment === this.#config.comment;
        this.#rows.set(row.id, { ...row, zone, marked });
        out.push({
          name: row.name,
          type: row.type,
          value: row.content,
          owned: isAddressType(row.type) && (marked || !markedTypes.has(row.type)),
          id: row.id,
          ttl: row.ttl,
        });
      }
    }
    return out;
  }

  /**
   * Verifies the token (GET /user/tokens/verify), then, for each zone it can tell (the configured
   * zone, or the zones of the names `homing check` passes), that the token can find the zone and read
   * its records. All calls are reads.
   */
  async verifyAccess(options: VerifyOptions): Promise<string> {
    const { signal } = options;
    const what = "verify the API token";
    const reply = await this.#client.call({ method: "GET", path: "user/tokens/verify", what }, signal);
    if (!reply.ok) throw this.#client.unexpected(what, reply);
    const result = (typeof reply.result === "object" && reply.result !== null ? reply.result : {}) as Record<
      string,
      unknown
    >;
    const status = typeof result.status === "string" ? result.status : "unknown";
    if (status !== "active") {
      throw new ProviderError(`Cloudflare says the API token is ${status}, not active: ${TOKEN_HELP}`, {
        kind: "auth",
        provider: this.id,
      });
    }
    const zones = new Map<string, Zone>();
    if (options.names && options.names.length > 0) {
      for (const name of options.names) {
        const zone = await this.#zoneFor(normalizeName(name), signal);
        zones.set(zone.id, zone);
      }
    } else if (this.#config.zone !== undefined) {
      const zone = await this.#zoneFor(normalizeName(this.#config.zone), signal);
      zones.set(zone.id, zone);
    }
    if (zones.size === 0) return "the API token is active";
    const counts: string[] = [];
    for (const zone of zones.values()) {
      const read = `read the records of zone ${zone.name}`;
      const records = await this.#client.call(
        { method: "GET", path: `zones/${zone.id}/dns_records`, query: { per_page: "1" }, what: read },
        signal,
      );
      if (!records.ok) throw this.#client.unexpected(read, records);
      counts.push(`${zone.name} (${records.resultInfo?.totalCount ?? 0} record(s))`);
    }
    return `the API token is active and can read zone ${counts.join(", ")}`;
  }

  /**
   * Whether a success reply proves the write: Cloudflare documents that POST and PATCH answer with the
   * record as stored, so the echoed content must be the address homing sent.
   */
  #proof(reply: ApiReply & { ok: true }, content: string): AddResult {
    const echoed = parseRecord(reply.result);
    if ("missing" in echoed) return { confirmed: false, reply: "success, but no record in its result" };
    if (sameAddress(echoed.content, content)) return CONFIRMED;
    return { confirmed: false, reply: `success, but a record with content "${echoed.content}"` };
  }

  /** POST a record with our mark; an identical record already there counts as done (unconfirmed). */
  async #create(
    name: string,
    type: AddressRecordType,
    content: string,
    signal: AbortSignal,
  ): Promise<AddResult> {
    const zone = await this.#zoneFor(name, signal);
    const what = `create ${name} ${type} ${content}`;
    const body = {
      type,
      name,
      content,
      ttl: this.#config.ttl ?? 1,
      proxied: this.#config.proxied ?? false,
      comment: this.#config.comment,
    };
    const reply = await this.#client.call(
      { method: "POST", path: `zones/${zone.id}/dns_records`, body, what },
      signal,
    );
    if (reply.ok) return this.#proof(reply, content);
    // The documented "an identical record already exists": the address is there.
    if (this.#has(reply, EXISTS_CODES)) return CONFIRMED;
    throw this.#refusal(what, name, reply);
  }

  #has(reply: ApiReply & { ok: false }, codes: readonly number[]): boolean {
    return reply.errors.some((error) => codes.includes(error.code));
  }

  #refusal(what: string, name: string, reply: ApiReply & { ok: false }): ProviderError {
    if (this.#has(reply, CNAME_CODES)) {
      return this.#client.unexpected(
        what,
        reply,
        `${name} holds a CNAME; remove the CNAME in the Cloudflare dashboard, or point homing at the CNAME's target`,
      );
    }
    return this.#client.unexpected(what, reply);
  }

  /**
   * PATCHes a row's content (TTL and proxy kept unless configured). Resolves "patched" (with the
   * reply's proof), "gone" (the row vanished since it was listed) or "exists" (another row already
   * holds the content).
   */
  async #patch(
    info: RowInfo,
    id: string,
    content: string,
    signal: AbortSignal,
  ): Promise<{ outcome: "patched"; proof: AddResult } | { outcome: "gone" } | { outcome: "exists" }> {
    const body: Record<string, unknown> = { content };
    if (this.#config.ttl !== undefined) body.ttl = this.#config.ttl;
    if (this.#config.proxied !== undefined) body.proxied = this.#config.proxied;
    if (!info.marked && (info.comment ?? "").trim() === "") body.comment = this.#config.comment;
    const what = `update ${info.name} ${info.type} ${info.content} to ${content}`;
    const reply = await this.#client.call(
      { method: "PATCH", path: `zones/${info.zone.id}/dns_records/${id}`, body, what },
      signal,
    );
    if (reply.ok) {
      const updated = parseRecord(reply.result);
      this.#rows.set(id, {
        ...info,
        content,
        ...(!("missing" in updated)
          ? { ttl: updated.ttl, proxied: updated.proxied, comment: updated.comment }
          : {}),
        marked: info.marked || body.comment !== undefined,
      });
      return { outcome: "patched", proof: this.#proof(reply, content) };
    }
    if (this.#has(reply, GONE_CODES)) {
      this.#rows.delete(id);
      return { outcome: "gone" };
    }
    if (this.#has(reply, EXISTS_CODES)) return { outcome: "exists" };
    throw this.#refusal(what, info.name, reply);
  }

  /** DELETEs a row; already gone counts as done. */
  async #delete(info: RowInfo, id: string, signal: AbortSignal): Promise<void> {
    const what = `delete ${info.name} ${info.type} ${info.content}`;
    const reply = await this.#client.call(
      { method: "DELETE", path: `zones/${info.zone.id}/dns_records/${id}`, what },
      signal,
    );
    this.#rows.delete(id);
    if (reply.ok || this.#has(reply, GONE_CODES)) return;
    throw this.#client.unexpected(what, reply);
  }

  async #infoOf(record: ProviderRecord, signal: AbortSignal): Promise<RowInfo | undefined> {
    if (record.id === undefined) return undefined;
    if (!this.#rows.has(record.id)) await this.list([record.name], { signal });
    return this.#rows.get(record.id);
  }

  /**
   * Reaches the desired state for one (name, type): the first stale row is patched to the new
   * address (or, with none, a marked record is created); then every other stale row is deleted if it
   * carries the mark, and left with a warning if it does not.
   */
  async replace(change: RecordChange, options: CallOptions): Promise<ReplaceResult> {
    const { signal } = options;
    /** The old values gone after this change: patched over, or deleted. */
    const removed: string[] = [];
    const stale: Array<{ record: ProviderRecord; info: RowInfo }> = [];
    for (const record of change.remove) {
      const info = await this.#infoOf(record, signal);
      if (info) stale.push({ record, info });
    }
    let published = change.add === undefined;
    let proof: AddResult = CONFIRMED;
    if (change.add !== undefined) {
      const preferred = stale.findIndex((row) => row.info.marked);
      const order =
        preferred > 0 ? [stale[preferred], ...stale.filter((_, i) => i !== preferred)] : [...stale];
      while (!published && order.length > 0) {
        const target = order[0] as (typeof stale)[number];
        const patched = await this.#patch(target.info, target.record.id as string, change.add, signal);
        if (patched.outcome === "gone") {
          order.shift();
          stale.splice(stale.indexOf(target), 1);
          continue;
        }
        if (patched.outcome === "patched") {
          stale.splice(stale.indexOf(target), 1);
          removed.push(target.record.value);
          proof = patched.proof;
        } else proof = CONFIRMED; // "an identical record already exists"
        published = true;
      }
      if (!published) proof = await this.#create(change.name, change.type, change.add, signal);
      // A remove only after a confirmed add: an unproven write is checked with a fresh list first.
      if (!proof.confirmed) await this.#confirmListed(change, change.add, proof.reply, signal);
    }
    for (const { record, info } of stale) {
      if (!info.marked) {
        this.#context.logger.warn(
          `${change.name} ${change.type} "${record.value}" stays at Cloudflare: homing only deletes records that carry its comment "${this.#config.comment}"; delete it in the Cloudflare dashboard if ${change.name} should point only at this host`,
        );
        continue;
      }
      try {
        await this.#delete(info, record.id as string, signal);
        removed.push(record.value);
      } catch (error) {
        if (change.add === undefined || !(error instanceof ProviderError)) throw error;
        throw new ProviderError(
          `${change.name} ${change.type} now has ${change.add}, but the duplicate "${record.value}" could not be deleted (${errorMessage(error)}); the name answers with both until the next run deletes it`,
          {
            kind: error.kind,
            provider: this.id,
            ...(error.code !== undefined ? { code: error.code } : {}),
            ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
            cause: error,
          },
        );
      }
    }
    return { removed };
  }

  /** Fails, naming the reply, unless a fresh list of the name shows `value`; nothing is deleted then. */
  async #confirmListed(
    change: RecordChange,
    value: string,
    reply: string,
    signal: AbortSignal,
  ): Promise<void> {
    const rows = await this.list([change.name], { signal });
    if (rows.some((row) => row.type === change.type && sameAddress(row.value, value))) return;
    throw new ProviderError(
      `Cloudflare answered the change of ${change.name} ${change.type} to ${value} with ${reply}, and the record list does not show ${value}; nothing was deleted, homing tries again on the next run`,
      { kind: "transient", provider: this.id },
    );
  }

  async add(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult> {
    return this.#create(normalizeName(name), type, value, options.signal);
  }

  async remove(record: ProviderRecord, options: CallOptions): Promise<void> {
    const info = await this.#infoOf(record, options.signal);
    if (!info) return; // already gone
    if (!info.marked) {
      throw this.#permanent(
        `homing does not delete ${record.name} ${record.type} "${record.value}" at Cloudflare: it lacks the comment "${this.#config.comment}" that marks the records homing created`,
      );
    }
    await this.#delete(info, record.id as string, options.signal);
  }
}
