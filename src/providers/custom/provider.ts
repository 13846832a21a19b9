import { parseDuration } from "../../core/duration.ts";
import type { ProviderRecord } from "../../core/records.ts";
import type { Secret } from "../../core/secret.ts";
import { ConfigError, ProviderError } from "../../errors.ts";
import {
  type CallOptions,
  type ChangeResult,
  type DnsProvider,
  lazyFingerprint,
  type ProviderCapabilities,
  type ProviderContext,
  type RecordChange,
  type ReplaceManyOptions,
  type VerifyOptions,
} from "../provider.ts";
import {
  describeLookups,
  lookupRows,
  resolverServers,
  sendInTurn,
  UpdateUrlProvider,
} from "../update-url.ts";
import {
  CustomClient,
  type CustomRequest,
  PLACEHOLDERS,
  placeholdersIn,
  renderTemplate,
  type TemplateValues,
} from "./client.ts";
import type { CustomConfig } from "./schema.ts";

interface Templates {
  method: CustomRequest["method"];
  url: string;
  body: string | undefined;
  headers: Record<string, string>;
  username: string | undefined;
}

/** One request to send: the template values and the changes it carries out. */
interface Planned {
  values: Omit<TemplateValues, "secret">;
  indexes: number[];
}

/**
 * Which requests a round's changes need: with {ip} or {type} in a template, one request per
 * (name, family); otherwise one per name with {ipv4} and {ipv6} both filled (an unchanged family
 * repeated, a family homing does not manage left empty).
 */
export function planCustomRequests(
  changes: readonly RecordChange[],
  unchanged: ReplaceManyOptions["unchanged"],
  perFamily: boolean,
): Planned[] {
  if (perFamily) {
    return changes.map((change, index) => ({
      values: {
        name: change.name,
        type: change.type,
        ip: change.add as string,
        ipv4: change.type === "A" ? (change.add as string) : "",
        ipv6: change.type === "AAAA" ? (change.add as string) : "",
      },
      indexes: [index],
    }));
  }
  const perName = new Map<string, Planned>();
  changes.forEach((change, index) => {
    const entry = perName.get(change.name) ?? {
      values: { name: change.name, type: "", ip: "", ipv4: "", ipv6: "" },
      indexes: [],
    };
    entry.values[change.type === "A" ? "ipv4" : "ipv6"] = change.add as string;
    entry.indexes.push(index);
    perName.set(change.name, entry);
  });
  for (const other of unchanged) {
    const entry = perName.get(other.name);
    const key = other.type === "A" ? "ipv4" : "ipv6";
    if (entry && entry.values[key] === "") entry.values[key] = other.value;
  }
  return [...perName.values()];
}

function checkTemplates(id: string, config: CustomConfig): { perFamily: boolean; usesSecret: boolean } {
  const sources: Array<[string, string]> = [
    ["url", config.url],
    ...(config.body !== undefined ? [["body", config.body] as [string, string]] : []),
    ...Object.entries(config.headers).map(([name, value]) => [`headers.${name}`, value] as [string, string]),
  ];
  const problems: string[] = [];
  const used = new Set<string>();
  for (const [where, template] of sources) {
    for (const key of placeholdersIn(template)) {
      used.add(key);
      if (!(PLACEHOLDERS as readonly string[]).includes(key)) {
        problems.push(
          `providers.${id}.${where}: unknown placeholder {${key}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`,
        );
      }
    }
  }
  if (!["ip", "ipv4", "ipv6"].some((key) => used.has(key))) {
    problems.push(
      `providers.${id}: no template uses {ip}, {ipv4} or {ipv6}; homing must tell the service the address (a service that guesses it from the connection gets IPv6 wrong)`,
    );
  }
  if (config.body !== undefined && config.method === "GET") {
    problems.push(`providers.${id}.body: a body needs method = "POST", "PUT" or "PATCH"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { perFamily: used.has("ip") || used.has("type"), usesSecret: used.has("secret") };
}

/**
 * A custom update URL, for any service with an HTTP update call: method, URL, body and header
 * templates, and a success condition. No list call, so the engine guards updates with the state
 * file and a DNS lookup, exactly as for dyndns2.
 */
export class CustomProvider extends UpdateUrlProvider implements DnsProvider {
  readonly id: string;
  readonly label: string;
  readonly capabilities: ProviderCapabilities = { list: false, change: "update-url" };
  readonly foreignRowHint = "an address homing did not send";
  readonly #fingerprint: () => string;
  readonly #client: CustomClient;
  readonly #templates: Templates;
  readonly #secret: Secret | undefined;
  readonly #perFamily: boolean;
  readonly #servers: string[] | undefined;
  readonly #timeoutMs: number;

  private constructor(fields: {
    id: string;
    label: string;
    fingerprint: () => string;
    client: CustomClient;
    templates: Templates;
    secret: Secret | undefined;
    perFamily: boolean;
    servers: string[] | undefined;
    timeoutMs: number;
  }) {
    super();
    this.id = fields.id;
    this.label = fields.label;
    this.#fingerprint = fields.fingerprint;
    this.#client = fields.client;
    this.#templates = fields.templates;
    this.#secret = fields.secret;
    this.#perFamily = fields.perFamily;
    this.#servers = fields.servers;
    this.#timeoutMs = fields.timeoutMs;
  }

  get fingerprint(): string {
    return this.#fingerprint();
  }

  static async create(id: string, config: CustomConfig, context: ProviderContext): Promise<CustomProvider> {
    const { perFamily, usesSecret } = checkTemplates(id, config);
    const sample = renderTemplate(
      config.url,
      { name: "home.example.com", ip: "192.0.2.1", type: "A", ipv4: "192.0.2.1", ipv6: "", secret: "x" },
      encodeURIComponent,
    );
    let host: string;
    try {
      host = new URL(sample).host;
    } catch {
      throw new ConfigError([`providers.${id}.url: "${config.url}" does not give a URL once filled in`]);
    }
    let successBody: RegExp | undefined;
    if (config.success_body !== undefined) {
      try {
        successBody = new RegExp(config.success_body);
      } catch (error) {
        throw new ConfigError([
          `providers.${id}.success_body: not a regular expression (${error instanceof Error ? error.message : String(error)})`,
        ]);
      }
    }
    const servers = resolverServers(config.resolver, `providers.${id}`);
    const needsSecret = usesSecret || config.username !== undefined;
    const secret = needsSecret ? await context.secret("secret") : undefined;
    if (!needsSecret && (config.secret !== undefined || config.secret_file !== undefined)) {
      context.logger.warn(
        `providers.${id}: a secret is configured but no template uses {secret} and there is no username; it is not sent`,
      );
    }
    const timeoutMs = parseDuration(config.timeout) ?? 30_000;
    const label = config.label ?? `custom update URL (${host})`;
    const client = new CustomClient({
      id,
      label,
      secret,
      successStatus: config.success_status,
      successBody,
      timeoutMs,
      context,
    });
    return new CustomProvider({
      id,
      label,
      fingerprint: lazyFingerprint(config, () => (secret ? [secret.reveal()] : [])),
      client,
      templates: {
        method: config.method,
        url: config.url,
        body: config.body,
        headers: config.headers,
        username: config.username,
      },
      secret,
      perFamily,
      servers,
      timeoutMs,
    });
  }

  #lookupOptions(signal: AbortSignal) {
    return { providerId: this.id, servers: this.#servers, timeoutMs: this.#timeoutMs, signal };
  }

  lookup(names: readonly string[], options: CallOptions): Promise<ProviderRecord[]> {
    return lookupRows(names, this.#lookupOptions(options.signal));
  }

  async verifyAccess(options: VerifyOptions): Promise<string> {
    const lookups = await describeLookups(options.names ?? [], this.#lookupOptions(options.signal));
    const secret = this.#secret ? `, secret from ${this.#secret.origin}` : "";
    return `templates ok (${this.#templates.method}, ${this.#perFamily ? "one request per address family" : "one request per name"}${secret}); ${lookups}; no request was sent (an update URL has no read-only call)`;
  }

  #request(values: Planned["values"]): CustomRequest {
    const all: TemplateValues = { ...values, secret: this.#secret?.reveal() ?? "" };
    const templates = this.#templates;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(templates.headers)) headers[name] = renderTemplate(value, all);
    const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
    if (templates.username !== undefined && !hasAuthorization) {
      const pair = `${templates.username}:${all.secret}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString("base64")}`;
    }
    if (
      templates.body !== undefined &&
      !Object.keys(headers).some((n) => n.toLowerCase() === "content-type")
    ) {
      headers["content-type"] = /^\s*[[{]/.test(templates.body)
        ? "application/json"
        : "application/x-www-form-urlencoded";
    }
    const family = [values.ipv4 && `A ${values.ipv4}`, values.ipv6 && `AAAA ${values.ipv6}`].filter(Boolean);
    return {
      method: templates.method,
      url: renderTemplate(templates.url, all, encodeURIComponent),
      headers,
      body: templates.body === undefined ? undefined : renderTemplate(templates.body, all),
      what: `${values.name} ${values.ip ? `${values.type} ${values.ip}` : family.join(" ")}`,
    };
  }

  async replaceMany(changes: readonly RecordChange[], options: ReplaceManyOptions): Promise<ChangeResult[]> {
    return sendInTurn(
      planCustomRequests(changes, options.unchanged, this.#perFamily),
      changes.length,
      async (planned) => {
        await this.#client.send(this.#request(planned.values), options.signal);
        return {};
      },
    );
  }

  async remove(record: ProviderRecord): Promise<void> {
    throw new ProviderError(
      `${this.label} cannot delete ${record.name} ${record.type}: an update URL only sets addresses`,
      { kind: "permanent", provider: this.id },
    );
  }
}
