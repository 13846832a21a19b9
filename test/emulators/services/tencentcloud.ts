/**
 * DNSPod through Tencent Cloud API 3.0, version 2021-03-23 (reference: shared/reference/providers.md
 * §34a). Quirks modelled:
 * - every call is POST / with JSON and X-TC-Action; the TC3-HMAC-SHA256 signature is recomputed here
 *   from the request as received (Tencent "Signature v3": canonical request over the signed headers,
 *   values lower-cased, key chain "TC3"+key → date → "dnspod" → "tc3_request"); a timestamp more
 *   than five minutes off is AuthFailure.SignatureExpire;
 * - every reply is HTTP 200 (except the injected faults): an error is Response.Error {Code, Message};
 * - DescribeRecordList pages at 2 (Offset/Limit, RecordCountInfo.TotalCount), filters with
 *   `Subdomain` (lower-case d: `SubDomain` there is UnknownParameter), and answers an empty result
 *   with the error ResourceNotFound.NoDataOfRecord;
 * - CreateRecord/ModifyRecord need `SubDomain` (capital D) and `RecordLine` ("默认" is the default
 *   line); rows on another line (`otherLine`) stand beside the default one; apex "@".
 */
import { createHash, createHmac } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

export const SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3Homing";
export const DEFAULT_LINE = "默认";
/** Row ids that sit on another resolution line ("电信", China Telecom) than the default. */
export const otherLine = new Set<string>();
const PAGE = 2;

const reply = (response: object): EmuReply => ({
  status: 200,
  json: { Response: { ...response, RequestId: "ab4f1426-0001" } },
});
const fail = (Code: string, Message: string, status = 200): EmuReply => ({
  status,
  json: { Response: { Error: { Code, Message }, RequestId: "ab4f1426-0002" } },
});
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text, "utf8").digest();

/** The TC3 signature of the request as received. */
function expected(request: EmuRequest, signed: string[], secret: string, scope: string, timestamp: string) {
  const headers = signed
    .map((name) => `${name}:${(request.headers[name] ?? "").trim().toLowerCase()}\n`)
    .join("");
  const canonical = [request.method, "/", "", headers, signed.join(";"), sha256(request.body)].join("\n");
  const toSign = ["TC3-HMAC-SHA256", timestamp, scope, sha256(canonical)].join("\n");
  const [date = "", service = ""] = scope.split("/");
  return createHmac("sha256", hmac(hmac(hmac(`TC3${secret}`, date), service), "tc3_request"))
    .update(toSign, "utf8")
    .digest("hex");
}

type Body = Record<string, string | number | undefined>;
const view = (zone: StoredZone) => (row: StoredZone["rows"][number]) => ({
  RecordId: Number(row.id),
  Name: ZoneStore.relative(zone, row.name) || "@",
  Type: row.type,
  Value: row.value,
  Line: otherLine.has(row.id) ? "电信" : DEFAULT_LINE,
  LineId: otherLine.has(row.id) ? "10=0" : "0",
  TTL: row.ttl,
  Status: "ENABLE",
});
const noDomain = (name: unknown) =>
  fail("InvalidParameterValue.DomainNotExists", `The domain ${String(name)} is wrong, please check it.`);

function write(body: Body, store: ZoneStore, id?: string): EmuReply {
  const zone = store.zone(String(body.Domain ?? ""));
  if (!zone) return noDomain(body.Domain);
  if ("Subdomain" in body)
    return fail(
      "UnknownParameter",
      "The parameter `Subdomain` is not recognized (did you mean `SubDomain`?).",
    );
  const { SubDomain, RecordType, RecordLine, Value } = body;
  if (SubDomain === undefined || !RecordType || !RecordLine || Value === undefined)
    return fail("MissingParameter", "SubDomain, RecordType, RecordLine and Value are required.");
  if (RecordLine !== DEFAULT_LINE && RecordLine !== "电信")
    return fail("InvalidParameter.RecordLineInvalid", `Invalid record line: ${RecordLine}`);
  const fields = {
    name: ZoneStore.fqdn(zone, String(SubDomain)),
    type: String(RecordType),
    value: String(Value),
  };
  if (id === undefined) {
    const row = store.add(zone, { ...fields, ttl: Number(body.TTL ?? 600) });
    if (RecordLine !== DEFAULT_LINE) otherLine.add(row.id);
    return reply({ RecordId: Number(row.id) });
  }
  const row = zone.rows.find((r) => r.id === id);
  if (!row) return fail("InvalidParameter.RecordIdInvalid", "The record id is wrong.");
  Object.assign(row, fields, body.TTL ? { ttl: Number(body.TTL) } : {});
  return reply({ RecordId: Number(row.id) });
}

const actions: Record<string, (body: Body, store: ZoneStore) => EmuReply> = {
  DescribeDomainList: (_body, store) =>
    reply({ DomainCountInfo: { AllTotal: store.zones.size }, DomainList: [] }),
  DescribeDomain(body, store) {
    const zone = store.zone(String(body.Domain ?? ""));
    return zone
      ? reply({ DomainInfo: { Domain: zone.name, DomainId: Number(zone.id), Grade: "DP_FREE" } })
      : noDomain(body.Domain);
  },
  DescribeRecordList(body, store) {
    const zone = store.zone(String(body.Domain ?? ""));
    if (!zone) return noDomain(body.Domain);
    if ("SubDomain" in body)
      return fail(
        "UnknownParameter",
        "The parameter `SubDomain` is not recognized (did you mean `Subdomain`?).",
      );
    const sub = body.Subdomain === undefined ? undefined : ZoneStore.fqdn(zone, String(body.Subdomain));
    const rows = zone.rows.filter((r) => sub === undefined || r.name === sub);
    const offset = Number(body.Offset ?? 0);
    const page = rows.slice(offset, offset + Math.min(Number(body.Limit ?? 100), PAGE));
    if (rows.length === 0) return fail("ResourceNotFound.NoDataOfRecord", "The record list is empty.");
    return reply({
      RecordCountInfo: { TotalCount: rows.length, ListCount: page.length, SubdomainCount: 1 },
      RecordList: page.map(view(zone)),
    });
  },
  CreateRecord: (body, store) => write(body, store),
  ModifyRecord: (body, store) => write(body, store, String(body.RecordId ?? "")),
  DeleteRecord(body, store) {
    const found = store.find(String(body.RecordId ?? ""));
    if (!found || found.zone.name !== body.Domain)
      return fail("InvalidParameter.RecordIdInvalid", "The record id is wrong.");
    store.delete(found.row.id);
    return reply({});
  },
};

export const tencentcloud: ServiceModule = {
  type: "tencentcloud",
  label: "DNSPod",
  secrets: () => ({ secret_key: canarySecret() }),
  config: (endpoint) => ({ endpoint, secret_id: SECRET_ID }),
  authHint: /secret_id and secret_key/,
  auth(request, secrets) {
    const match =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d\/dnspod\/tc3_request), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        request.headers.authorization ?? "",
      );
    if (!match) return fail("AuthFailure.InvalidAuthorization", "The Authorization header is malformed.");
    const [, secretId, scope = "", signedList = "", signature] = match;
    if (secretId !== SECRET_ID)
      return fail(
        "AuthFailure.SecretIdNotFound",
        "The SecretId is not found, please ensure that your SecretId is correct.",
      );
    const timestamp = request.headers["x-tc-timestamp"] ?? "";
    if (!(Math.abs(Number(timestamp) * 1000 - Date.now()) < 300_000))
      return fail("AuthFailure.SignatureExpire", "Signature expired.");
    if (!scope.startsWith(new Date(Number(timestamp) * 1000).toISOString().slice(0, 10)))
      return fail("AuthFailure.SignatureFailure", "The credential date is not the timestamp's UTC date.");
    const signed = signedList.split(";");
    if (!signed.includes("host") || !signed.includes("content-type"))
      return fail("AuthFailure.SignatureFailure", "content-type and host must be signed.");
    if (expected(request, signed, secrets.secret_key ?? "", scope, timestamp) !== signature)
      return fail(
        "AuthFailure.SignatureFailure",
        "The provided credentials could not be validated. Please check your signature is correct.",
      );
    return undefined;
  },
  error: (status, message) =>
    fail(status === 429 ? "RequestLimitExceeded" : "InternalError", message, status),
  lie: () => reply({}),
  mutating: (request) =>
    /^(CreateRecord|ModifyRecord|DeleteRecord)$/.test(request.headers["x-tc-action"] ?? ""),
  routes: [
    {
      method: "POST",
      path: "/",
      handle(request, _params, store) {
        const action = actions[request.headers["x-tc-action"] ?? ""];
        if (!action)
          return fail("InvalidAction", `The action ${request.headers["x-tc-action"]} does not exist.`);
        if (request.headers["x-tc-version"] !== "2021-03-23")
          return fail("NoSuchVersion", "The API version does not exist.");
        if (typeof request.json !== "object" || request.json === null)
          return fail("InvalidParameter", "The body is not a JSON object.");
        return action(request.json as Body, store);
      },
    },
  ],
};
