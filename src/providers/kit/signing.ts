/**
 * Request signing for the DNS APIs that need more than a bearer token, written once on `node:crypto`.
 * Every function here is pure: no I/O, no clock, no randomness. The caller passes the time (and any
 * nonce), so a signature is reproducible and testable against the published test vectors
 * (signing.test.ts names each source).
 *
 * A secret goes in as a plain string (a provider calls `Secret.reveal()` at the moment it builds the
 * request); none of the returned strings contains it: every scheme here only ever puts a keyed hash
 * of the request on the wire.
 */
import { createHash, createHmac, createPrivateKey, type KeyObject, sign } from "node:crypto";

/** A header value as a caller holds it; several values of one name are signed comma-joined, in order. */
export type HeaderValue = string | readonly string[];

/** A request body to hash: text (hashed as UTF-8) or bytes. */
export type Body = string | Uint8Array;

function sha256Hex(data: Body): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(algorithm: "sha1" | "sha256", key: string | Uint8Array, data: string): Buffer {
  return createHmac(algorithm, key).update(data, "utf8").digest();
}

/**
 * RFC 3986 percent-encoding of every byte outside the unreserved set (A-Z a-z 0-9 - _ . ~), with
 * upper-case hex: the encoding AWS SigV4 and Alibaba's RPC signature both ask for. It differs from
 * `encodeURIComponent` in also encoding ! ' ( ) *.
 */
export function rfc3986Encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Percent-decoding only ("+" stays a plus sign), with a clear error on a broken escape. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RangeError(`invalid percent-encoding in URL component ${JSON.stringify(text)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// AWS Signature Version 4
// ---------------------------------------------------------------------------------------------------

export interface AwsV4Request {
  method: string;
  /** The full request URL; the path and query are signed as they will be sent. */
  url: string | URL;
  /**
   * Every header that will be sent and should be signed (names in any case). `host` may be left out:
   * the URL's host is signed then (node:http sends that same Host, default port left out, from the
   * URL). An `authorization` header here is ignored: it is what the signature produces.
   */
  headers?: Readonly<Record<string, HeaderValue>>;
  body?: Body;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (STS): sent and signed as `x-amz-security-token`. */
  sessionToken?: string;
  region: string;
  service: string;
  now: Date;
  /** Also send (and sign) `x-amz-content-sha256`, the payload hash; S3 requires it, most services do not. */
  addContentSha256Header?: boolean;
  /**
   * Collapse empty path segments ("//a//" → "/a/") before signing, as every AWS service except S3
   * does (default true). Dot segments are always resolved: the URL parser already removes them.
   */
  normalizePath?: boolean;
}

/** The headers `signAwsV4` adds to a request, lower-case names. */
export interface AwsV4Headers {
  authorization: string;
  "x-amz-date": string;
  "x-amz-content-sha256"?: string;
  "x-amz-security-token"?: string;
}

/** The intermediate strings of a SigV4 signature, for tests and for diagnosing a SignatureDoesNotMatch. */
export interface AwsV4Signature {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  headers: AwsV4Headers;
}

/** "20150830T123600Z": ISO 8601 basic format, UTC, no fractional seconds. */
function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * The canonical URI: each path segment percent-decoded, then RFC 3986 encoded once ("/" between
 * segments kept), so a path is signed the same whether the caller escaped it or the URL parser did.
 * This is the single encoding of the AWS SigV4 test suite; S3's rule (no normalization) is not needed
 * by any DNS API.
 */
function canonicalUri(pathname: string, normalize: boolean): string {
  let segments = pathname.split("/").map((segment) => rfc3986Encode(percentDecode(segment)));
  if (normalize) {
    const last = segments.length - 1;
    segments = segments.filter((segment, index) => segment !== "" || index === 0 || index === last);
  }
  const path = segments.join("/");
  return path.startsWith("/") ? path : `/${path}`;
}

/**
 * The canonical query string: each name and value percent-decoded then RFC 3986 encoded, the pairs
 * sorted by encoded name then encoded value (repeated names keep all their values), a name without
 * "=" given an empty value.
 */
function canonicalQuery(search: string): string {
  const query = search.startsWith("?") ? search.slice(1) : search;
  if (query === "") return "";
  const pairs = query
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const equals = part.indexOf("=");
      const name = equals === -1 ? part : part.slice(0, equals);
      const value = equals === -1 ? "" : part.slice(equals + 1);
      return [rfc3986Encode(percentDecode(name)), rfc3986Encode(percentDecode(value))] as const;
    });
  pairs.sort(([nameA, valueA], [nameB, valueB]) =>
    nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  return pairs.map(([name, value]) => `${name}=${value}`).join("&");
}

/** A header value as SigV4 signs it: trimmed, every run of whitespace (folded lines too) made one space. */
function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

/**
 * Signs a request with AWS Signature Version 4 (AWS4-HMAC-SHA256), in the Authorization header.
 * Spec: AWS General Reference, "Signature Version 4 signing process" (canonical request, string to
 * sign, derived signing key); checked against the aws-sig-v4-test-suite vectors.
 *
 * Returns the strings of every step along with the headers; `signAwsV4` returns only the headers.
 */
export function signAwsV4Detailed(request: AwsV4Request): AwsV4Signature {
  const url = typeof request.url === "string" ? new URL(request.url) : request.url;
  const date = amzDate(request.now);
  const day = date.slice(0, 8);
  const payloadHash = sha256Hex(request.body ?? "");

  const added: AwsV4Headers = { authorization: "", "x-amz-date": date };
  if (request.addContentSha256Header === true) added["x-amz-content-sha256"] = payloadHash;
  if (request.sessionToken !== undefined) added["x-amz-security-token"] = request.sessionToken;

  const headers = new Map<string, string[]>();
  const addHeader = (name: string, value: HeaderValue): void => {
    const key = name.toLowerCase().trim();
    const values = typeof value === "string" ? [value] : [...value];
    headers.set(key, [...(headers.get(key) ?? []), ...values.map(canonicalHeaderValue)]);
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (name.trim().toLowerCase() !== "authorization") addHeader(name, value);
  }
  if (!headers.has("host")) addHeader("host", url.host);
  for (const [name, value] of Object.entries(added)) {
    if (name !== "authorization" && value !== undefined) {
      headers.delete(name);
      addHeader(name, value);
    }
  }

  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(";");
  const canonicalHeaders = names.map((name) => `${name}:${headers.get(name)!.join(",")}\n`).join("");

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url.pathname, request.normalizePath ?? true),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");

  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date, scope, sha256Hex(canonicalRequest)].join("\n");

  const dateKey = hmac("sha256", `AWS4${request.secretAccessKey}`, day);
  const regionKey = hmac("sha256", dateKey, request.region);
  const serviceKey = hmac("sha256", regionKey, request.service);
  const signingKey = hmac("sha256", serviceKey, "aws4_request");
  const signature = createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex");

  added.authorization =
    `AWS4-HMAC-SHA256 Credential=${request.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { canonicalRequest, stringToSign, signature, headers: added };
}

/**
 * Signs a request with AWS Signature Version 4 (AWS General Reference, "Signature Version 4 signing
 * process"), for Route 53 and any other AWS API. Returns the headers to add to the request:
 * `authorization`, `x-amz-date`, `x-amz-content-sha256` when `addContentSha256Header` asks for it,
 * and `x-amz-security-token` when a session token is given. The request must then be sent with exactly
 * the method, URL, headers and body that were signed.
 */
export function signAwsV4(request: AwsV4Request): AwsV4Headers {
  return signAwsV4Detailed(request).headers;
}

// ---------------------------------------------------------------------------------------------------
// JWS RS256 and Google service-account assertions
// ---------------------------------------------------------------------------------------------------

function base64Url(data: string | Uint8Array): string {
  return (typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data)).toString("base64url");
}

/**
 * A JWS in compact serialization, signed with RS256 (RSASSA-PKCS1-v1_5 with SHA-256): RFC 7515 §3.1 and
 * §5.1, RFC 7518 §3.3. The header and payload are signed exactly as given (their bytes are what the
 * signature covers, so the caller's JSON text is kept, whitespace and all). `privateKey` is a PEM
 * string or a KeyObject (for a JWK: `createPrivateKey({ key: jwk, format: "jwk" })`).
 */
export function signJwsRs256(
  headerJson: string,
  payloadJson: string,
  privateKey: string | KeyObject,
): string {
  const key = typeof privateKey === "string" ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== "rsa") {
    throw new TypeError(`RS256 needs an RSA private key, not ${key.asymmetricKeyType ?? key.type}`);
  }
  const signingInput = `${base64Url(headerJson)}.${base64Url(payloadJson)}`;
  const signature = sign("sha256", Buffer.from(signingInput, "ascii"), key);
  return `${signingInput}.${base64Url(signature)}`;
}

export interface GoogleServiceAccountAssertionOptions {
  /** The service account's `client_email` from its JSON key file. */
  clientEmail: string;
  /** The service account's `private_key` from its JSON key file (PKCS #8 PEM). */
  privateKeyPem: string;
  /** Space-separated OAuth scopes, e.g. "https://www.googleapis.com/auth/ndev.clouddns.readwrite". */
  scope: string;
  /** The token endpoint the assertion is for (its `aud` claim). */
  audience?: string;
  now: Date;
}

/** How long Google accepts an assertion: its maximum, one hour. */
const GOOGLE_ASSERTION_LIFETIME_SECONDS = 3600;

/**
 * The signed JWT a Google service account exchanges for an access token (Google's "Using OAuth 2.0 for
 * Server to Server Applications"; the grant is RFC 7523, `grant_type` =
 * `urn:ietf:params:oauth:grant-type:jwt-bearer`, this string as `assertion`). Header
 * `{"alg":"RS256","typ":"JWT"}`; claims `iss` (the client email), `scope`, `aud`, `iat` (now, whole
 * seconds) and `exp` (`iat` + 3600).
 */
export function googleServiceAccountAssertion(options: GoogleServiceAccountAssertionOptions): string {
  const issuedAt = Math.floor(options.now.getTime() / 1000);
  const header = JSON.stringify({ alg: "RS256", typ: "JWT" });
  const claims = JSON.stringify({
    iss: options.clientEmail,
    scope: options.scope,
    aud: options.audience ?? "https://oauth2.googleapis.com/token",
    iat: issuedAt,
    exp: issuedAt + GOOGLE_ASSERTION_LIFETIME_SECONDS,
  });
  return signJwsRs256(header, claims, options.privateKeyPem);
}

// ---------------------------------------------------------------------------------------------------
// OVH
// ---------------------------------------------------------------------------------------------------

export interface OvhSignatureOptions {
  applicationSecret: string;
  consumerKey: string;
  method: string;
  /** The full URL as sent, query included ("https://eu.api.ovh.com/1.0/domain/zone/…"). */
  url: string;
  /** The body as sent; "" for none. */
  body: string;
  /** Unix seconds, corrected by the offset to OVH's /auth/time; sent as X-Ovh-Timestamp. */
  timestamp: number;
}

/**
 * The `X-Ovh-Signature` header of an authenticated OVH API call (OVH API "First steps", signing
 * requests): "$1$" + hex SHA-1 of application secret, consumer key, method, URL, body and timestamp,
 * joined with "+".
 */
export function ovhSignature(options: OvhSignatureOptions): string {
  const text = [
    options.applicationSecret,
    options.consumerKey,
    options.method.toUpperCase(),
    options.url,
    options.body,
    String(options.timestamp),
  ].join("+");
  return `$1$${createHash("sha1").update(text, "utf8").digest("hex")}`;
}

// ---------------------------------------------------------------------------------------------------
// Alibaba Cloud RPC signature v1
// ---------------------------------------------------------------------------------------------------

export interface AlibabaRpcSignOptions {
  method: string;
  /** Every request parameter, common ones included (AccessKeyId, SignatureNonce, Timestamp…); not Signature. */
  params: Readonly<Record<string, string>>;
  accessKeySecret: string;
}

/**
 * The `Signature` parameter of an Alibaba Cloud RPC-style API call (Alibaba Cloud "Request syntax and
 * signature method V2 for RPC APIs", SignatureMethod HMAC-SHA1, SignatureVersion 1.0): Base64 of
 * HMAC-SHA1, keyed with the secret and "&", over METHOD&%2F&encode(canonical query), where the
 * canonical query is the parameters sorted by name, each name and value RFC 3986 encoded (space %20,
 * * %2A, ~ kept). The value returned is not URL-encoded yet: encode it like any other parameter.
 */
export function alibabaRpcSign(options: AlibabaRpcSignOptions): string {
  const canonical = Object.keys(options.params)
    .filter((name) => name !== "Signature")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${rfc3986Encode(name)}=${rfc3986Encode(options.params[name]!)}`)
    .join("&");
  const stringToSign = `${options.method.toUpperCase()}&${rfc3986Encode("/")}&${rfc3986Encode(canonical)}`;
  return hmac("sha1", `${options.accessKeySecret}&`, stringToSign).toString("base64");
}

// ---------------------------------------------------------------------------------------------------
// Tencent Cloud TC3-HMAC-SHA256
// ---------------------------------------------------------------------------------------------------

export interface TencentTc3Options {
  secretId: string;
  secretKey: string;
  /** The product, the first label of the host: "dnspod" for dnspod.tencentcloudapi.com. */
  service: string;
  host: string;
  /** The X-TC-Action header, e.g. "DescribeRecordList". */
  action: string;
  /** The POST body exactly as sent (JSON). */
  payload: string;
  /** Unix seconds, as sent in X-TC-Timestamp; its UTC date goes in the credential scope. */
  timestamp: number;
  /** The Content-Type exactly as sent, e.g. "application/json; charset=utf-8". */
  contentType: string;
  /**
   * Sign the X-TC-Action header too (default true, as Tencent's current documentation does); false
   * signs only content-type and host, as the first version of the documentation did.
   */
  signAction?: boolean;
}

/**
 * The `Authorization` header of a Tencent Cloud API 3.0 POST request (Tencent Cloud "Signature v3",
 * TC3-HMAC-SHA256): a canonical request (POST, "/", empty query, the signed headers lower-cased,
 * the payload's SHA-256), hashed into a string to sign whose key is derived from "TC3" + secret key,
 * the UTC date, the service and "tc3_request".
 */
export function signTencentTc3(options: TencentTc3Options): string {
  const algorithm = "TC3-HMAC-SHA256";
  const date = new Date(options.timestamp * 1000).toISOString().slice(0, 10);
  const headers: [string, string][] = [
    ["content-type", options.contentType],
    ["host", options.host],
  ];
  if (options.signAction ?? true) headers.push(["x-tc-action", options.action]);
  const canonicalHeaders = headers.map(([name, value]) => `${name}:${value.trim().toLowerCase()}\n`).join("");
  const signedHeaders = headers.map(([name]) => name).join(";");
  const canonicalRequest = [
    "POST",
    "/",
    "",
    canonicalHeaders,
    signedHeaders,
    sha256Hex(options.payload),
  ].join("\n");
  const scope = `${date}/${options.service}/tc3_request`;
  const stringToSign = [algorithm, String(options.timestamp), scope, sha256Hex(canonicalRequest)].join("\n");

  const dateKey = hmac("sha256", `TC3${options.secretKey}`, date);
  const serviceKey = hmac("sha256", dateKey, options.service);
  const signingKey = hmac("sha256", serviceKey, "tc3_request");
  const signature = createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex");
  return `${algorithm} Credential=${options.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
