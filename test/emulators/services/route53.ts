/**
 * AWS Route 53, API 2013-04-01 (reference: shared/reference/providers.md §9). Quirks modelled:
 * - SigV4 checked by recomputing it from the request as received (canonical request, string to sign,
 *   HMAC chain, written here from the AWS spec); a session token must be sent and signed;
 * - XML everywhere; errors as <ErrorResponse>, a refused change batch as <InvalidChangeBatch>;
 * - ListHostedZonesByName lists from `dnsname` on in reversed-label order, so the first zone may be
 *   another one, and every public zone has a private twin of the same name listed first
 *   (split-horizon), which a client must skip;
 * - ListResourceRecordSets lists from name/type on, two sets a page (IsTruncated, NextRecordName,
 *   NextRecordType); TXT values quoted; names with a trailing dot;
 * - change batches are all-or-nothing: UPSERT needs values, CREATE fails on an existing set, DELETE
 *   must repeat the set exactly, and an A/AAAA beside a CNAME is an InvalidChangeBatch;
 * - alias sets (a stored value "ALIAS <target>") list an AliasTarget instead of records.
 */
import { createHash, createHmac } from "node:crypto";
import { childrenNamed, escapeXml, parseXml, textAt } from "../../../src/providers/kit/xml.ts";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import type { StoredZone, ZoneStore } from "../kit/store.ts";

/** Names whose changes Route 53 refuses with InvalidChangeBatch (a test sets them). */
export const refusedNames = new Set<string>();

export const ACCESS_KEY_ID = "AKIDEXAMPLEHOMING";
const NS = "https://route53.amazonaws.com/doc/2013-04-01/";
const PAGE = 2;

const xml = (status: number, body: string): EmuReply => ({
  status,
  text: `<?xml version="1.0"?>\n${body}`,
  headers: { "content-type": "text/xml" },
});
const CODES: Record<number, string> = {
  400: "InvalidInput",
  403: "AccessDenied",
  404: "NoSuchHostedZone",
  429: "Throttling",
};
const fail = (status: number, message: string, code = CODES[status] ?? "ServiceUnavailable"): EmuReply =>
  xml(
    status,
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
  );
const badBatch = (message: string): EmuReply =>
  xml(
    400,
    `<InvalidChangeBatch xmlns="${NS}"><Messages><Message>${escapeXml(message)}</Message></Messages><RequestId>r-2</RequestId></InvalidChangeBatch>`,
  );
const changeInfo = () =>
  xml(
    200,
    `<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
  );

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text, "utf8").digest();
const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The SigV4 signature of the request as received (AWS "Create a signed AWS API request"). */
function expectedSignature(
  request: EmuRequest,
  signed: string[],
  secret: string,
  scope: string,
  date: string,
) {
  const [path = "/", query = ""] = (request.target ?? "/").split("?");
  const canonicalUri = path
    .split("/")
    .map((s) => encode(decodeURIComponent(s)))
    .join("/");
  const canonicalQuery = query
    .split("&")
    .filter(Boolean)
    .map((pair) => pair.split("=").map((part) => encode(decodeURIComponent(part ?? ""))))
    .map(([name = "", value = ""]) => `${name}=${value}`)
    .sort()
    .join("&");
  const headers = signed
    .map((name) => `${name}:${(request.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const canonical = [
    request.method,
    canonicalUri,
    canonicalQuery,
    headers,
    signed.join(";"),
    sha256(request.body),
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha256(canonical)].join("\n");
  const [day = "", region = "", service = ""] = scope.split("/");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), "aws4_request");
  return createHmac("sha256", key).update(toSign, "utf8").digest("hex");
}

/** A set's TTL and records; a stored value "ALIAS <target>" is an alias set (AliasTarget, no TTL). */
function setBody(ttl: number, values: readonly string[]): string {
  const alias = values[0]?.startsWith("ALIAS ") ? values[0].slice(6) : undefined;
  if (alias)
    return `<AliasTarget><HostedZoneId>Z2FDTNDATAQYW2</HostedZoneId><DNSName>${escapeXml(alias)}</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>`;
  const records = values.map((v) => `<ResourceRecord><Value>${escapeXml(v)}</Value></ResourceRecord>`);
  return `<TTL>${ttl}</TTL><ResourceRecords>${records.join("")}</ResourceRecords>`;
}

function zoneById(store: ZoneStore, id: string): StoredZone | undefined {
  return id.startsWith("Z") ? store.zone(id.slice(1)) : undefined;
}
const reversed = (name: string) => name.split(".").reverse().join(".");
const dotted = (name: string) => `${name}.`;

/** The zone's record sets in Route 53's order: reversed labels, then type. */
function setsOf(zone: StoredZone) {
  const sets = new Map<string, { name: string; type: string; ttl: number; values: string[] }>();
  for (const row of zone.rows) {
    const set = sets.get(`${row.name} ${row.type}`) ?? {
      name: row.name,
      type: row.type,
      ttl: row.ttl,
      values: [],
    };
    set.values.push(row.type === "TXT" ? `"${row.value}"` : row.value);
    sets.set(`${row.name} ${row.type}`, set);
  }
  const key = (s: { name: string; type: string }) => `${reversed(s.name)} ${s.type}`;
  return [...sets.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export const route53: ServiceModule = {
  type: "route53",
  label: "Route 53",
  secrets: () => ({ secret_access_key: canarySecret(), session_token: `IQoJb3JpZ2luX2Vj${canarySecret()}` }),
  config: (endpoint) => ({ endpoint, access_key_id: ACCESS_KEY_ID }),
  base: "/2013-04-01",
  authHint: /secret_access_key/,
  auth(request, secrets) {
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8}\/[^/]+\/[^/]+\/aws4_request), ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
        request.headers.authorization ?? "",
      );
    if (!match)
      return fail(
        403,
        "Authorization header requires Credential, SignedHeaders and Signature.",
        "IncompleteSignature",
      );
    const [, keyId, scope = "", signedList = "", signature] = match;
    if (keyId !== ACCESS_KEY_ID)
      return fail(403, "The security token included in the request is invalid.", "InvalidClientTokenId");
    if (!/\/us-east-1\/route53\/aws4_request$/.test(scope))
      return fail(
        403,
        `Credential should be scoped to a valid region and service: ${scope}`,
        "SignatureDoesNotMatch",
      );
    const date = request.headers["x-amz-date"] ?? "";
    const at = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
    if (!(Math.abs(Date.now() - at) < 5 * 60_000))
      return fail(403, "Signature expired or not yet valid.", "SignatureDoesNotMatch");
    const signed = signedList.split(";");
    if (!signed.includes("host") || !signed.includes("x-amz-date"))
      return fail(403, "host and x-amz-date must be signed.", "SignatureDoesNotMatch");
    if (expectedSignature(request, signed, secrets.secret_access_key ?? "", scope, date) !== signature)
      return fail(
        403,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        "SignatureDoesNotMatch",
      );
    if (
      secrets.session_token &&
      (request.headers["x-amz-security-token"] !== secrets.session_token ||
        !signed.includes("x-amz-security-token"))
    )
      return fail(403, "The security token included in the request is invalid.", "InvalidClientTokenId");
    return undefined;
  },
  error: (status, message) => fail(status, message),
  lie: () => changeInfo(),
  malform(reply) {
    const text = reply.text ?? "";
    const broken = /<Type>/.test(text)
      ? text.replace(/<Type>[^<]*<\/Type>/, "")
      : text.replace(/<Name>[^<]*<\/Name>/, "");
    return { ...reply, text: broken };
  },
  mutating: (request) => request.method === "POST",
  routes: [
    {
      method: "GET",
      path: "/hostedzonesbyname",
      handle(request, _params, store) {
        const from = reversed((request.query.get("dnsname") ?? "").toLowerCase().replace(/\.$/, ""));
        const zones = [...store.zones.values()]
          .filter((z) => reversed(z.name) >= from)
          .sort((a, b) => (reversed(a.name) < reversed(b.name) ? -1 : 1));
        const max = Number(request.query.get("maxitems") ?? 100);
        const listed = zones.flatMap((z) => [
          { z, priv: true },
          { z, priv: false },
        ]);
        const page = listed.slice(0, max);
        const items = page.map(
          ({ z, priv }) =>
            `<HostedZone><Id>/hostedzone/${priv ? "P" : "Z"}${z.id}</Id><Name>${dotted(z.name)}</Name><CallerReference>ref-${z.id}</CallerReference><Config><PrivateZone>${priv}</PrivateZone></Config><ResourceRecordSetCount>${z.rows.length}</ResourceRecordSetCount></HostedZone>`,
        );
        return xml(
          200,
          `<ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>${items.join("")}</HostedZones><IsTruncated>${listed.length > max}</IsTruncated><MaxItems>${max}</MaxItems></ListHostedZonesByNameResponse>`,
        );
      },
    },
    {
      method: "GET",
      path: "/hostedzone/:id/rrset",
      handle(request, { id = "" }, store) {
        const zone = zoneById(store, id);
        if (!zone) return fail(404, `No hosted zone found with ID: ${id}`);
        const name = reversed((request.query.get("name") ?? zone.name).toLowerCase().replace(/\.$/, ""));
        const type = request.query.get("type");
        const sets = setsOf(zone).filter(
          (s) => reversed(s.name) > name || (reversed(s.name) === name && (!type || s.type >= type)),
        );
        const max = Math.min(Number(request.query.get("maxitems") ?? 300), PAGE);
        const items = sets
          .slice(0, max)
          .map(
            (s) =>
              `<ResourceRecordSet><Name>${dotted(s.name)}</Name><Type>${s.type}</Type>${setBody(s.ttl, s.values)}</ResourceRecordSet>`,
          );
        const next = sets[max];
        const more = next
          ? `<IsTruncated>true</IsTruncated><NextRecordName>${dotted(next.name)}</NextRecordName><NextRecordType>${next.type}</NextRecordType>`
          : "<IsTruncated>false</IsTruncated>";
        return xml(
          200,
          `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${items.join("")}</ResourceRecordSets>${more}<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`,
        );
      },
    },
    {
      method: "POST",
      path: "/hostedzone/:id/rrset",
      handle(request, { id = "" }, store) {
        const zone = zoneById(store, id);
        if (!zone) return fail(404, `No hosted zone found with ID: ${id}`);
        let root: ReturnType<typeof parseXml>;
        try {
          root = parseXml(request.body);
        } catch (error) {
          return fail(400, `Could not parse the request: ${(error as Error).message}`);
        }
        const changes = childrenNamed(
          childrenNamed(childrenNamed(root, "ChangeBatch")[0] ?? root, "Changes")[0] ?? root,
          "Change",
        );
        if (root.name !== "ChangeResourceRecordSetsRequest" || changes.length === 0)
          return fail(400, "Invalid XML: expected a ChangeBatch with Changes");
        const plans: Array<() => void> = [];
        for (const change of changes) {
          const set = childrenNamed(change, "ResourceRecordSet")[0];
          const action = textAt(change, "Action");
          const name = (set && textAt(set, "Name"))?.toLowerCase().replace(/\.$/, "") ?? "";
          const type = (set && textAt(set, "Type")) ?? "";
          const ttl = Number((set && textAt(set, "TTL")) ?? Number.NaN);
          const values = set
            ? childrenNamed(childrenNamed(set, "ResourceRecords")[0] ?? set, "ResourceRecord").map(
                (r) => textAt(r, "Value") ?? "",
              )
            : [];
          const label = `[name='${name}.', type='${type}']`;
          if (!(name === zone.name || name.endsWith(`.${zone.name}`)))
            return badBatch(`RRSet with DNS name ${name}. is not permitted in zone ${zone.name}.`);
          if (!Number.isInteger(ttl) || values.length === 0)
            return fail(400, `Invalid request: ${label} needs a TTL and at least one ResourceRecord`);
          const existing = zone.rows.filter((r) => r.name === name && r.type === type);
          if (refusedNames.has(name))
            return badBatch(`RRSet with DNS name ${name}. is not permitted in zone ${zone.name}.`);
          if (type !== "CNAME" && zone.rows.some((r) => r.name === name && r.type === "CNAME"))
            return badBatch(
              `RRSet of type ${type} with DNS name ${name}. is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${zone.name}.`,
            );
          if (action === "CREATE" && existing.length > 0)
            return badBatch(`Tried to create resource record set ${label} but it already exists`);
          if (action === "DELETE") {
            if (existing.length === 0)
              return badBatch(`Tried to delete resource record set ${label} but it was not found`);
            const same =
              existing.every((r) => r.ttl === ttl) &&
              [...values].sort().join() ===
                existing
                  .map((r) => r.value)
                  .sort()
                  .join();
            if (!same)
              return badBatch(
                `Tried to delete resource record set ${label} but the values provided do not match the current values`,
              );
          } else if (action !== "CREATE" && action !== "UPSERT")
            return fail(400, `Invalid Action: ${action}`);
          plans.push(() => {
            store.setRRset(zone, name, type, action === "DELETE" ? [] : values, ttl);
            for (const row of zone.rows) if (row.name === name && row.type === type) row.ttl = ttl;
          });
        }
        for (const plan of plans) plan();
        return changeInfo();
      },
    },
    {
      method: "GET",
      path: "/change/:id",
      handle: (_request, { id = "" }) =>
        xml(
          200,
          `<GetChangeResponse xmlns="${NS}"><ChangeInfo><Id>/change/${id}</Id><Status>INSYNC</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></GetChangeResponse>`,
        ),
    },
  ],
};
