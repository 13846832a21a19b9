/**
 * The secret-leak checker the canary tests share: every form a secret can come back in from a
 * service that echoes a request (verbatim, percent- and form-encoded in both hex cases, JSON-escaped
 * once or twice and the way PHP and Go write JSON, HTML-escaped, base64 and base64url of the secret
 * and of `user:secret` at any alignment), plus any 8-character window of the raw secret, so a secret
 * cut short in an excerpt counts too. Written independently of src/core/secret.ts on purpose: a test
 * that reused the redactor's own list could not catch a form the redactor forgets.
 */
import { randomInt } from "node:crypto";

export interface LeakOptions {
  /** Basic-auth usernames the secret is sent with (`user:secret` in base64). */
  users?: readonly string[];
}

export interface Leak {
  /** Which form was found: "verbatim", "percent-encoded (lower hex)", "8-character window", … */
  form: string;
  /** The text found (it holds the secret, or part of it: only a test prints it). */
  found: string;
  /** Up to 40 characters either side of it. */
  context: string;
}

const upper = (text: string) => text.replace(/%[0-9a-f]{2}/gi, (hex) => hex.toUpperCase());
const lower = (text: string) => text.replace(/%[0-9a-f]{2}/gi, (hex) => hex.toLowerCase());
const strictPercent = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const form = (text: string) => new URLSearchParams([["", text]]).toString().slice(1);
const json = (text: string) => JSON.stringify(text).slice(1, -1);
/** PHP's json_encode escapes "/" by default. */
const phpJson = (text: string) => json(text).replace(/\//g, "\\/");
/** Go's encoding/json escapes <, > and & (and Python's ensure_ascii leaves them, so this is one more). */
const goJson = (text: string) =>
  json(text).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
const htmlNumeric = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const base64url = (text: string) => text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const TEXT_FORMS: ReadonlyArray<[string, (text: string) => string]> = [
  ["percent-encoded (upper hex)", (t) => upper(encodeURIComponent(t))],
  ["percent-encoded (lower hex)", (t) => lower(encodeURIComponent(t))],
  ["percent-encoded, RFC 3986 (upper hex)", (t) => upper(strictPercent(t))],
  ["percent-encoded, RFC 3986 (lower hex)", (t) => lower(strictPercent(t))],
  ["form-encoded (upper hex)", (t) => upper(form(t))],
  ["form-encoded (lower hex)", (t) => lower(form(t))],
  ["JSON-escaped", json],
  ["JSON-escaped, PHP style (\\/)", phpJson],
  ["JSON-escaped, Go style (\\u0026)", goJson],
  ["HTML-escaped", html],
  ["HTML-escaped (numeric)", htmlNumeric],
];

/**
 * The base64 runs that encode `text`'s bytes wherever it sits in a larger blob: for each of the three
 * alignments, the characters that encode only whole groups of its own bytes.
 */
function base64Runs(text: string): string[] {
  const bytes = Buffer.from(text, "utf8");
  const runs = [bytes.toString("base64")];
  for (const skip of [0, 1, 2]) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole >= 6) runs.push(bytes.subarray(skip, skip + whole).toString("base64"));
  }
  return runs;
}

/** Every [form name, text] to look for, longest first within each name. */
export function leakForms(secret: string, options: LeakOptions = {}): Array<[string, string]> {
  const forms: Array<[string, string]> = [["verbatim", secret]];
  for (const [name, encode] of TEXT_FORMS) {
    const once = encode(secret);
    forms.push([name, once]);
    for (const [outer, encodeAgain] of TEXT_FORMS) forms.push([`${name}, then ${outer}`, encodeAgain(once)]);
  }
  forms.push(["JSON-escaped twice", json(json(secret))]);
  // A service that echoes the raw request in base64 encodes the secret as it travelled: in a
  // form-encoded body, a query string, a JSON body.
  for (const [label, plain] of [
    ["the secret", secret],
    ...(options.users ?? []).map((user) => [`${user}:secret`, `${user}:${secret}`] as const),
    ...TEXT_FORMS.map(([name, encode]) => [`the secret ${name}`, encode(secret)] as const),
  ] as const) {
    for (const run of base64Runs(plain)) {
      forms.push([`base64 of ${label}`, run]);
      forms.push([`base64url of ${label}`, base64url(run)]);
    }
  }
  const seen = new Set<string>();
  return forms.filter(([, text]) => {
    if (text.length < 8 || seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** The first form of `secret` found in `text`, or undefined. */
export function findLeak(text: string, secret: string, options: LeakOptions = {}): Leak | undefined {
  const at = (found: string, index: number, name: string): Leak => ({
    form: name,
    found,
    context: text.slice(Math.max(0, index - 40), index + found.length + 40),
  });
  for (const [name, value] of leakForms(secret, options)) {
    const index = text.indexOf(value);
    if (index >= 0) return at(value, index, name);
  }
  for (let i = 0; i + 8 <= secret.length; i++) {
    const window = secret.slice(i, i + 8);
    const index = text.indexOf(window);
    if (index >= 0) return at(window, index, "8-character window of the raw secret");
  }
  return undefined;
}

/** "percent-encoded (lower hex): «…»", for an assertion message, or undefined when clean. */
export function describeLeak(text: string, secret: string, options: LeakOptions = {}): string | undefined {
  const leak = findLeak(text, secret, options);
  return leak && `${leak.form}: ${JSON.stringify(leak.context)}`;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const random = (length: number) => Array.from({ length }, () => ALNUM[randomInt(ALNUM.length)]).join("");

/**
 * A hostile canary: CANARY and random characters around `+/=&` and `%"\` (and a space unless
 * `space: false`). Every 8-character window holds at least two random characters, so none occurs by
 * chance in homing's own text.
 */
export function hostileCanary(options: { space?: boolean } = {}): string {
  return `CANARY${random(5)}+/=&${random(4)}%"\\${options.space === false ? "" : " "}${random(5)}`;
}

/** A base64 TSIG secret (32 random bytes) whose text holds "+", "/" and "=". */
export function base64Canary(): string {
  for (;;) {
    const bytes = Buffer.from(Array.from({ length: 32 }, () => randomInt(256)));
    const text = bytes.toString("base64");
    if (text.includes("+") && text.includes("/") && text.endsWith("=")) return text;
  }
}
