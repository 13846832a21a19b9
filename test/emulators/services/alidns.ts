/**
 * Alibaba Cloud DNS, Alidns 2015-01-09 RPC API (reference: shared/reference/providers.md §33).
 * Quirks modelled:
 * - every call is GET / (or POST with a form) with `Action` and the common parameters; the RPC v1
 *   signature is recomputed here from the parameters as received (Alibaba "Request syntax and
 *   signature method V2 for RPC APIs": sorted, RFC 3986 encoded, HMAC-SHA1 keyed with secret + "&");
 *   a nonce may be used once, a timestamp must be within 15 minutes;
 * - errors are {RequestId, HostId, Code, Message, Recommend}; a bad signature is HTTP 400;
 * - DescribeDomainRecords pages at 2 rows (PageNumber/PageSize, TotalCount); RR "@" is the apex;
 * - UpdateDomainRecord and AddDomainRecord refuse a value the name already has (DomainRecordDuplicate);
 * - a domain outside the account is InvalidDomainName.NoExist; TTL below 600 is refused (free edition);
 * - rows on another resolution line (`otherLine`, "telecom") stand beside the default line's.
 */
import { createHmac } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, Route, ServiceModule } from "../kit/emulator.ts";
import { type StoredZone, ZoneStore } from "../kit/store.ts";

export const ACCESS_KEY_ID = "LTAI5tHomingExample";
const PAGE = 2;
/** Row ids on another resolution line ("telecom") than "default". */
export const otherLine = new Set<string>();
const nonces = new Set<string>();

const ok = (json: object): EmuReply => ({ status: 200, json: { RequestId: "6A5A6C5B-0001", ...json } });
const fail = (status: number, Code: string, Message: string): EmuReply => ({
  status,
  json: {
    RequestId: "6A5A6C5B-0002",
    HostId: "alidns.aliyuncs.com",
    Code,
    Message,
    Recommend: "https://api.aliyun.com/troubleshoot",
  },
});
const CODES: Record<number, string> = {
  400: "InvalidParameter",
  403: "Forbidden.RAM",
  404: "InvalidAction.NotFound",
  429: "Throttling.User",
};

/** Every parameter as received: the query, and for a POST the form too. */
function params(request: EmuRequest): Map<string, string> {
  const all = new Map(request.query);
  if (request.method === "POST") for (const [name, value] of request.form) all.set(name, value);
  return all;
}
const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const view = (zone: StoredZone) => (row: StoredZone["rows"][number]) => ({
  RR: ZoneStore.relative(zone, row.name) || "@",
  Type: row.type,
  Value: row.value,
  RecordId: row.id,
  TTL: row.ttl,
  Line: otherLine.has(row.id) ? "telecom" : "default",
  Status: "ENABLE",
  Locked: false,
  DomainName: zone.name,
});

type Action = (p: Map<string, string>, store: ZoneStore) => EmuReply;
const noDomain = (name: string) =>
  fail(400, "InvalidDomainName.NoExist", `The specified domain name does not exist: ${name}`);
const noRecord = () => fail(400, "DomainRecordNotBelongToUser", "The DNS record does not belong to you.");
const duplicate = () => fail(400, "DomainRecordDuplicate", "The DNS record already exists.");
const badTtl = (p: Map<string, string>) => p.has("TTL") && Number(p.get("TTL")) < 600;

const actions: Record<string, Action> = {
  DescribeDomains: (_p, store) =>
    ok({ TotalCount: store.zones.size, PageNumber: 1, PageSize: 1, Domains: { Domain: [] } }),
  DescribeDomainInfo(p, store) {
    const zone = store.zone(p.get("DomainName") ?? "");
    return zone
      ? ok({ DomainName: zone.name, DomainId: `d-${zone.id}` })
      : noDomain(p.get("DomainName") ?? "");
  },
  DescribeDomainRecords(p, store) {
    const zone = store.zone(p.get("DomainName") ?? "");
    if (!zone) return noDomain(p.get("DomainName") ?? "");
    const size = Math.min(Number(p.get("PageSize") ?? 20), PAGE);
    const page = Number(p.get("PageNumber") ?? 1);
    const rows = zone.rows.slice((page - 1) * size, page * size).map(view(zone));
    return ok({
      TotalCount: zone.rows.length,
      PageNumber: page,
      PageSize: size,
      DomainRecords: { Record: rows },
    });
  },
  AddDomainRecord(p, store) {
    const zone = store.zone(p.get("DomainName") ?? "");
    if (!zone) return noDomain(p.get("DomainName") ?? "");
    if (badTtl(p))
      return fail(400, "DomainRecordTTL.Invalid", "The TTL is below your edition's minimum of 600.");
    const name = ZoneStore.fqdn(zone, p.get("RR") ?? "");
    const [type = "", value = ""] = [p.get("Type"), p.get("Value")];
    if (zone.rows.some((r) => r.name === name && r.type === type && r.value === value)) return duplicate();
    const row = store.add(zone, { name, type, value, ttl: Number(p.get("TTL") ?? 600) });
    return ok({ RecordId: row.id });
  },
  UpdateDomainRecord(p, store) {
    const found = store.find(p.get("RecordId") ?? "");
    if (!found) return noRecord();
    if (badTtl(p))
      return fail(400, "DomainRecordTTL.Invalid", "The TTL is below your edition's minimum of 600.");
    const { zone, row } = found;
    const name = ZoneStore.fqdn(zone, p.get("RR") ?? "");
    const [type = "", value = ""] = [p.get("Type"), p.get("Value")];
    if (row.name === name && row.type === type && row.value === value) return duplicate();
    Object.assign(row, { name, type, value, ttl: Number(p.get("TTL") ?? row.ttl) });
    return ok({ RecordId: row.id });
  },
  DeleteDomainRecord: (p, store) =>
    store.delete(p.get("RecordId") ?? "") ? ok({ RecordId: p.get("RecordId") }) : noRecord(),
};

const handle: Route["handle"] = (request, _params, store) => {
  const p = params(request);
  const action = actions[p.get("Action") ?? ""];
  if (!action) return fail(404, "InvalidAction.NotFound", `Specified api is not found: ${p.get("Action")}`);
  if (p.get("Format") !== "JSON" || p.get("Version") !== "2015-01-09")
    return fail(400, "MissingParameter", "Format=JSON and Version=2015-01-09 are expected.");
  return action(p, store);
};

export const alidns: ServiceModule = {
  type: "alidns",
  label: "Alibaba Cloud DNS",
  secrets: () => ({ access_key_secret: canarySecret() }),
  config: (endpoint) => ({ endpoint, access_key_id: ACCESS_KEY_ID }),
  authHint: /access_key_secret/,
  auth(request, secrets) {
    const p = params(request);
    if (p.get("AccessKeyId") !== ACCESS_KEY_ID)
      return fail(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    if (p.get("SignatureMethod") !== "HMAC-SHA1" || p.get("SignatureVersion") !== "1.0")
      return fail(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.");
    if (!(Math.abs(Date.parse(p.get("Timestamp") ?? "") - Date.now()) < 15 * 60_000))
      return fail(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
    const canonical = [...p.keys()]
      .filter((name) => name !== "Signature")
      .sort()
      .map((name) => `${encode(name)}=${encode(p.get(name) ?? "")}`)
      .join("&");
    const toSign = `${request.method}&${encode("/")}&${encode(canonical)}`;
    const signature = createHmac("sha1", `${secrets.access_key_secret}&`)
      .update(toSign, "utf8")
      .digest("base64");
    if (p.get("Signature") !== signature)
      return fail(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
    const nonce = p.get("SignatureNonce") ?? "";
    if (nonces.has(nonce))
      return fail(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    nonces.add(nonce);
    return undefined;
  },
  error: (status, message) => fail(status, CODES[status] ?? "ServiceUnavailable", message),
  lie: () => ok({}),
  mutating: (request) => /^(Add|Update|Delete)DomainRecord$/.test(params(request).get("Action") ?? ""),
  routes: [
    { method: "GET", path: "/", handle },
    { method: "POST", path: "/", handle },
  ],
};
