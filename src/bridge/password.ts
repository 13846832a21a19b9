/**
 * Bridge passwords: scrypt hashes from node:crypto in the form `scrypt$N$r$p$salt$hash` (salt and
 * hash in base64url), made by `homing bridge hash-password`, checked in constant time. A check for
 * an unknown user runs against a dummy hash, so it takes as long as a wrong password.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** Bounds on the parameters a stored hash may ask for, so a config cannot make a check cost minutes. */
const MAX_N = 2 ** 20;

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses `scrypt$N$r$p$salt$hash`; a string saying what is wrong when it is not one. */
export function parseHash(text: string): ParsedHash | string {
  const parts = text.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return "expected scrypt$N$r$p$salt$hash";
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(n) || n < 2 || n > MAX_N || (n & (n - 1)) !== 0)
    return `N must be a power of two up to ${MAX_N}`;
  if (!Number.isInteger(r) || r < 1 || r > 32) return "r must be 1 to 32";
  if (!Number.isInteger(p) || p < 1 || p > 16) return "p must be 1 to 16";
  const salt = Buffer.from(parts[4] as string, "base64url");
  const hash = Buffer.from(parts[5] as string, "base64url");
  if (salt.length < 8) return "the salt is shorter than 8 bytes";
  if (hash.length < 16 || hash.length > 64) return "the hash must be 16 to 64 bytes";
  return { n, r, p, salt, hash };
}

function options(parsed: { n: number; r: number; p: number }): ScryptOptions {
  return { N: parsed.n, r: parsed.r, p: parsed.p, maxmem: 256 * parsed.n * parsed.r + 1024 * 1024 };
}

/** Hashes a password with fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, KEY_BYTES, options({ n: N, r: R, p: P }));
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** A hash no password matches, with the default cost: what an unknown user is checked against. */
export const DUMMY_HASH: ParsedHash = {
  n: N,
  r: R,
  p: P,
  salt: randomBytes(16),
  hash: randomBytes(KEY_BYTES),
};

/** A stored credential: a scrypt hash, or a plain password read from a file (hashed once at start). */
export async function verifyPassword(password: string, stored: ParsedHash): Promise<boolean> {
  const key = await derive(password, stored.salt, stored.hash.length, options(stored));
  return timingSafeEqual(key, stored.hash);
}

/** Turns a plain password (from password_file) into a parsed hash, so every check costs the same. */
export async function hashOf(password: string): Promise<ParsedHash> {
  const parsed = parseHash(await hashPassword(password));
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}
