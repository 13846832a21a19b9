/**
 * HTTP Digest access authentication, client side (RFC 7616): MD5 and SHA-256, with and without
 * "-sess", qop=auth (or none, RFC 2069 style, for old servers). auth-int is not offered by the
 * devices homing talks to (Fritz!Box TR-064) and is refused.
 */
import { createHash, randomBytes } from "node:crypto";

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";
  qop?: "auth";
  /** RFC 7616 §3.4.4: the server wants the username hashed. */
  userhash: boolean;
}

/** Parses `key=value, key="quoted, value"` parameters. */
function parameters(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const pattern = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    out.set(
      (match[1] as string).toLowerCase(),
      match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? ""),
    );
    if (pattern.lastIndex >= text.length) break;
  }
  return out;
}

/**
 * The best Digest challenge among WWW-Authenticate values (SHA-256 before MD5), or undefined when
 * none is usable. Each value may hold one challenge; several headers arrive as an array.
 */
export function parseDigestChallenge(header: string | string[] | undefined): DigestChallenge | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const usable: DigestChallenge[] = [];
  for (const value of values) {
    const match = /^\s*Digest\s+(.*)$/is.exec(value);
    if (!match) continue;
    const params = parameters(match[1] as string);
    const realm = params.get("realm");
    const nonce = params.get("nonce");
    if (realm === undefined || nonce === undefined) continue;
    const algorithm = (params.get("algorithm") ?? "MD5").toUpperCase();
    const known = {
      MD5: "MD5",
      "MD5-SESS": "MD5-sess",
      "SHA-256": "SHA-256",
      "SHA-256-SESS": "SHA-256-sess",
    } as const;
    if (!Object.hasOwn(known, algorithm)) continue;
    const qops = params
      .get("qop")
      ?.split(",")
      .map((qop) => qop.trim().toLowerCase());
    if (qops && !qops.includes("auth")) continue;
    const challenge: DigestChallenge = {
      realm,
      nonce,
      algorithm: known[algorithm as keyof typeof known],
      userhash: params.get("userhash")?.toLowerCase() === "true",
    };
    const opaque = params.get("opaque");
    if (opaque !== undefined) challenge.opaque = opaque;
    if (qops) challenge.qop = "auth";
    usable.push(challenge);
  }
  return usable.find((c) => c.algorithm.startsWith("SHA-256")) ?? usable[0];
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

/** The Authorization header value for one request (RFC 7616 §3.4). */
export function digestAuthorization(
  challenge: DigestChallenge,
  request: { method: string; uri: string; username: string; password: string; cnonce?: string; nc?: number },
): string {
  const hashName = challenge.algorithm.startsWith("SHA-256") ? "sha256" : "md5";
  const hash = (text: string) => createHash(hashName).update(text, "utf8").digest("hex");
  const cnonce = request.cnonce ?? randomBytes(16).toString("hex");
  const nc = (request.nc ?? 1).toString(16).padStart(8, "0");
  let ha1 = hash(`${request.username}:${challenge.realm}:${request.password}`);
  if (challenge.algorithm.endsWith("-sess")) ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hash(`${request.method}:${request.uri}`);
  const response = challenge.qop
    ? hash(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:${challenge.qop}:${ha2}`)
    : hash(`${ha1}:${challenge.nonce}:${ha2}`);
  const username = challenge.userhash ? hash(`${request.username}:${challenge.realm}`) : request.username;
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(request.uri)}`,
    `algorithm=${challenge.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.qop) parts.push(`qop=${challenge.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (challenge.userhash) parts.push("userhash=true");
  return `Digest ${parts.join(", ")}`;
}
