/**
 * Google Cloud DNS API v1 (reference: shared/reference/providers.md §23): a service account's RS256
 * JWT exchanged at the token endpoint (here `/token` below the base, which homing's `token_endpoint`
 * points at) for a bearer token; managed zones addressed by their own name ("example-com"), not
 * their DNS name, and listed with `pageToken`/`nextPageToken` (one zone per page here, with a private
 * zone of the same DNS name that homing must skip); record sets listed two per page; absolute names
 * with a trailing dot; POST of an existing set → 409 alreadyExists, PATCH or DELETE of a missing one
 * → 404 notFound; errors in Google's envelope `{error: {code, message, errors: [{reason}]}}`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { canarySecret } from "../../support/update-url-world.ts";
import type { EmuReply, EmuRequest, ServiceModule } from "../kit/emulator.ts";
import type { StoredZone, ZoneStore } from "../kit/store.ts";

const PROJECT = "homing-test";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const REASONS: Record<number, string> = {
  401: "authError",
  403: "forbidden",
  404: "notFound",
  409: "alreadyExists",
  429: "rateLimitExceeded",
};
const fail = (status: number, message: string): EmuReply => ({
  status,
  json: {
    error: {
      code: status,
      message,
      errors: [{ domain: "global", reason: REASONS[status] ?? "backendError", message }],
    },
  },
});
const oauthFail = (description: string): EmuReply => ({
  status: 400,
  json: { error: "invalid_grant", error_description: description },
});
/** The token issued to a service account (by its email, which the assertion names). */
const accessToken = (email: string) =>
  `ya29.${createHash("sha256").update(email).digest("hex").slice(0, 32)}`;
function emailOf(secrets: Record<string, string>): string | undefined {
  try {
    return (JSON.parse(secrets.service_account ?? "") as { client_email?: string }).client_email;
  } catch {
    return undefined;
  }
}
const issuer = (request: EmuRequest) =>
  (
    JSON.parse(
      Buffer.from((request.form.get("assertion") ?? "").split(".")[1] ?? "", "base64url").toString(),
    ) as { iss: string }
  ).iss;
const managedName = (zone: StoredZone) => zone.name.replace(/\./g, "-");
const zoneOf = (store: ZoneStore, managed = "") =>
  [...store.zones.values()].find((zone) => managedName(zone) === managed);
const page = (request: EmuRequest, size: number) => Number(request.query.get("pageToken") ?? 0) * size;

/** The rrsets of a zone: rows grouped by name and type. */
function rrsets(zone: StoredZone) {
  const sets = new Map<
    string,
    { kind: string; name: string; type: string; ttl: number; rrdatas: string[] }
  >();
  for (const row of zone.rows) {
    const key = `${row.name} ${row.type}`;
    const set = sets.get(key) ?? {
      kind: "dns#resourceRecordSet",
      name: `${row.name}.`,
      type: row.type,
      ttl: row.ttl,
      rrdatas: [],
    };
    set.rrdatas.push(row.value);
    sets.set(key, set);
  }
  return [...sets.values()];
}

/** Checks a JWT-bearer grant: the assertion signed by the key of `secrets.service_account`. */
function checkAssertion(request: EmuRequest, secrets: Record<string, string>): EmuReply | undefined {
  if (request.form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
    return oauthFail("Invalid grant_type");
  const [header = "", claims = "", signature = ""] = (request.form.get("assertion") ?? "").split(".");
  try {
    const key = JSON.parse(secrets.service_account ?? "") as { client_email: string; private_key: string };
    const publicKey = createPublicKey(createPrivateKey(key.private_key));
    if (!verify("sha256", Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, "base64url")))
      return oauthFail("Invalid JWT Signature.");
    const body = JSON.parse(Buffer.from(claims, "base64url").toString()) as Record<string, unknown>;
    if (body.iss !== key.client_email) return oauthFail("Invalid issuer");
    if (typeof body.exp !== "number" || body.exp * 1000 < Date.now()) return oauthFail("Token has expired");
    return undefined;
  } catch {
    return oauthFail("Invalid JWT Signature.");
  }
}

function setFrom(request: EmuRequest, zone: StoredZone, store: ZoneStore): EmuReply {
  const {
    name = "",
    type = "",
    ttl = 300,
    rrdatas = [],
  } = (request.json ?? {}) as { name?: string; type?: string; ttl?: number; rrdatas?: string[] };
  store.setRRset(zone, name.replace(/\.$/, ""), type, rrdatas, ttl);
  return { status: 200, json: { kind: "dns#resourceRecordSet", name, type, ttl, rrdatas } };
}

export const gcloud: ServiceModule = {
  type: "gcloud",
  label: "Google Cloud DNS",
  // No "type" or "token_uri" in the key: any 8 characters of a secret in homing's output count as a
  // leak, and homing's messages name the service_account key and print URLs.
  secrets: () => ({
    service_account: JSON.stringify({
      private_key_id: canarySecret(),
      private_key: PEM,
      client_email: `${canarySecret()}@h.iam.gserviceaccount.com`,
    }),
  }),
  config: (endpoint) => ({ endpoint, project: PROJECT, token_endpoint: `${endpoint}token` }),
  base: "/dns/v1",
  authHint: /service_account/,
  auth(request, secrets) {
    if (request.path.endsWith("/token")) return checkAssertion(request, secrets);
    const email = emailOf(secrets);
    if (email && request.headers.authorization === `Bearer ${accessToken(email)}`) return undefined;
    return fail(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.");
  },
  error: (status, message) => fail(status, message),
  lie: () => ({ status: 200, json: { kind: "dns#resourceRecordSet" } }),
  mutating: (request) => request.method !== "GET" && request.path.includes("/rrsets"),
  routes: [
    {
      method: "POST",
      path: "/token",
      handle: (request) => ({
        status: 200,
        json: { access_token: accessToken(issuer(request)), expires_in: 3599, token_type: "Bearer" },
      }),
    },
    {
      method: "GET",
      path: "/projects/:project/managedZones",
      handle(request, { project }, store) {
        if (project !== PROJECT) return fail(404, `The requested project was not found.`);
        const all = [
          { name: "example-com-private", dnsName: "example.com.", visibility: "private" },
          ...[...store.zones.values()].map((zone) => ({
            name: managedName(zone),
            dnsName: `${zone.name}.`,
            visibility: "public",
          })),
        ];
        const from = page(request, 1);
        const next = from + 1 < all.length ? { nextPageToken: String(from + 1) } : {};
        return { status: 200, json: { managedZones: all.slice(from, from + 1), ...next } };
      },
    },
    {
      method: "GET",
      path: "/projects/:project/managedZones/:zone/rrsets",
      handle(request, { zone: managed }, store) {
        const zone = zoneOf(store, managed);
        if (!zone)
          return fail(404, `The 'parameters.managedZone' resource named '${managed}' does not exist.`);
        const all = rrsets(zone);
        const from = page(request, 2);
        const next = from + 2 < all.length ? { nextPageToken: String(from / 2 + 1) } : {};
        return { status: 200, json: { rrsets: all.slice(from, from + 2), ...next } };
      },
    },
    {
      method: "POST",
      path: "/projects/:project/managedZones/:zone/rrsets",
      handle(request, { zone: managed }, store) {
        const zone = zoneOf(store, managed);
        if (!zone)
          return fail(404, `The 'parameters.managedZone' resource named '${managed}' does not exist.`);
        const { name = "", type = "" } = (request.json ?? {}) as { name?: string; type?: string };
        if (store.rows(name, type).length > 0)
          return fail(409, `The resource 'entity.rrset' named '${name} (${type})' already exists`);
        return setFrom(request, zone, store);
      },
    },
    {
      method: "PATCH",
      path: "/projects/:project/managedZones/:zone/rrsets/:name/:type",
      handle(request, { zone: managed, name = "", type = "" }, store) {
        const zone = zoneOf(store, managed);
        if (!zone || store.rows(name, type).length === 0)
          return fail(404, `The 'entity.rrset' resource named '${name} (${type})' does not exist.`);
        return setFrom(request, zone, store);
      },
    },
    {
      method: "DELETE",
      path: "/projects/:project/managedZones/:zone/rrsets/:name/:type",
      handle(_request, { zone: managed, name = "", type = "" }, store) {
        const zone = zoneOf(store, managed);
        if (!zone || store.rows(name, type).length === 0)
          return fail(404, `The 'entity.rrset' resource named '${name} (${type})' does not exist.`);
        store.setRRset(zone, name.replace(/\.$/, ""), type, []);
        return { status: 200, json: {} };
      },
    },
  ],
};
