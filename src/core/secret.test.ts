import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redact, redactDeep, Secret, secretForms } from "./secret.ts";

const CANARY = 'CANARY+K/E=Y&%"\\ 42';

/** What an echoing service could send back: the secret in one encoding, somewhere in its reply. */
const ECHOES: Array<[string, (secret: string) => string]> = [
  ["verbatim", (s) => s],
  ["form-encoded", (s) => new URLSearchParams({ key: s }).toString()],
  ["percent-encoded (%20)", (s) => `key=${encodeURIComponent(s)}`],
  [
    "percent-encoded, lower-case hex",
    (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
  ],
  ["JSON-escaped", (s) => JSON.stringify({ key: s })],
  ["JSON inside JSON", (s) => JSON.stringify({ error: JSON.stringify({ key: s }) })],
  ["JSON-escaped by PHP (\\/)", (s) => JSON.stringify({ key: s }).replace(/\//g, "\\/")],
  ["JSON-escaped by Go (\\u0026)", (s) => JSON.stringify({ key: s }).replace(/&/g, "\\u0026")],
  ["HTML-escaped", (s) => `<td>${s.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}</td>`],
  ["HTML-escaped, numeric", (s) => `<td>${s.replace(/[&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</td>`],
  ["base64", (s) => Buffer.from(s).toString("base64")],
  ["base64url", (s) => Buffer.from(s).toString("base64url")],
  ["basic auth", (s) => `Authorization: Basic ${Buffer.from(`homing-user:${s}`).toString("base64")}`],
  ["base64 inside a blob", (s) => Buffer.from(`{"user":"x","token":"${s}","n":1}`).toString("base64")],
  ["base64url inside a blob", (s) => Buffer.from(`ab${s}cd`).toString("base64url")],
  [
    "base64 of a form-encoded request body",
    (s) => Buffer.from(`POST / HTTP/1.1\n\n${new URLSearchParams({ key: s, cmd: "x" })}`).toString("base64"),
  ],
  [
    "base64url of a percent-encoded query string",
    (s) => Buffer.from(`GET /update?token=${encodeURIComponent(s)}&ip=1`).toString("base64url"),
  ],
];

/** Every 8-character window of the secret found in `text`. */
function survivors(text: string, secret: string): string[] {
  return windows(secret).filter((window) => text.includes(window));
}

/** The base64 runs that encode only the secret's bytes, at each of the three alignments (via Buffer). */
function base64Cores(secret: string, alphabet: "base64" | "base64url"): string[] {
  const bytes = Buffer.from(secret);
  return [0, 1, 2]
    .map((skip) => bytes.subarray(skip, skip + Math.floor((bytes.length - skip) / 3) * 3))
    .filter((part) => part.length >= 6)
    .map((part) => part.toString(alphabet));
}

function windows(secret: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= secret.length; i++) out.push(secret.slice(i, i + size));
  return out;
}

describe("redact", () => {
  it.each(ECHOES)("removes a secret echoed %s", (_label, echo) => {
    const text = `DreamHost said: ${echo(CANARY)} (try again)`;
    const out = redact(text, [CANARY]);
    expect(out).toContain("[redacted]");
    expect(survivors(out, CANARY)).toEqual([]);
    // No encoded window of 8 bytes of the secret survives either.
    for (const window of windows(CANARY)) {
      expect(out).not.toContain(encodeURIComponent(window));
      expect(out).not.toContain(Buffer.from(window).toString("base64").slice(0, 8));
    }
    // Nor does the base64 of the secret as it travelled in a form body or a query string.
    for (const travelled of [
      new URLSearchParams({ k: CANARY }).toString().slice(2),
      encodeURIComponent(CANARY),
    ]) {
      for (const core of [...base64Cores(travelled, "base64"), ...base64Cores(travelled, "base64url")]) {
        expect(out).not.toContain(core);
      }
    }
    expect(out.startsWith("DreamHost said: ")).toBe(true);
    expect(out.endsWith(" (try again)")).toBe(true);
  });

  it("redacts the value of any Authorization header, even for a credential it was not told about", () => {
    expect(redact("GET /nic/update\nAuthorization: Basic dXNlcjpwYXNzd29yZA==\nHost: x", [])).toBe(
      "GET /nic/update\nAuthorization: Basic [redacted]\nHost: x",
    );
    expect(redact('{"authorization":"Bearer abcdefghijklmnop"}', [])).toBe(
      '{"authorization":"Bearer [redacted]"}',
    );
    expect(redact("6111: Invalid format for Authorization header", [])).toBe(
      "6111: Invalid format for Authorization header",
    );
  });

  it("leaves text without secrets alone, and ignores secrets shorter than 4 characters", () => {
    expect(redact("good 81.2.69.160", ["abc", CANARY])).toBe("good 81.2.69.160");
  });

  it("property: for any secret and any surrounding text, no encoded form of the secret survives", () => {
    const secretArb = fc
      .string({ minLength: 8, maxLength: 48, unit: "binary" })
      .filter((s) => s.trim() === s);
    fc.assert(
      fc.property(
        secretArb,
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.integer({ min: 0, max: ECHOES.length - 1 }),
        (secret, before, after, which) => {
          const [, echo] = ECHOES[which] as [string, (s: string) => string];
          const out = redact(`${before}${echo(secret)}${after}`, [secret]);
          // The secret itself, its percent- and JSON-encoded forms and its base64 cores are gone.
          expect(out.includes(secret)).toBe(false);
          expect(out.includes(encodeURIComponent(secret))).toBe(false);
          expect(out.includes(JSON.stringify(secret).slice(1, -1))).toBe(false);
          for (const core of [...base64Cores(secret, "base64"), ...base64Cores(secret, "base64url")]) {
            expect(out.includes(core)).toBe(false);
          }
        },
      ),
      { numRuns: 2000 },
    );
    // A few thousand redactions: seconds on a loaded shared machine, so a generous deadline.
  }, 60_000);

  it("secretForms covers both hex cases and both space encodings", () => {
    const forms = secretForms("a b/c+d");
    expect(forms).toEqual(
      expect.arrayContaining(["a b/c+d", "a%20b%2Fc%2Bd", "a%20b%2fc%2bd", "a+b%2Fc%2Bd", "a+b%2fc%2bd"]),
    );
  });
});

describe("redactDeep", () => {
  it("redacts every string of a report, keys included, and keeps __proto__ a plain key", () => {
    const value = JSON.parse(
      `{"reason":"key=${encodeURIComponent(CANARY)}","list":["${Buffer.from(CANARY).toString("base64")}"],"__proto__":{"x":1}}`,
    );
    const out = redactDeep(value, [CANARY]);
    expect(JSON.stringify(out)).not.toContain("CANARY");
    expect(Object.keys(out)).toContain("__proto__");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("keeps Secret objects as they are (they print as [redacted] anyway)", () => {
    const secret = new Secret(CANARY, "test");
    expect(redactDeep({ secret }, [CANARY]).secret).toBe(secret);
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
  });
});
