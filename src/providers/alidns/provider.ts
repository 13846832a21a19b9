/**
 * Alibaba Cloud DNS (Alidns 2015-01-09, reference §33): RPC style, every call a GET whose query holds
 * the action, the common parameters and the RPC v1 signature (HMAC-SHA1 over the sorted, RFC 3986
 * encoded parameters, keyed with the AccessKey secret). A zone is listed whole with
 * DescribeDomainRecords, page by page; a record is changed in place with UpdateDomainRecord, which
 * refuses an unchanged value (DomainRecordDuplicate), so homing compares first.
 */
import { randomUUID } from "node:crypto";
import * as v from "valibot";
import { apiFor } from "../kit/http.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { alibabaRpcSign } from "../kit/signing.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { AlidnsSchema } from "./schema.ts";

type Config = v.InferOutput<typeof AlidnsSchema>;

const ErrorBody = v.object({ Code: v.string(), Message: v.optional(v.string()) });
const Page = v.object({
  TotalCount: v.number(),
  DomainRecords: v.object({
    Record: v.array(
      v.object({
        RecordId: idString,
        RR: v.string(),
        Type: v.string(),
        Value: v.string(),
        TTL: v.optional(ttlNumber),
        Line: v.optional(v.string()),
      }),
    ),
  }),
});
const AUTH =
  /^(InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|InvalidTimeStamp|Forbidden|InvalidSecurityToken)/;
const NO_ZONE = /^(InvalidDomainName\.NoExist|IncorrectDomainUser|DomainNotFound|InvalidDomainName\.Format)/;
const PAGE_SIZE = 500;
const HELP =
  "create an AccessKey for a RAM user (RAM console → Users → Create AccessKey) with the policy AliyunDNSFullAccess, or only alidns:DescribeDomainInfo, DescribeDomainRecords, AddDomainRecord, UpdateDomainRecord and DeleteDomainRecord; and check this host's clock";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("access_key_secret");
  const api = apiFor(id, config, context, {
    label: "Alibaba Cloud DNS",
    secrets: [secret],
    authHelp: `check access_key_id and access_key_secret: ${HELP}`,
    // The common parameters and the signature go in the query, made again for each attempt.
    authorize(request) {
      const query = request.url.searchParams;
      const common = {
        Format: "JSON",
        Version: "2015-01-09",
        AccessKeyId: config.access_key_id,
        SignatureMethod: "HMAC-SHA1",
        SignatureVersion: "1.0",
        SignatureNonce: randomUUID(),
        Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
      for (const [name, value] of Object.entries(common)) query.set(name, value);
      const params = Object.fromEntries(query.entries());
      query.set(
        "Signature",
        alibabaRpcSign({ method: request.method, params, accessKeySecret: secret.reveal() }),
      );
    },
    errorText: (body) => (v.is(ErrorBody, body) ? `${body.Code}: ${body.Message ?? ""}` : undefined),
    refusal: (_reply, body) =>
      v.is(ErrorBody, body) && AUTH.test(body.Code)
        ? { kind: "auth", said: `${body.Code}: ${body.Message ?? ""}` }
        : undefined,
  });
  /** One action; a 4xx with one of `codes` is returned as the error's code instead of thrown. */
  const rpc = async (
    Action: string,
    params: Record<string, string | number | undefined>,
    what: string,
    signal: AbortSignal,
    codes?: RegExp,
  ): Promise<{ body: unknown; code?: string }> => {
    const request = { method: "GET" as const, path: "", query: { Action, ...params }, what };
    const { status, body } = await api.json(codes ? { ...request, accept: [400, 404] } : request, signal);
    if (status < 400) return { body };
    const code = v.is(ErrorBody, body) ? body.Code : "";
    if (codes?.test(code)) return { body, code };
    throw api.error(
      `Alibaba Cloud DNS refused to ${what} (HTTP ${status}, ${api.said({ status, headers: {}, text: JSON.stringify(body) })})`,
      "permanent",
      { code },
    );
  };
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) => {
        const { code } = await rpc(
          "DescribeDomainInfo",
          { DomainName: name },
          `find the domain ${name}`,
          signal,
          NO_ZONE,
        );
        return code ? null : { name, id: name };
      },
    },
    config.zone,
    "add the domain to Alibaba Cloud DNS in this account (Alibaba Cloud DNS console → Domain Name Resolution)",
  );
  const ttl = config.ttl === undefined ? {} : { TTL: config.ttl };
  const quoted = (body: unknown): Proof => api.unproven(body);
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    ownership:
      "homing owns every A and AAAA row on the default line at each managed name with Alibaba Cloud DNS",
    foreignRowHint:
      "a record of another type or on another resolution line, which homing leaves alone at Alibaba Cloud DNS",
    async list(zone, _names, signal) {
      const rows: Row[] = [];
      const what = `list the records of ${zone.name}`;
      for (let page = 1; page <= 1000; page++) {
        const { body } = await rpc(
          "DescribeDomainRecords",
          { DomainName: zone.name, PageNumber: page, PageSize: PAGE_SIZE },
          what,
          signal,
        );
        const reply = parseReply(api, Page, body, what);
        for (const r of reply.DomainRecords.Record) {
          const name = r.RR === "@" ? zone.name : `${r.RR}.${zone.name}`;
          // Rows on another resolution line (telecom, unicom, oversea…) are another answer: not homing's.
          const owned = (r.Line ?? "default") === "default";
          rows.push({
            id: r.RecordId,
            name,
            type: r.Type,
            value: r.Value,
            owned,
            ...(r.TTL ? { ttl: r.TTL } : {}),
          });
        }
        if (reply.DomainRecords.Record.length === 0 || rows.length >= reply.TotalCount) return rows;
      }
      throw api.error(
        `Alibaba Cloud DNS kept paging the records of ${zone.name}; homing retries later`,
        "transient",
      );
    },
    async create(place, value, signal) {
      const params = {
        DomainName: place.zone.name,
        RR: place.relative || "@",
        Type: place.type,
        Value: value,
        ...ttl,
      };
      return quoted(
        (await rpc("AddDomainRecord", params, `add ${place.name} ${place.type} ${value}`, signal)).body,
      );
    },
    async update(place, row, value, signal) {
      // UpdateDomainRecord refuses a value the record already has.
      if (row.value === value) return true;
      const params = { RecordId: row.id, RR: place.relative || "@", Type: place.type, Value: value, ...ttl };
      const what = `change ${place.name} ${place.type} to ${value}`;
      return quoted((await rpc("UpdateDomainRecord", params, what, signal, /^DomainRecordDuplicate$/)).body);
    },
    async remove(_zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await rpc("DeleteDomainRecord", { RecordId: row.id }, what, signal, /NotExist|NoExist|NotBelongToUser/);
    },
    // Each name's domain (DescribeDomainInfo, within the minimal policy); without names, the account.
    async verify(names, signal) {
      const seen = new Set<string>();
      for (const name of names) seen.add((await zones.of(name, signal)).zone.name);
      if (seen.size === 0) await rpc("DescribeDomains", { PageSize: 1 }, "check the AccessKey", signal);
      return `Alibaba Cloud DNS accepted the AccessKey${seen.size ? `; domains: ${[...seen].join(", ")}` : ""}`;
    },
  });
}
