/**
 * DNSPod through Tencent Cloud API 3.0 (reference §34a): every call a POST of JSON to "/", the
 * action in X-TC-Action, signed with TC3-HMAC-SHA256 (service "dnspod"). Every reply is HTTP 200:
 * an error is `Response.Error` {Code, Message}. A zone is listed with DescribeRecordList, page by
 * page (filtered with `Subdomain` when one name is wanted; an empty result is the error
 * ResourceNotFound.NoDataOfRecord); records are changed in place with ModifyRecord, whose key is
 * `SubDomain` (capital D, unlike the list's filter). Every record sits on a resolution line: homing
 * owns only the rows on its `record_line` (default "默认").
 */
import * as v from "valibot";
import { apiFor } from "../kit/http.ts";
import { idString, parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { signTencentTc3 } from "../kit/signing.ts";
import { Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { TencentCloudSchema } from "./schema.ts";

type Config = v.InferOutput<typeof TencentCloudSchema>;

const Failure = v.object({
  Response: v.object({ Error: v.object({ Code: v.string(), Message: v.optional(v.string()) }) }),
});
const Page = v.object({
  Response: v.object({
    RecordCountInfo: v.object({ TotalCount: v.number() }),
    RecordList: v.array(
      v.object({
        RecordId: idString,
        Name: v.string(),
        Type: v.string(),
        Value: v.string(),
        Line: v.string(),
        LineId: v.optional(v.string()),
        TTL: v.optional(ttlNumber),
      }),
    ),
  }),
});
const AUTH = /^(AuthFailure|UnauthorizedOperation|OperationDenied\.AccessDenied)/;
const NO_ZONE = /^(InvalidParameterValue\.DomainNotExists|InvalidParameter\.DomainInvalid)$/;
const LIMIT = 3000;
const HELP =
  "create an API key at https://console.cloud.tencent.com/cam/capi for a CAM sub-user whose policy allows only dnspod:DescribeDomain, DescribeRecordList, CreateRecord, ModifyRecord and DeleteRecord (or QcloudDNSPodFullAccess); and check this host's clock";

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("secret_key");
  const api = apiFor(id, config, context, {
    label: "DNSPod",
    secrets: [secret],
    authHelp: `check secret_id and secret_key: ${HELP}`,
    authorize(request) {
      const timestamp = Math.floor(Date.now() / 1000);
      const action = request.headers["x-tc-action"] ?? "";
      request.headers["x-tc-timestamp"] = String(timestamp);
      request.headers.authorization = signTencentTc3({
        secretId: config.secret_id,
        secretKey: secret.reveal(),
        service: "dnspod",
        host: request.url.host,
        action,
        payload: request.body ?? "",
        timestamp,
        contentType: request.headers["content-type"] ?? "",
      });
    },
    errorText: (body) =>
      v.is(Failure, body) ? `${body.Response.Error.Code}: ${body.Response.Error.Message ?? ""}` : undefined,
    refusal(_reply, body) {
      if (!v.is(Failure, body)) return undefined;
      const { Code, Message } = body.Response.Error;
      if (AUTH.test(Code)) return { kind: "auth", said: `${Code}: ${Message ?? ""}` };
      if (Code.startsWith("RequestLimitExceeded"))
        return { kind: "transient", said: `${Code}: ${Message ?? ""}` };
      return undefined;
    },
  });
  /** One action; an error whose code matches `codes` is returned instead of thrown. */
  const call = async (action: string, json: object, what: string, signal: AbortSignal, codes?: RegExp) => {
    const headers = { "x-tc-action": action, "x-tc-version": "2021-03-23", "x-tc-language": "en-US" };
    const { body } = await api.json({ method: "POST", path: "", json, headers, what }, signal);
    if (!v.is(Failure, body)) return { body, code: undefined };
    const { Code, Message } = body.Response.Error;
    if (codes?.test(Code)) return { body, code: Code };
    throw api.error(`DNSPod refused to ${what} (${Code}: ${api.shown(Message ?? "")})`, "permanent", {
      code: Code,
    });
  };
  const zones = new Zones(
    api,
    {
      lookup: async (name, signal) =>
        (await call("DescribeDomain", { Domain: name }, `find the domain ${name}`, signal, NO_ZONE)).code
          ? null
          : { name, id: name },
    },
    config.zone,
    "add the domain to DNSPod in this Tencent Cloud account (https://console.dnspod.cn)",
  );
  const line = config.record_line;
  const ttl = config.ttl === undefined ? {} : { TTL: config.ttl };
  const quoted = (body: unknown): Proof => api.unproven(body);
  return new RestProvider({
    api,
    zones,
    change: "in-place",
    ownership: `homing owns every A and AAAA row on the line "${line}" at each managed name with DNSPod`,
    foreignRowHint: `a record of another type or on another resolution line than "${line}", which homing leaves alone at DNSPod`,
    async list(zone, names, signal) {
      const rows: Row[] = [];
      const what = `list the records of ${zone.name}`;
      const [only] = names.size === 1 ? [...names] : [];
      // The list's filter is `Subdomain`, lower-case d (CreateRecord and ModifyRecord take `SubDomain`).
      const filter =
        only === undefined
          ? {}
          : { Subdomain: only === zone.name ? "@" : only.slice(0, -(zone.name.length + 1)) };
      for (let offset = 0; offset < 1_000_000; ) {
        const json = { Domain: zone.name, ...filter, Offset: offset, Limit: LIMIT };
        const { body, code } = await call(
          "DescribeRecordList",
          json,
          what,
          signal,
          /^ResourceNotFound\.NoDataOfRecord$/,
        );
        if (code) return rows;
        const { Response } = parseReply(api, Page, body, what);
        for (const r of Response.RecordList) {
          const name = r.Name === "@" ? zone.name : `${r.Name}.${zone.name}`;
          // The default line answers as "默认", or "Default" in English, with LineId "0".
          const owned = r.Line === line || (line === "默认" && (r.LineId === "0" || r.Line === "Default"));
          rows.push({
            id: r.RecordId,
            name,
            type: r.Type,
            value: r.Value,
            owned,
            ...(r.TTL ? { ttl: r.TTL } : {}),
          });
        }
        offset += Response.RecordList.length;
        if (Response.RecordList.length === 0 || offset >= Response.RecordCountInfo.TotalCount) return rows;
      }
      throw api.error(`DNSPod kept paging the records of ${zone.name}; homing retries later`, "transient");
    },
    async create(place, value, signal) {
      const json = {
        Domain: place.zone.name,
        SubDomain: place.relative || "@",
        RecordType: place.type,
        RecordLine: line,
        Value: value,
        ...ttl,
      };
      return quoted(
        (await call("CreateRecord", json, `add ${place.name} ${place.type} ${value}`, signal)).body,
      );
    },
    async update(place, row, value, signal) {
      const json = {
        Domain: place.zone.name,
        RecordId: Number(row.id),
        SubDomain: place.relative || "@",
        RecordType: place.type,
        RecordLine: line,
        Value: value,
        ...ttl,
      };
      return quoted(
        (await call("ModifyRecord", json, `change ${place.name} ${place.type} to ${value}`, signal)).body,
      );
    },
    async remove(zone, row, signal) {
      const what = `remove ${row.name} ${row.type} ${row.value}`;
      await call(
        "DeleteRecord",
        { Domain: zone.name, RecordId: Number(row.id) },
        what,
        signal,
        /^InvalidParameter\.RecordIdInvalid$/,
      );
    },
    // Each name's domain (DescribeDomain, within the minimal policy); without names, the account.
    async verify(names, signal) {
      const seen = new Set<string>();
      for (const name of names) seen.add((await zones.of(name, signal)).zone.name);
      if (seen.size === 0) await call("DescribeDomainList", { Limit: 1 }, "check the API key", signal);
      return `DNSPod accepted the API key${seen.size ? `; domains: ${[...seen].join(", ")}` : ""}`;
    },
  });
}
