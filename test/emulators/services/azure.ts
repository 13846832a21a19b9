/**
 * Azure DNS through Azure Resource Manager (reference: shared/reference/providers.md §32): a bearer
 * token from the Entra ID token endpoint (`/{tenant}/oauth2/v2.0/token`, client credentials in the
 * form, errors `{error, error_description}` with AADSTS codes), every ARM call needing
 * `api-version` (400 MissingApiVersionParameter otherwise), zones and record sets paged by an absolute
 * `nextLink` (one zone, two record sets per page here), record sets by relative name (`@` = apex) with
 * capitalised `TTL`/`ARecords`/`AAAARecords`, an etag per set: PUT and DELETE honour `If-Match`
 * (412 PreconditionFailed when stale) and `If-None-Match: *` (412 when the set exists); PUT answers
 * 201 when it created the set, 200 when it replaced it. ARM error envelope `{error: {code, message}}`.
 */
import { createHash } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import type { StoredRow, StoredZone, ZoneStore } from "../kit/store.ts";

const TENANT = "72f988bf-0000-4000-8000-000000000001";
const CLIENT = "0b7c4d2e-0000-4000-8000-000000000002";
const SUB = "6b1f0e55-0000-4000-8000-000000000003";
const GROUP = "home-dns";
const ZONES = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.Network/dnsZones`;

const fail = (status: number, code: string, message: string): EmuReply => ({
  status,
  json: { error: { code, message } },
});
const aadFail = (status: number, error: string, description: string): EmuReply => ({
  status,
  json: { error, error_description: description, error_codes: [7000215] },
});
const tokenFor = (secret: string) =>
  `eyJ0eXAi.${createHash("sha256").update(secret).digest("hex").slice(0, 40)}`;
const etag = (rows: readonly StoredRow[]) =>
  createHash("sha256")
    .update(JSON.stringify(rows.map((r) => [r.value, r.ttl]).sort()))
    .digest("hex")
    .slice(0, 36);
const zoneOf = (store: ZoneStore, name = "") => store.zones.get(name.toLowerCase());
const relative = (zone: StoredZone, name: string) =>
  name === zone.name ? "@" : name.slice(0, -(zone.name.length + 1));
const fqdn = (zone: StoredZone, label: string) =>
  label === "@" ? zone.name : `${label.toLowerCase()}.${zone.name}`;

function recordSet(zone: StoredZone, name: string, type: string, rows: readonly StoredRow[]) {
  const rel = relative(zone, name);
  const properties: Record<string, unknown> = {
    metadata: {},
    fqdn: `${name}.`,
    TTL: rows[0]?.ttl ?? 3600,
    provisioningState: "Succeeded",
  };
  if (type === "A") properties.ARecords = rows.map((r) => ({ ipv4Address: r.value }));
  else if (type === "AAAA") properties.AAAARecords = rows.map((r) => ({ ipv6Address: r.value }));
  else if (type === "TXT") properties.TXTRecords = rows.map((r) => ({ value: [r.value] }));
  else if (type === "MX")
    properties.MXRecords = rows.map((r) => ({ preference: 10, exchange: r.value.split(" ")[1] }));
  return {
    id: `${ZONES}/${zone.name}/${type}/${rel}`,
    name: rel,
    type: `Microsoft.Network/dnszones/${type}`,
    etag: etag(rows),
    properties,
  };
}

/** One page of `items` (`size` a page) by `$skipToken`, with an absolute `nextLink`. */
function paged(request: EmuRequest, items: readonly unknown[], size: number): EmuReply {
  const from = Number(request.query.get("$skipToken") ?? 0);
  const link = new URL(`http://${request.headers.host}${request.path}`);
  link.searchParams.set("api-version", "2018-05-01");
  link.searchParams.set("$skipToken", String(from + size));
  return {
    status: 200,
    json: {
      value: items.slice(from, from + size),
      ...(from + size < items.length ? { nextLink: link.href } : {}),
    },
  };
}

/** If-Match / If-None-Match against the set as it is now. */
function precondition(request: EmuRequest, rows: readonly StoredRow[]): EmuReply | undefined {
  const ifMatch = request.headers["if-match"];
  if (request.headers["if-none-match"] === "*" && rows.length > 0)
    return fail(412, "PreconditionFailed", "The Record set already exists.");
  if (ifMatch && ifMatch !== etag(rows))
    return fail(
      412,
      "PreconditionFailed",
      "The etag provided does not match the current etag of the Record set.",
    );
  return undefined;
}

export const azure: ServiceModule = {
  type: "azure",
  label: "Azure DNS",
  secrets: () => ({ client_secret: `${canarySecret()}~Q8~${canarySecret()}` }),
  config: (endpoint) => ({
    endpoint,
    authority: endpoint,
    tenant_id: TENANT,
    client_id: CLIENT,
    subscription_id: SUB,
    resource_group: GROUP,
  }),
  authHint: /client_secret/,
  auth(request, secrets) {
    if (request.path.endsWith("/oauth2/v2.0/token")) {
      if (request.form.get("grant_type") !== "client_credentials")
        return aadFail(400, "unsupported_grant_type", "AADSTS70003");
      if (request.form.get("client_id") !== CLIENT)
        return aadFail(
          400,
          "unauthorized_client",
          `AADSTS700016: Application with identifier '${request.form.get("client_id")}' was not found in the directory.`,
        );
      if (request.form.get("client_secret") !== secrets.client_secret)
        return aadFail(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
      return undefined;
    }
    if (request.headers.authorization !== `Bearer ${tokenFor(secrets.client_secret ?? "")}`)
      return fail(401, "InvalidAuthenticationToken", "The access token is invalid.");
    if (request.query.get("api-version") !== "2018-05-01")
      return fail(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    return undefined;
  },
  error: (status, message) =>
    fail(status, status === 429 ? "TooManyRequests" : "InternalServerError", message),
  lie: () => ({ status: 200, json: { properties: { provisioningState: "Succeeded" } } }),
  mutating: (request) => request.method === "PUT" || request.method === "DELETE",
  routes: [
    {
      method: "POST",
      path: "/:tenant/oauth2/v2.0/token",
      handle: (request, { tenant }) =>
        tenant !== TENANT
          ? aadFail(400, "invalid_request", `AADSTS90002: Tenant '${tenant}' not found.`)
          : {
              status: 200,
              json: {
                token_type: "Bearer",
                expires_in: 3599,
                ext_expires_in: 3599,
                access_token: tokenFor(request.form.get("client_secret") ?? ""),
              },
            },
    },
    {
      method: "GET",
      path: `${ZONES}`,
      handle: (request, _params, store) =>
        paged(
          request,
          [...store.zones.values()].map((z) => ({
            id: `${ZONES}/${z.name}`,
            name: z.name,
            type: "Microsoft.Network/dnszones",
            properties: { zoneType: "Public" },
          })),
          1,
        ),
    },
    {
      method: "GET",
      path: `${ZONES}/:zone/recordsets`,
      handle(request, { zone: name }, store) {
        const zone = zoneOf(store, name);
        if (!zone)
          return fail(
            404,
            "ResourceNotFound",
            `The Resource 'Microsoft.Network/dnszones/${name}' under resource group '${GROUP}' was not found.`,
          );
        const groups = new Map<string, StoredRow[]>();
        for (const row of zone.rows)
          groups.set(`${row.name} ${row.type}`, [...(groups.get(`${row.name} ${row.type}`) ?? []), row]);
        const sets = [...groups.values()].map((rows) =>
          recordSet(zone, rows[0]?.name ?? "", rows[0]?.type ?? "", rows),
        );
        return paged(request, sets, 2);
      },
    },
    {
      method: "PUT",
      path: `${ZONES}/:zone/:type/:name`,
      handle(request, { zone: zoneName, type = "", name = "" }, store) {
        const zone = zoneOf(store, zoneName);
        if (!zone)
          return fail(
            404,
            "ResourceNotFound",
            `The Resource 'Microsoft.Network/dnszones/${zoneName}' was not found.`,
          );
        const fq = fqdn(zone, name);
        const before = store.rows(fq, type);
        const refused = precondition(request, before);
        if (refused) return refused;
        const { properties = {} } = (request.json ?? {}) as {
          properties?: {
            TTL?: number;
            ARecords?: Array<{ ipv4Address: string }>;
            AAAARecords?: Array<{ ipv6Address: string }>;
          };
        };
        const values =
          type === "A"
            ? (properties.ARecords ?? []).map((r) => r.ipv4Address)
            : (properties.AAAARecords ?? []).map((r) => r.ipv6Address);
        store.setRRset(zone, fq, type, values, properties.TTL ?? 3600);
        for (const row of store.rows(fq, type)) row.ttl = properties.TTL ?? 3600;
        return {
          status: before.length > 0 ? 200 : 201,
          json: recordSet(zone, fq, type, store.rows(fq, type)),
        };
      },
    },
    {
      method: "DELETE",
      path: `${ZONES}/:zone/:type/:name`,
      handle(request, { zone: zoneName, type = "", name = "" }, store) {
        const zone = zoneOf(store, zoneName);
        if (!zone)
          return fail(
            404,
            "ResourceNotFound",
            `The Resource 'Microsoft.Network/dnszones/${zoneName}' was not found.`,
          );
        const fq = fqdn(zone, name);
        const refused = precondition(request, store.rows(fq, type));
        if (refused) return refused;
        store.setRRset(zone, fq, type, []);
        return { status: 200, text: "" };
      },
    },
  ],
};
