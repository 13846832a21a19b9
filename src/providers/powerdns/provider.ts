import { parseDuration } from "../../core/duration.ts";
import { parseAddress } from "../../core/ip.ts";
import { type AddressRecordType, normalizeName, type ProviderRecord } from "../../core/records.ts";
import { ProviderError } from "../../errors.ts";
import {
  type AddResult,
  type CallOptions,
  CONFIRMED,
  type DnsProvider,
  type ProviderCapabilities,
  type ProviderContext,
  type RecordChange,
  type ReplaceResult,
} from "../provider.ts";
import { PowerDnsClient } from "./client.ts";
import type { PowerDnsConfig } from "./schema.ts";

interface RRsetRecord {
  content: string;
  disabled: boolean;
}

interface RRset {
  /** Normalised (lower case, no trailing dot). */
  name: string;
  type: string;
  ttl: number | undefined;
  records: RRsetRecord[];
}

interface Zone {
  /** The zone id the API gave, used in URLs ("example.com."). */
  id: string;
  /** Normalised zone name. */
  name: string;
  rrsets: RRset[];
}

function sameValue(a: string, b: string): boolean {
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  if (pa && pb) return pa.canonical === pb.canonical;
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** `name` is the zone or below it. */
function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The name itself, then each parent: home.example.com, example.com, com. */
function candidateZones(name: string): string[] {
  const labels = name.split(".");
  return labels.map((_, index) => labels.slice(index).join("."));
}

/**
 * PowerDNS Authoritative through its HTTP API. One GET of each zone (with its RRsets) per round
 * answers `list`; every change is one PATCH that REPLACEs the name's RRset of that type, which
 * PowerDNS applies atomically. Disabled records in that RRset are kept as they are; other types
 * and names are never part of the PATCH.
 */
export class PowerDnsProvider implements DnsProvider {
  readonly id: string;
  readonly label = "PowerDNS";
  readonly capabilities: ProviderCapabilities = { list: true, change: "rrset" };
  readonly foreignRowHint = "a record homing does not manage";
  readonly ownership =
    "homing owns the enabled A and AAAA records at each managed name with powerdns and replaces the RRset in one PATCH; disabled records are kept";
  readonly #client: PowerDnsClient;
  readonly #config: PowerDnsConfig;
  /** Zone name (normalised) of each name, once found. */
  readonly #zoneOf = new Map<string, string>();
  /** The last read of each zone. */
  readonly #zones = new Map<string, Zone>();
  /** Names whose zone could not be used, with the reason; their changes fail with it. */
  readonly #unusable = new Map<string, ProviderError>();

  private constructor(id: string, client: PowerDnsClient, config: PowerDnsConfig) {
    this.id = id;
    this.#client = client;
    this.#config = config;
  }

  static async create(
    id: string,
    config: PowerDnsConfig,
    context: ProviderContext,
  ): Promise<PowerDnsProvider> {
    const key = await context.secret("api_key");
    const client = new PowerDnsClient({
      id,
      endpoint: config.endpoint,
      serverId: config.server_id,
      key,
      timeoutMs: parseDuration(config.timeout) ?? 30_000,
      context,
    });
    return new PowerDnsProvider(id, client, config);
  }

  #permanent(message: string, code?: string): ProviderError {
    return new ProviderError(message, { kind: "permanent", provider: this.id, ...(code ? { code } : {}) });
  }

  #garbage(what: string, problem: string): ProviderError {
    return new ProviderError(
      `PowerDNS ${what} failed: the reply is not a zone with RRsets (${problem}); homing retries on the next run`,
      {
        kind: "transient",
        provider: this.id,
        code: "garbage",
      },
    );
  }

  /**
   * A zone reply, checked field by field: an RRset or a record homing cannot read could be the
   * managed one, and a REPLACE built without it would drop it.
   */
  #parseZone(json: unknown, what: string): Zone {
    const garbage = (problem: string) => this.#garbage(what, problem);
    const isObject = (value: unknown): value is Record<string, unknown> =>
      typeof value === "object" && value !== null && !Array.isArray(value);
    if (!isObject(json)) throw garbage("not a JSON object");
    for (const field of ["id", "name"])
      if (typeof json[field] !== "string") throw garbage(`no string "${field}"`);
    if (!Array.isArray(json.rrsets)) throw garbage(`"rrsets" is not a list`);
    const rrsets = json.rrsets.map((rrset: unknown, index) => {
      const at = `rrsets[${index}]`;
      if (!isObject(rrset)) throw garbage(`${at} is not an object`);
      for (const field of ["name", "type"])
        if (typeof rrset[field] !== "string") throw garbage(`${at} has no string "${field}"`);
      if (!Array.isArray(rrset.records)) throw garbage(`${at}.records is not a list`);
      const records = rrset.records.map((record: unknown, position) => {
        if (!isObject(record) || typeof record.content !== "string")
          throw garbage(`${at}.records[${position}] has no string "content"`);
        return { content: record.content, disabled: record.disabled === true };
      });
      return {
        name: normalizeName(rrset.name as string),
        type: (rrset.type as string).toUpperCase(),
        ttl: typeof rrset.ttl === "number" ? rrset.ttl : undefined,
        records,
      };
    });
    return { id: json.id as string, name: normalizeName(json.name as string), rrsets };
  }

  /**
   * GET of one zone with every RRset. (PowerDNS 4.7 also takes `rrset_name`, but that filtered
   * answer leaves out disabled records, which a REPLACE must carry over.) Undefined on 404.
   */
  async #readZone(zone: string, what: string, signal: AbortSignal): Promise<Zone | undefined> {
    const reply = await this.#client.call(
      { method: "GET", path: `/zones/${encodeURIComponent(`${zone}.`)}`, accept: [404], what },
      signal,
    );
    if (reply.status === 404) return undefined;
    const parsed = this.#parseZone(reply.json, what);
    this.#zones.set(parsed.name, parsed);
    return parsed;
  }

  /** Finds the zone of each name (configured, remembered, or by walking up) and reads it once. */
  async #resolve(names: readonly string[], signal: AbortSignal): Promise<void> {
    const read = new Set<string>();
    const absent = new Set<string>();
    const readOnce = async (zone: string, what = `reading zone ${zone}`): Promise<boolean> => {
      if (read.has(zone)) return true;
      if (absent.has(zone)) return false;
      const found = await this.#readZone(zone, what, signal);
      if (found) read.add(zone);
      else absent.add(zone);
      return found !== undefined;
    };
    const configured = this.#config.zone === undefined ? undefined : normalizeName(this.#config.zone);
    for (const name of names) {
      this.#unusable.delete(name);
      if (configured !== undefined) {
        if (!inZone(name, configured)) {
          this.#unusable.set(
            name,
            this.#permanent(
              `${name} is not inside zone "${configured}" (providers.${this.id}.zone): fix the record's name or the zone, or remove zone to let homing find it`,
              "out_of_zone",
            ),
          );
          continue;
        }
        if (!(await readOnce(configured))) {
          throw this.#permanent(
            `PowerDNS has no zone "${configured}" on server "${this.#config.server_id}" (HTTP 404): create it (pdnsutil create-zone ${configured}) or fix providers.${this.id}.zone`,
            "no_zone",
          );
        }
        this.#zoneOf.set(name, configured);
        continue;
      }
      const known = this.#zoneOf.get(name);
      if (known !== undefined && (await readOnce(known))) continue;
      this.#zoneOf.delete(name);
      const asked: string[] = [];
      for (const candidate of candidateZones(name)) {
        asked.push(candidate);
        if (await readOnce(candidate, `looking for the zone of ${name}`)) {
          this.#zoneOf.set(name, candidate);
          break;
        }
      }
      if (!this.#zoneOf.has(name)) {
        this.#unusable.set(
          name,
          this.#permanent(
            `no zone on PowerDNS server "${this.#config.server_id}" holds ${name} (HTTP 404 for ${asked.join(", ")}): create the zone (pdnsutil create-zone <zone>), or set providers.${this.id}.zone and check server_id`,
            "no_zone",
          ),
        );
      }
    }
    const unusable = names.filter((name) => this.#unusable.has(name));
    // Nothing usable at all: say why at once (records, check) instead of listing nothing.
    if (names.length > 0 && unusable.length === names.length) throw this.#unusable.get(names[0] as string);
  }

  #rrsetsAt(name: string): RRset[] {
    const zone = this.#zones.get(this.#zoneOf.get(name) ?? "");
    return zone ? zone.rrsets.filter((rrset) => rrset.name === name) : [];
  }

  async list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    const wanted = [...new Set(names.map(normalizeName))];
    await this.#resolve(wanted, options.signal);
    const rows: ProviderRecord[] = [];
    for (const name of wanted) {
      if (this.#unusable.has(name)) continue;
      for (const rrset of this.#rrsetsAt(name)) {
        for (const record of rrset.records) {
          // A disabled record is not served; it is carried over untouched by a REPLACE.
          if (record.disabled) continue;
          rows.push({
            name,
            type: rrset.type,
            value: record.content,
            owned: true,
            ...(rrset.ttl !== undefined ? { ttl: rrset.ttl } : {}),
          });
        }
      }
    }
    return rows;
  }

  async verifyAccess(options: CallOptions): Promise<string> {
    const reply = await this.#client.call(
      { method: "GET", path: "", accept: [404], what: "reading the server" },
      options.signal,
    );
    if (reply.status === 404) {
      throw this.#permanent(
        `PowerDNS has no server "${this.#config.server_id}" at ${this.#client.origin} (HTTP 404): set providers.${this.id}.server_id (PowerDNS Authoritative uses "localhost") and check endpoint`,
        "no_server",
      );
    }
    const body =
      typeof reply.json === "object" && reply.json !== null ? (reply.json as Record<string, unknown>) : {};
    // Both strings are the server's: quoted only redacted and cut short, like any reply.
    const daemon =
      typeof body.daemon_type === "string" ? this.#client.shown(body.daemon_type, 40) : "unknown";
    if (daemon !== "authoritative") {
      throw this.#permanent(
        `the API at ${this.#client.origin} is not a PowerDNS Authoritative server (daemon_type "${daemon}"): point providers.${this.id}.endpoint at the Authoritative server's webserver, not the Recursor's`,
        "not_authoritative",
      );
    }
    const version = typeof body.version === "string" ? ` ${this.#client.shown(body.version, 40)}` : "";
    return `the API key works: PowerDNS Authoritative${version}, server "${this.#config.server_id}"`;
  }

  /**
   * Sets the name's RRset of `type` to: its enabled values minus `remove`, plus `add`; disabled
   * records stay as they are. One PATCH, atomic at the server; an empty result deletes the RRset.
   * Resolves with the enabled values it took out.
   */
  async #apply(
    name: string,
    type: string,
    add: string | undefined,
    remove: readonly string[],
    signal: AbortSignal,
  ): Promise<string[]> {
    // A change without a list first (not how the engine calls): find and read the zone now.
    if (!this.#zoneOf.has(name) && !this.#unusable.has(name)) await this.#resolve([name], signal);
    const unusable = this.#unusable.get(name);
    if (unusable) throw unusable;
    // #zoneOf is only set once the zone was read, so both are there.
    const zone = this.#zones.get(this.#zoneOf.get(name) as string) as Zone;
    const current = this.#rrsetsAt(name).find((rrset) => rrset.type === type);
    const records = current?.records ?? [];
    const removed = records
      .filter((record) => !record.disabled && remove.some((value) => value === record.content))
      .map((record) => record.content);
    const enabled = records
      .filter((record) => !record.disabled && !remove.some((value) => value === record.content))
      .map((record) => record.content);
    if (add !== undefined && !enabled.some((value) => sameValue(value, add))) enabled.push(add);
    const disabled = records
      .filter((record) => record.disabled && !enabled.some((value) => sameValue(value, record.content)))
      .map((record) => record.content);
    const next: RRsetRecord[] = [
      ...enabled.map((content) => ({ content, disabled: false })),
      ...disabled.map((content) => ({ content, disabled: true })),
    ];
    const what = `${next.length ? "replacing" : "deleting"} ${name} ${type} in zone ${zone.name}`;
    const rrset =
      next.length > 0
        ? { name: `${name}.`, type, ttl: this.#config.ttl, changetype: "REPLACE", records: next }
        : { name: `${name}.`, type, changetype: "DELETE" };
    await this.#client.call(
      { method: "PATCH", path: `/zones/${encodeURIComponent(zone.id)}`, body: { rrsets: [rrset] }, what },
      signal,
    );
    // Keep the snapshot in step, so a later change of the same RRset in this process starts from here.
    zone.rrsets = zone.rrsets.filter((r) => !(r.name === name && r.type === type));
    if (next.length) zone.rrsets.push({ name, type, ttl: this.#config.ttl, records: next });
    return removed;
  }

  async replace(change: RecordChange, options: CallOptions): Promise<ReplaceResult> {
    const removed = await this.#apply(
      normalizeName(change.name),
      change.type,
      change.add,
      change.remove.map((row) => row.value),
      options.signal,
    );
    return { removed };
  }

  /** PowerDNS answers a PATCH it applied with 204; #apply throws on anything else. */
  async add(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult> {
    await this.#apply(normalizeName(name), type, value, [], options.signal);
    return CONFIRMED;
  }

  async remove(record: ProviderRecord, options: CallOptions): Promise<void> {
    await this.#apply(
      normalizeName(record.name),
      record.type.toUpperCase(),
      undefined,
      [record.value],
      options.signal,
    );
  }
}
