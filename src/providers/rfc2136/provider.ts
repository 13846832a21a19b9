import { parseDuration } from "../../core/duration.ts";
import { parseAddress } from "../../core/ip.ts";
import { type AddressRecordType, normalizeName, type ProviderRecord } from "../../core/records.ts";
import { parseEndpoint } from "../../dns/transport.ts";
import {
  decodeSecret,
  macLength,
  parseAlgorithm,
  parseKeyFile,
  type TsigAlgorithm,
  TsigKey,
} from "../../dns/tsig.ts";
import {
  addRecord,
  deleteRecord,
  type Expectation,
  expectRRset,
  replaceRRset,
  updateMessage,
} from "../../dns/update.ts";
import { canonicalName, FLAG, isInZone, RCODE, rcodeName, sameName, TYPE } from "../../dns/wire.ts";
import { ConfigError, ProviderError } from "../../errors.ts";
import { readSecretText } from "../../platform/secrets.ts";
import {
  type AddResult,
  type CallOptions,
  CONFIRMED,
  type DnsProvider,
  listEachName,
  type ProviderCapabilities,
  type ProviderContext,
  type RecordChange,
  type ReplaceResult,
} from "../provider.ts";
import { type Answer, Rfc2136Client } from "./client.ts";
import type { Rfc2136Config } from "./schema.ts";

/** Test seams: the signer's clock (seconds since the epoch). */
export interface Rfc2136Options {
  now?: () => number;
}

const LISTED_TYPES = [
  ["A", TYPE.A],
  ["AAAA", TYPE.AAAA],
  ["CNAME", TYPE.CNAME],
] as const;

/** The rcodes of a failed compare-and-swap: the RRset is not (NXRRSET) or is (YXRRSET) there. */
const PREREQUISITE_FAILED = new Set<number>([RCODE.NXRRSET, RCODE.YXRRSET]);

function systemNow(): number {
  return Date.now() / 1000;
}

interface LoadedKey {
  key: TsigKey;
  origin: string;
}

function keyFromText(
  label: string,
  name: string,
  algorithmText: string,
  secretText: string,
  origin: string,
): TsigKey {
  const algorithm = parseAlgorithm(algorithmText);
  if (!algorithm) {
    throw new ConfigError([
      `${label}: the key "${name}" uses the algorithm "${algorithmText}", which homing does not support; use hmac-sha256 (tsig-keygen -a hmac-sha256 ${name}), hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5`,
    ]);
  }
  const secret = decodeSecret(secretText);
  if (!secret || secret.length === 0) {
    throw new ConfigError([
      `${label}: the secret of the key "${name}" (${origin}) is not base64; copy the secret "..." value that tsig-keygen printed`,
    ]);
  }
  return new TsigKey(name, algorithm, secret);
}

/** The TSIG key from key_file, or key_name + key_secret(_file), or none (unsigned updates). */
async function loadKey(
  id: string,
  config: Rfc2136Config,
  context: ProviderContext,
): Promise<LoadedKey | undefined> {
  const label = `providers.${id}`;
  const hasSecret = config.key_secret !== undefined || config.key_secret_file !== undefined;
  if (config.key_file !== undefined) {
    if (hasSecret) {
      throw new ConfigError([
        `${label}: set either key_file or key_secret/key_secret_file, not both (the key file holds the secret)`,
      ]);
    }
    const path = config.key_file;
    const text = await readSecretText(path, {
      key: `${label}.key_file`,
      what: "key file",
      warnAs: "TSIG key file",
      logger: context.logger,
    });
    let entries: ReturnType<typeof parseKeyFile>;
    try {
      entries = parseKeyFile(text);
    } catch (error) {
      throw new ConfigError([
        `${label}.key_file: ${path} is not a BIND key file: ${(error as Error).message}`,
      ]);
    }
    for (const entry of entries) context.logger.addSecret(entry.secret);
    const wanted = config.key_name;
    const entry = wanted
      ? entries.find((e) => sameName(e.name, wanted))
      : entries.length === 1
        ? entries[0]
        : undefined;
    if (!entry) {
      const names = entries.map((e) => `"${e.name}"`).join(", ");
      throw new ConfigError([
        wanted
          ? `${label}: the key file ${path} has no key "${wanted}" (it has ${names}); fix key_name`
          : `${label}: the key file ${path} holds ${entries.length} keys (${names}); set key_name to the one to use`,
      ]);
    }
    const origin = `file ${path}`;
    const key = keyFromText(label, entry.name, entry.algorithm, entry.secret, origin);
    if (config.key_algorithm && config.key_algorithm !== key.algorithm) {
      throw new ConfigError([
        `${label}: key_algorithm says ${config.key_algorithm}, but the key file ${path} says ${key.algorithm}; remove key_algorithm`,
      ]);
    }
    return { key, origin };
  }
  if (hasSecret) {
    if (!config.key_name) {
      throw new ConfigError([
        `${label}: a key secret is set but no key_name; set key_name to the key's name on the server (the name in key "..." { })`,
      ]);
    }
    const secret = await context.secret("key_secret");
    const algorithm: TsigAlgorithm = config.key_algorithm ?? "hmac-sha256";
    return {
      key: keyFromText(label, config.key_name, algorithm, secret.reveal(), secret.origin),
      origin: secret.origin,
    };
  }
  if (config.key_name) {
    throw new ConfigError([
      `${label}: key_name is set but there is no secret: set key_secret_file (a file holding the base64 secret), or key_file (a tsig-keygen key file)`,
    ]);
  }
  return undefined;
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  const canonical = (values: readonly string[]) =>
    [...new Set(values.map((v) => parseAddress(v)?.canonical ?? v.toLowerCase()))].sort();
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * RFC 2136 dynamic DNS UPDATE, signed with TSIG (RFC 8945). A change is ONE UPDATE message that
 * deletes the RRset and adds the new record, which the server applies atomically; a prerequisite
 * with the RRset as listed makes it a compare-and-swap. The state is read from the server itself
 * with (signed) queries.
 */
export class Rfc2136Provider implements DnsProvider {
  readonly id: string;
  readonly label = "RFC 2136";
  readonly capabilities: ProviderCapabilities = { list: true, change: "rrset", maxConcurrency: 4 };
  readonly foreignRowHint = "a record homing does not manage";
  readonly ownership =
    "homing owns the whole A and AAAA set at each managed name with rfc2136 and replaces it in one UPDATE";
  readonly #client: Rfc2136Client;
  readonly #config: Rfc2136Config;
  readonly #context: ProviderContext;
  /** Zone of each name (configured, or found by SOA queries). */
  readonly #zones = new Map<string, Promise<string>>();
  /** The RRsets list() saw, per "name/TYPE": the compare-and-swap prerequisite of the next change. */
  readonly #seen = new Map<string, string[]>();

  private constructor(id: string, client: Rfc2136Client, config: Rfc2136Config, context: ProviderContext) {
    this.id = id;
    this.#client = client;
    this.#config = config;
    this.#context = context;
  }

  static async create(
    id: string,
    config: Rfc2136Config,
    context: ProviderContext,
    options: Rfc2136Options = {},
  ): Promise<Rfc2136Provider> {
    const endpoint = parseEndpoint(config.server);
    if (!endpoint) throw new ConfigError([`providers.${id}.server: "${config.server}" is not host:port`]);
    const loaded = await loadKey(id, config, context);
    if (loaded && loaded.key.secretLength < macLength(loaded.key.algorithm)) {
      context.logger.warn(
        `providers.${id}: the TSIG key "${loaded.key.name}" is only ${loaded.key.secretLength} bytes long, shorter than its ${loaded.key.algorithm} hash (${macLength(loaded.key.algorithm)} bytes); generate a stronger one with: tsig-keygen -a hmac-sha256 ${loaded.key.name}`,
      );
    }
    const client = new Rfc2136Client({
      id,
      endpoint,
      key: loaded?.key,
      keyOrigin: loaded?.origin,
      mode: config.transport,
      timeoutMs: parseDuration(config.timeout) ?? 10_000,
      now: options.now ?? systemNow,
      context,
    });
    return new Rfc2136Provider(id, client, config, context);
  }

  /** The records of `type` at `name`, as the server answers (signed when a key is configured). */
  async #rrset(name: string, type: number, typeText: string, signal: AbortSignal): Promise<ProviderRecord[]> {
    const answer = await this.#client.query(name, type, typeText, signal);
    if (answer.rcode === RCODE.NXDOMAIN) return [];
    if (answer.rcode !== RCODE.NOERROR) {
      throw this.#client.failure(answer, { kind: "query", name, type: typeText }, this.id);
    }
    if (!(answer.message.flags & FLAG.AA)) {
      throw this.#client.error(
        `${this.#client.server} is not authoritative for ${name} (its answer lacks the AA flag: a resolver, or a name below a delegation): set providers.${this.id}.server to the primary server of the name's zone`,
        "permanent",
      );
    }
    return answer.message.answer
      .filter((r) => r.type === type && sameName(r.name, name) && r.value !== undefined)
      .map((r) => ({
        name,
        type: typeText,
        value: r.value as string,
        owned: type !== TYPE.CNAME,
        ttl: r.ttl,
      }));
  }

  async list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    return listEachName(new Set(names.map(normalizeName)), (name) => this.#listName(name, options.signal));
  }

  async #listName(name: string, signal: AbortSignal): Promise<ProviderRecord[]> {
    const rows: ProviderRecord[] = [];
    for (const [typeText, type] of LISTED_TYPES) {
      const found = await this.#rrset(name, type, typeText, signal);
      if (type !== TYPE.CNAME) {
        this.#seen.set(
          `${name}/${typeText}`,
          found.map((r) => r.value),
        );
      }
      rows.push(...found);
    }
    return rows;
  }

  /** The zone that holds `name`: the configured one, or the owner of the SOA the server reports for it. */
  #zoneFor(name: string, signal: AbortSignal): Promise<string> {
    const configured = this.#config.zone;
    if (configured) return Promise.resolve(canonicalName(configured));
    let zone = this.#zones.get(name);
    if (!zone) {
      zone = this.#discoverZone(name, signal);
      zone.catch(() => this.#zones.delete(name));
      this.#zones.set(name, zone);
    }
    return zone;
  }

  async #discoverZone(name: string, signal: AbortSignal): Promise<string> {
    const labels = canonicalName(name).split(".");
    const answers: string[] = [];
    for (let i = 0; i < labels.length - 1; i++) {
      const candidate = labels.slice(i).join(".");
      const answer = await this.#client.query(candidate, TYPE.SOA, "SOA", signal);
      answers.push(`${candidate}: ${answerSummary(answer)}`);
      if (answer.rcode !== RCODE.NOERROR && answer.rcode !== RCODE.NXDOMAIN) continue;
      const soa = [...answer.message.answer, ...answer.message.authority].find(
        (r) => r.type === TYPE.SOA && canonicalName(r.name) !== "." && isInZone(name, r.name),
      );
      if (soa) {
        const zone = canonicalName(soa.name);
        this.#context.logger.debug(
          `${this.#client.server}: ${name} is in zone ${zone} (from its SOA record)`,
        );
        return zone;
      }
    }
    throw this.#client.error(
      `${this.#client.server} reported no zone that holds ${name} (SOA queries: ${answers.join("; ")}): set providers.${this.id}.zone, and check that providers.${this.id}.server is the zone's primary server`,
      "permanent",
    );
  }

  async verifyAccess(options: CallOptions): Promise<string> {
    const key = this.#client.key;
    const signing = key
      ? `the reply's TSIG signature verified with the key "${key.name}" (${key.algorithm})`
      : "no TSIG key is configured: queries and updates go unsigned";
    const policy = "whether updates are allowed is the server's update policy, which the first update shows";
    const zone = this.#config.zone ? canonicalName(this.#config.zone) : undefined;
    if (!zone) {
      // No name to ask about: a signed query for the root still proves the key when the server signs
      // its refusal (BIND does; Knot refuses unsigned, and a bad key still shows as BADSIG/BADKEY).
      const answer = await this.#client.query(".", TYPE.SOA, "SOA", options.signal, true);
      const found = "no zone is set, so homing finds each name's zone with SOA queries";
      if (key && !answer.verified) {
        return `${this.#client.server} answers, but without a zone to ask about it did not sign its reply, so the key "${key.name}" is not proven yet (set providers.${this.id}.zone to let homing check prove it); ${found}`;
      }
      return `${this.#client.server} answers; ${signing}; ${found}; ${policy}`;
    }
    const answer = await this.#client.query(zone, TYPE.SOA, "SOA", options.signal);
    if (answer.rcode !== RCODE.NOERROR)
      throw this.#client.failure(answer, { kind: "query", name: zone, type: "SOA" }, this.id);
    const soa = answer.message.answer.find((r) => r.type === TYPE.SOA && sameName(r.name, zone));
    if (!soa || !(answer.message.flags & FLAG.AA)) {
      throw this.#client.error(
        `${this.#client.server} is not authoritative for zone ${zone} (no SOA record in its answer): set providers.${this.id}.server to the zone's primary server, or fix providers.${this.id}.zone`,
        "permanent",
      );
    }
    const serial = soa.value?.split(" ")[2] ?? "?";
    return `zone ${zone} answers with SOA serial ${serial}; ${signing}; ${policy}`;
  }

  /** Sends one UPDATE and maps every rcode except NOERROR and a failed prerequisite (returned) to an error. */
  async #update(
    zone: string,
    name: string,
    what: string,
    build: (id: number) => ReturnType<typeof updateMessage>,
    signal: AbortSignal,
  ): Promise<number> {
    const operation = { kind: "update" as const, zone, name, what };
    const answer = await this.#client.update(build, operation, signal);
    if (answer.rcode === RCODE.NOERROR || PREREQUISITE_FAILED.has(answer.rcode)) return answer.rcode;
    throw this.#client.failure(answer, operation, this.id);
  }

  /**
   * After NXRRSET or YXRRSET (the RRset was not what list() saw): the change is done when the server now holds
   * exactly the desired values (a lost reply whose retransmission found its own result), otherwise
   * someone else changed it meanwhile.
   */
  async #confirm(
    name: string,
    type: AddressRecordType,
    desired: readonly string[] | undefined,
    rcode: number,
    signal: AbortSignal,
  ): Promise<void> {
    const now = (await this.#rrset(name, TYPE[type], type, signal)).map((r) => r.value);
    this.#seen.set(`${name}/${type}`, now);
    if (desired && sameValues(now, desired)) {
      this.#context.logger.debug(`${name} ${type} already holds ${desired.join(", ")} at the server`);
      return;
    }
    throw this.#client.error(
      `the ${type} records of ${name} changed at the server while homing was updating them (now: ${now.join(", ") || "none"}); nothing was changed, homing re-reads them on the next run`,
      "transient",
      rcodeName(rcode),
    );
  }

  #expectation(name: string, type: AddressRecordType): Expectation | undefined {
    const seen = this.#seen.get(`${name}/${type}`);
    if (!seen) return undefined;
    return seen.length === 0 ? "absent" : { values: seen };
  }

  /**
   * With a value to add, the UPDATE deletes the whole RRset: its prerequisite is the RRset as
   * listed, so exactly the listed values (other than the new one) are removed, hand-added ones
   * included. Without one, only the stale values are deleted.
   */
  async replace(change: RecordChange, options: CallOptions): Promise<ReplaceResult> {
    const name = normalizeName(change.name);
    const { type } = change;
    const zone = await this.#zoneFor(name, options.signal);
    const expect = this.#expectation(name, type);
    const stale = change.remove.map((r) => r.value);
    const ttl = this.#config.ttl;
    let desired: string[] | undefined;
    let removed = stale;
    let build: (id: number) => ReturnType<typeof updateMessage>;
    let what: string;
    if (change.add !== undefined) {
      const value = change.add;
      desired = [value];
      what = `${name} ${type} to ${value}`;
      build = (id) =>
        replaceRRset({ id, zone, name, type: TYPE[type], ttl, value, ...(expect ? { expect } : {}) });
      // Without a listing to compare with, the planned stale rows are the best account there is.
      if (expect && expect !== "absent") {
        removed = expect.values.filter((v) => !sameValues([v], [value]));
      }
    } else {
      // The desired value is there already: delete only the stale records.
      if (stale.length === 0) return { removed: [] };
      desired = expect && expect !== "absent" ? expect.values.filter((v) => !stale.includes(v)) : undefined;
      what = `${name} ${type} (removing ${stale.join(", ")})`;
      build = (id) =>
        updateMessage({
          id,
          zone,
          ...(expect ? { prerequisites: expectRRset(name, TYPE[type], expect) } : {}),
          updates: stale.map((value) => deleteRecord(name, TYPE[type], value)),
        });
    }
    const rcode = await this.#update(zone, name, what, build, options.signal);
    if (PREREQUISITE_FAILED.has(rcode)) await this.#confirm(name, type, desired, rcode, options.signal);
    else if (desired) this.#seen.set(`${name}/${type}`, desired);
    return { removed };
  }

  /** A verified NOERROR to a signed UPDATE is the protocol's confirmation (#update throws otherwise). */
  async add(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult> {
    const owner = normalizeName(name);
    const zone = await this.#zoneFor(owner, options.signal);
    const what = `${owner} ${type} ${value} (add)`;
    const build = (id: number) =>
      updateMessage({ id, zone, updates: [addRecord(owner, TYPE[type], this.#config.ttl, value)] });
    await this.#update(zone, owner, what, build, options.signal);
    this.#seen.delete(`${owner}/${type}`);
    return CONFIRMED;
  }

  async remove(record: ProviderRecord, options: CallOptions): Promise<void> {
    const owner = normalizeName(record.name);
    const type = record.type as AddressRecordType;
    if (type !== "A" && type !== "AAAA") {
      throw new ProviderError(`homing removes only A and AAAA records, not ${record.type} (${owner})`, {
        kind: "permanent",
        provider: this.id,
      });
    }
    const zone = await this.#zoneFor(owner, options.signal);
    const what = `${owner} ${type} ${record.value} (remove)`;
    const build = (id: number) =>
      updateMessage({ id, zone, updates: [deleteRecord(owner, TYPE[type], record.value)] });
    await this.#update(zone, owner, what, build, options.signal);
    this.#seen.delete(`${owner}/${type}`);
  }
}

function answerSummary(answer: Answer): string {
  const soa = [...answer.message.answer, ...answer.message.authority].find((r) => r.type === TYPE.SOA);
  return soa ? `${rcodeName(answer.rcode)}, SOA of ${canonicalName(soa.name)}` : rcodeName(answer.rcode);
}
