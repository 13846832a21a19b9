/**
 * The one translator of connection and TLS failures into what a user can act on. Every client that
 * dials out (src/http/request.ts for HTTP(S): providers, detection, notifications, heartbeats;
 * src/notify/smtp.ts for mail) passes its socket error here, so a certificate refused behind an
 * intercepting proxy reads the same everywhere. Pure: it reads the fields Node puts on the error
 * (`code`, `message`; `host` and `cert` on ERR_TLS_CERT_ALTNAME_INVALID) and the facts passed in.
 *
 * What the advice relies on (Node's own documentation, doc/api/cli.md and tls.md):
 * - Node trusts its bundled Mozilla CA list, not the system's store, by default: a CA installed with
 *   update-ca-certificates is not trusted by node until told.
 * - NODE_EXTRA_CA_CERTS=file adds the PEM certificates in the file to that list. It is read once, when
 *   the process starts (setting it at run time has no effect), and ignored when node runs setuid or
 *   with file capabilities.
 * - NODE_USE_SYSTEM_CA=1 (Node 22.19+, 24.6+) or --use-system-ca (23.9+) adds the system store.
 * - The certificate verification codes are OpenSSL's X509_V_ERR_* names without the prefix.
 * Disabling verification is never offered: it would hand the provider credentials to whoever sits
 * in the middle.
 */
import { own } from "./own.ts";

/** The fields of a Node socket or TLS error this reads; any of them may be missing. */
interface ErrorFields {
  code?: unknown;
  message?: unknown;
  host?: unknown;
  reason?: unknown;
  cert?: { subject?: Record<string, unknown> | null; subjectaltname?: unknown } | null;
}

export interface ConnectionFailure {
  /** What happened and what to do, without the `scheme://host:port: ` prefix the caller adds. */
  text: string;
  /** A certificate or TLS handshake problem: trying again soon does not help. */
  tls: boolean;
}

export interface FailureContext {
  /** The host name or address the client asked for (the URL's hostname). */
  host: string;
  /** This machine's clock, shown when a certificate looks expired or not yet valid. */
  now?: Date | undefined;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed (temporary)",
  ENETUNREACH: "network unreachable",
  EHOSTUNREACH: "host unreachable",
  EADDRNOTAVAIL: "no address of this family on this host",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
  ECONNABORTED: "connection aborted",
};

/** The certificate chain does not end at a CA Node trusts. */
const UNTRUSTED: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "a self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "a certificate chain that ends at a self-signed CA Node does not trust",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "a certificate from a CA Node does not trust",
  UNABLE_TO_GET_ISSUER_CERT: "a certificate from a CA Node does not trust",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "a certificate Node cannot verify (a CA it does not trust, or the server left out its intermediate certificate)",
  CERT_UNTRUSTED: "a certificate from a CA Node does not trust",
};

/** The advice for an untrusted CA: true for every Node homing supports (>= 20.19). */
export const TRUST_A_CA =
  "if a proxy or firewall inspects HTTPS on this network, or the server uses a private CA, give homing that CA's certificate: " +
  "set NODE_EXTRA_CA_CERTS=/path/to/ca.pem in its environment (systemd: Environment=NODE_EXTRA_CA_CERTS=… in the unit; " +
  "Docker: -e NODE_EXTRA_CA_CERTS=…, with the file mounted) and restart it: Node reads it only at start, " +
  "and trusts its own CA list, not the system's (Node 22.19+: NODE_USE_SYSTEM_CA=1 adds the system's)";

const CLOCK_AT_BOOT =
  "a Raspberry Pi or another board without a battery-backed clock starts with an old time until NTP syncs " +
  "(systemd: order homing After=time-sync.target and enable systemd-time-wait-sync.service)";

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** "DNS:a.example, IP Address:1.2.3.4" -> "a.example, 1.2.3.4"; the subject's CN without any. */
export function certificateNames(cert: ErrorFields["cert"]): string[] {
  const alt = text(cert?.subjectaltname);
  if (alt) {
    return alt
      .split(/,\s*/)
      .map((entry) => entry.replace(/^(DNS|IP Address):/, "").trim())
      .filter((name) => name !== "");
  }
  const cn = cert?.subject ? text(cert.subject.CN) : undefined;
  return cn ? [cn] : [];
}

function clockNote(now: Date | undefined): string {
  return now && Number.isFinite(now.getTime()) ? ` (it says ${now.toISOString()})` : "";
}

/**
 * What `error` means for a user. Codes homing does not know keep their name (`EPERM`), so nothing is
 * hidden; a message without a code is passed through.
 */
export function describeConnectionFailure(error: unknown, context: FailureContext): ConnectionFailure {
  const fields: ErrorFields = typeof error === "object" && error !== null ? (error as ErrorFields) : {};
  const code = text(fields.code) ?? "";
  const message = text(fields.message) ?? String(error);
  const { host } = context;

  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const asked = text(fields.host) ?? host;
    const names = certificateNames(fields.cert);
    const presented = names.length > 0 ? names.slice(0, 5).join(", ") : "other names";
    return {
      tls: true,
      text: `the certificate presented for ${asked} is for ${presented}: something other than the service answered (a proxy or firewall intercepting HTTPS, a captive portal, or a DNS answer that points the name elsewhere), or the URL names the wrong host; check the URL and what ${asked} resolves to. Trusting another CA does not help: the certificate is valid, for another name`,
    };
  }
  const untrusted = own(UNTRUSTED, code);
  if (untrusted) {
    return { tls: true, text: `${host} presented ${untrusted} (${code}); ${TRUST_A_CA}` };
  }
  if (code === "CERT_HAS_EXPIRED") {
    return {
      tls: true,
      text: `the certificate of ${host} has expired (${code}), or this machine's clock is wrong${clockNote(context.now)}: check the clock first; ${CLOCK_AT_BOOT}`,
    };
  }
  if (code === "CERT_NOT_YET_VALID") {
    return {
      tls: true,
      text: `the certificate of ${host} is not valid yet (${code}): this machine's clock is most likely behind${clockNote(context.now)}; ${CLOCK_AT_BOOT}`,
    };
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number/i.test(message)) {
    return {
      tls: true,
      text: `the server did not answer in TLS (wrong version number): the port speaks plain HTTP (use http://, or the service's HTTPS port) or something on the way (a proxy, a captive portal) answers instead`,
    };
  }
  if (code.startsWith("CERT_") || code.startsWith("ERR_TLS_")) {
    return { tls: true, text: `the certificate of ${host} was refused (${code}: ${message})` };
  }
  if (code === "EPROTO" || code.startsWith("ERR_SSL_")) {
    // OpenSSL's reason is the last "routines:…:reason:" part of the message.
    const reason = /:([^:]+):[^:]*:\d+:?\s*$/.exec(message)?.[1] ?? message;
    return {
      tls: true,
      text: `the TLS handshake failed (${reason.trim()}): the server and Node share no TLS version or cipher, or a proxy on the way broke the connection`,
    };
  }
  const known = own(NETWORK_CODES, code);
  if (known) return { tls: false, text: known };
  return { tls: false, text: code || message };
}
