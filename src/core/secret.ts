const REDACTED = "[redacted]";

/**
 * A credential. It prints as "[redacted]" everywhere (string conversion, JSON, util.inspect), so a
 * secret that slips into a log line or a report still does not leak; only `reveal()` gives the value,
 * and only provider clients call it, at the moment they build a request.
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from, for messages: "file /etc/homing/dh.key", "environment HOMING_…". */
  readonly origin: string;

  constructor(value: string, origin: string) {
    this.#value = value;
    this.origin = origin;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

type Encode = (text: string) => string;

const upperHex: Encode = (text) => text.replace(/%[0-9a-f]{2}/gi, (hex) => hex.toUpperCase());
const lowerHex: Encode = (text) => text.replace(/%[0-9a-f]{2}/gi, (hex) => hex.toLowerCase());
const percent: Encode = (text) => encodeURIComponent(text);
/** application/x-www-form-urlencoded, as URLSearchParams writes it: "+" for a space. */
const form: Encode = (text) => new URLSearchParams([["", text]]).toString().slice(1);
/** RFC 3986 in full: also `!'()*`, which encodeURIComponent leaves alone. */
const strictPercent: Encode = (text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const json: Encode = (text) => JSON.stringify(text).slice(1, -1);
/** PHP's json_encode (what DreamHost's API is written in) escapes every "/" by default. */
const phpJson: Encode = (text) => json(text).replace(/\//g, "\\/");
/** Go's encoding/json (and PHP with JSON_HEX_*) writes `<`, `>`, `&` and `'` as \u00XX. */
const goJson: Encode = (text) =>
  json(text).replace(/[<>&']/g, (c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
const html: Encode = (text) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
/** Numeric character references, as some templating engines write them: `&#34;`, `&#38;`. */
const htmlNumeric: Encode = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The text forms a service (or homing's own writers) could echo a secret back in. */
const TEXT_ENCODINGS: readonly Encode[] = [
  json,
  phpJson,
  goJson,
  (text) => upperHex(percent(text)),
  (text) => lowerHex(percent(text)),
  (text) => upperHex(form(text)),
  (text) => lowerHex(form(text)),
  (text) => upperHex(strictPercent(text)),
  (text) => lowerHex(strictPercent(text)),
  html,
  htmlNumeric,
];

/**
 * How a secret travels in a request: in a query string or a form-encoded body (DreamHost's key,
 * DuckDNS's token; Node writes upper-case hex), or in a JSON body. A service that echoes the raw
 * request in base64 encodes it in one of these forms, not as the bare secret.
 */
const WIRE_ENCODINGS: readonly Encode[] = [
  json,
  (text) => upperHex(percent(text)),
  (text) => upperHex(form(text)),
  (text) => upperHex(strictPercent(text)),
];

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 of UTF-8 bytes, written here so core/ needs no Node global. */
function base64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += BASE64[(n >> 18) & 63];
    out += BASE64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? BASE64[n & 63] : "=";
  }
  return out;
}

const toUrlAlphabet: Encode = (text) => text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/**
 * Base64 and base64url forms of a secret wherever it sits in the encoded data: the whole secret
 * encoded alone, and, for each of the three byte alignments it can start at inside a larger blob
 * (`user:secret` in a Basic Authorization header, a token inside a JSON document), the run of
 * characters that encodes only the secret's own bytes. That run is the same whatever surrounds it.
 */
function base64Forms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const forms = [base64(bytes)];
  for (const skip of [0, 1, 2]) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole >= 6) forms.push(base64(bytes.subarray(skip, skip + whole)));
  }
  return forms.flatMap((form) => [form, toUrlAlphabet(form)]);
}

const variantCache = new Map<string, readonly string[]>();

/**
 * Every form of `secret` to look for, longest first (so a whole encoding goes before its core):
 * verbatim; JSON-escaped (also PHP's `\/` and Go's `\u0026`); percent-encoded (`%20` and form `+`,
 * upper- and lower-case hex); HTML-escaped (named and numeric); each of those once more (a JSON
 * string in a URL, an escaped reply inside JSON); base64 and base64url of the secret, bare and as it
 * travels in a request (`WIRE_ENCODINGS`).
 */
export function secretForms(secret: string): readonly string[] {
  const cached = variantCache.get(secret);
  if (cached) return cached;
  const forms = new Set<string>([secret]);
  for (const form of base64Forms(secret)) forms.add(form);
  for (const first of TEXT_ENCODINGS) {
    const once = first(secret);
    forms.add(once);
    for (const second of TEXT_ENCODINGS) forms.add(second(once));
  }
  for (const travelled of WIRE_ENCODINGS) for (const form of base64Forms(travelled(secret))) forms.add(form);
  const list = [...forms].filter((form) => form.length >= 4).sort((a, b) => b.length - a.length);
  if (variantCache.size > 256) variantCache.clear();
  variantCache.set(secret, list);
  return list;
}

/** `Authorization: Basic …`, `"authorization":"Bearer …"`: the credential after the scheme, whoever's it is. */
const AUTHORIZATION =
  /(\b(?:proxy-)?authorization\b["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token|digest|apikey)\s+)?)[A-Za-z0-9+/=._~-]{8,}/gi;

/**
 * Replaces every known secret value in `text`, in every form a service could echo it back in
 * (`secretForms`), and the value of any Authorization header. The logger and every report writer run
 * their output through this, as a second line of defence behind the Secret type. Excerpts of replies
 * are cut only after this, so a cut never leaves part of a secret behind.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of secretForms(secret)) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  return /authorization/i.test(out) ? out.replace(AUTHORIZATION, `$1${REDACTED}`) : out;
}

/** `redact` over every string inside a JSON-like value (a report, a snapshot), keys included. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  const walk = (item: unknown): unknown => {
    if (typeof item === "string") return redact(item, secrets);
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === "object" && !(item instanceof Secret)) {
      // fromEntries defines own properties, so a "__proto__" key stays a plain key.
      return Object.fromEntries(
        Object.entries(item).map(([key, entry]) => [redact(key, secrets), walk(entry)]),
      );
    }
    return item;
  };
  return walk(value) as T;
}
