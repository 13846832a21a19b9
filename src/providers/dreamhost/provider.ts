import { parseDuration } from "../../core/duration.ts";
import { type AddressRecordType, normalizeName, type ProviderRecord } from "../../core/records.ts";
import { ProviderError } from "../../errors.ts";
import {
  type AddResult,
  type CallOptions,
  CONFIRMED,
  type DnsProvider,
  type ProviderCapabilities,
  type ProviderContext,
} from "../provider.ts";
import { type ApiResult, DreamHostClient } from "./client.ts";
import type { DreamHostConfig } from "./schema.ts";

interface ListedRow {
  zone: string;
  record: string;
  type: string;
  value: string;
  editable: string;
}

/**
 * The rows of dns-list_records. A row without a string `record`, `type` or `value` is a damaged
 * reply, not a row to plan with: an empty value would look like a wrong address to remove.
 */
function parseRows(data: unknown, providerId: string): ListedRow[] {
  const damaged = (what: string) =>
    new ProviderError(`DreamHost dns-list_records returned ${what}; homing retries later`, {
      kind: "transient",
      provider: providerId,
    });
  if (!Array.isArray(data)) throw damaged(`no record list in "data"`);
  return data.map((row: unknown, index) => {
    if (typeof row !== "object" || row === null)
      throw damaged(`a row that is not an object (data[${index}])`);
    const fields = row as Record<string, unknown>;
    for (const field of ["record", "type", "value"]) {
      if (typeof fields[field] !== "string")
        throw damaged(`a row without a string "${field}" (data[${index}])`);
    }
    const scalar = (value: unknown) =>
      typeof value === "string" || typeof value === "number" ? String(value) : "";
    return {
      zone: scalar(fields.zone),
      record: fields.record as string,
      type: (fields.type as string).toUpperCase(),
      value: fields.value as string,
      editable: scalar(fields.editable),
    };
  });
}

/**
 * DreamHost: list, add and remove only (no update call, no record ids). The engine therefore adds
 * the new value before it removes the old one. Only `editable: "1"` rows are ours; DreamHost's own
 * rows (web hosting) are reported and never touched.
 */
export class DreamHostProvider implements DnsProvider {
  readonly id: string;
  readonly label = "DreamHost";
  readonly capabilities: ProviderCapabilities = { list: true, change: "add-remove" };
  readonly foreignRowHint =
    "a DreamHost-managed record (web hosting); remove hosting for that name in the DreamHost panel (Websites → Manage) to let homing manage it alone";
  readonly ownership =
    "homing owns every editable A and AAAA row at each managed name with dreamhost, whoever added it";
  readonly #client: DreamHostClient;
  readonly #comment: string;
  readonly #context: ProviderContext;

  private constructor(id: string, client: DreamHostClient, comment: string, context: ProviderContext) {
    this.id = id;
    this.#client = client;
    this.#comment = comment;
    this.#context = context;
  }

  static async create(
    id: string,
    config: DreamHostConfig,
    context: ProviderContext,
  ): Promise<DreamHostProvider> {
    const key = await context.secret("api_key");
    const client = new DreamHostClient({
      id,
      endpoint: config.endpoint,
      key,
      account: config.account,
      timeoutMs: parseDuration(config.timeout) ?? 30_000,
      context,
    });
    return new DreamHostProvider(id, client, config.comment, context);
  }

  async #listAll(signal: AbortSignal): Promise<ListedRow[]> {
    const result = await this.#client.call("dns-list_records", {}, signal);
    if (!result.ok) throw this.#client.unexpected("dns-list_records", result, "the record list");
    return parseRows(result.data, this.id);
  }

  async list(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    const wanted = new Set(names.map(normalizeName));
    return (await this.#listAll(options.signal))
      .filter((row) => wanted.has(normalizeName(row.record)))
      .map((row) => ({
        name: normalizeName(row.record),
        type: row.type,
        value: row.value,
        owned: row.editable === "1",
      }));
  }

  async verifyAccess(options: CallOptions): Promise<string> {
    const rows = await this.#listAll(options.signal);
    const zones = new Set(rows.map((row) => row.zone));
    return `the key can list records: ${rows.length} record(s) in ${zones.size} zone(s)`;
  }

  /** After a replayed unique_id, the add happened in an earlier attempt; a list confirms it. */
  async #confirmPresent(
    name: string,
    type: AddressRecordType,
    value: string,
    signal: AbortSignal,
  ): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await this.#context.sleep(2000, signal);
      const rows = await this.list([name], { signal });
      if (rows.some((row) => row.type === type && row.value === value)) return;
    }
    throw new ProviderError(
      `DreamHost reported the add of ${name} ${type} ${value} as already done, but the record list does not show it yet; homing checks again on the next run`,
      { kind: "transient", provider: this.id },
    );
  }

  /**
   * Only `{"result":"success","data":"record_added"}` (or the documented "identical row exists" error)
   * confirms an add. Any other success, such as `"data":"record_not_added"`, comes back unconfirmed and
   * quoted, and the engine re-lists before it removes anything.
   */
  async add(name: string, type: AddressRecordType, value: string, options: CallOptions): Promise<AddResult> {
    const params = { record: name, type, value, comment: this.#comment };
    const result = await this.#client.call("dns-add_record", params, options.signal);
    if (result.ok) {
      if (result.data === "record_added") return CONFIRMED;
      return { confirmed: false, reply: `"success" with data ${this.#client.quote(result.data)}` };
    }
    const what = `${name} ${type} ${value}`;
    const { code } = result;
    if (code === "unique_id_already_used" && result.retried) {
      await this.#confirmPresent(name, type, value, options.signal);
      return CONFIRMED;
    }
    // DreamHost's documented answer that the identical row exists: a confirmation of presence that
    // its list, which can lag behind a change by minutes, could not give.
    if (code.endsWith("_remove_first") && !code.startsWith("CNAME")) return CONFIRMED;
    throw this.#addError(code, name, type, result, what);
  }

  #addError(
    code: string,
    name: string,
    type: string,
    result: ApiResult & { ok: false },
    what: string,
  ): ProviderError {
    const permanent = (message: string) =>
      new ProviderError(message, { kind: "permanent", provider: this.id, code });
    if (code === "no_such_zone") {
      return permanent(
        `DreamHost has no DNS zone for ${name} (no_such_zone): DreamHost creates a domain's zone only when it gets its first record, so add any one record for the domain in the panel (Domains → DNS) once, then run homing again`,
      );
    }
    if (code === "record_already_exists_not_editable") {
      return permanent(
        `DreamHost refused to add ${what}: ${name} already has a DreamHost-managed ${type} record (web hosting); remove hosting for ${name} in the DreamHost panel so homing can manage the name`,
      );
    }
    if (code.startsWith("CNAME")) {
      return permanent(
        `DreamHost refused to add ${what}: ${name} holds a CNAME (${code}); remove the CNAME in the panel, or point homing at the CNAME's target`,
      );
    }
    return this.#client.unexpected("dns-add_record", result, what);
  }

  async remove(record: ProviderRecord, options: CallOptions): Promise<void> {
    const params = { record: record.name, type: record.type, value: record.value };
    const result = await this.#client.call("dns-remove_record", params, options.signal);
    if (result.ok) return;
    // Already gone (or gone by an earlier attempt of this same operation): the goal holds.
    if (result.code.startsWith("no_such_") || (result.code === "unique_id_already_used" && result.retried))
      return;
    const what = `${record.name} ${record.type} ${record.value}`;
    if (result.code === "not_editable") {
      throw new ProviderError(`DreamHost refused to remove ${what}: it is a DreamHost-managed record`, {
        kind: "permanent",
        provider: this.id,
        code: result.code,
      });
    }
    throw this.#client.unexpected("dns-remove_record", result, what);
  }
}
