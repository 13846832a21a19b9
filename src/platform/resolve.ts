/**
 * DNS lookups for providers that cannot list (dyndns2, DuckDNS, custom URL): what does the name
 * answer right now? node:dns `Resolver` (c-ares, no system cache), optionally against configured
 * servers ("127.0.0.1:5353", "1.1.1.1", "[2606:4700:4700::1111]:53"), always under a deadline.
 * NXDOMAIN and NODATA are answers ("no address"), not failures.
 */

// node:dns is fetched when a lookup runs, not at startup: only update-URL providers need it.
import { parseAddress } from "../core/ip.ts";
import type { AddressRecordType } from "../core/records.ts";
import { linkedController } from "./abort.ts";

export interface ResolveOptions {
  /** Servers to ask; empty or undefined: the system's (/etc/resolv.conf). */
  servers?: readonly string[] | undefined;
  /** Deadline of one lookup, all tries included. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A lookup that produced no answer (timeout, refused, SERVFAIL, bad server address). */
export class ResolveError extends Error {
  override readonly name = "ResolveError";
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

const NO_ANSWER = new Set(["ENOTFOUND", "ENODATA"]);

const CODE_TEXT: Record<string, string> = {
  ETIMEOUT: "no answer in time",
  ECONNREFUSED: "connection refused",
  ESERVFAIL: "the server failed (SERVFAIL)",
  EREFUSED: "the server refused the query",
  EBADRESP: "a malformed answer",
  ECANCELLED: "cancelled",
};

/** Where lookups go, for messages: "127.0.0.1:5353" or "the system resolver". */
export function describeServers(servers: readonly string[] | undefined): string {
  return servers && servers.length > 0 ? servers.join(", ") : "the system resolver";
}

/**
 * Checks a resolver setting ("127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353") without touching
 * the network; returns what is wrong, or undefined.
 *
 * It does not ask node:dns: the setting is checked whenever a provider is built, which every cron
 * run does, while node:dns is needed only by a run that looks a name up (docs/design.md, "Startup
 * budget"). It is also stricter than `Resolver.setServers`, which takes "[::1]junk", reads
 * "127.0.0.1:70000" as port 4464 and aborts the process (a failed C++ assertion, not an exception)
 * on "127.0.0.1:0". Everything accepted here, setServers takes with the same port (resolve.test.ts).
 * Addresses are read by src/core/ip.ts, which is stricter than node:dns about IPv4 ("01.2.3.4").
 */
export function describeBadServer(server: string): string | undefined {
  return isServerSetting(server)
    ? undefined
    : `"${server}" is not an IP address with an optional port 1-65535 (like "127.0.0.1:5353" or "[::1]:53")`;
}

/** An IP address, "[IPv6]" or "[IPv6]:port", or "IPv4:port". */
function isServerSetting(server: string): boolean {
  const goodPort = (port: string | undefined) =>
    port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (ipFamily(server) !== undefined) return true;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  if (bracketed) return ipFamily(bracketed[1] as string) !== undefined && goodPort(bracketed[2]);
  const withPort = /^([^:]+):(\d{1,5})$/.exec(server);
  return withPort !== null && ipFamily(withPort[1] as string) === "ipv4" && goodPort(withPort[2]);
}

/**
 * The family of an address as c-ares takes it: src/core/ip.ts's strict forms, plus a zone id on an
 * IPv6 address ("fe80::1%eth0"). Not node:net's isIP: node:net is not loaded yet when providers are
 * built, and loading it here cost more than the whole check.
 */
function ipFamily(text: string): "ipv4" | "ipv6" | undefined {
  const zone = /^([^%]*:[^%]*)%[\w.~-]+$/.exec(text);
  const parsed = parseAddress(zone ? (zone[1] as string) : text);
  return parsed?.family;
}

/** The addresses `name` has for `type`; [] for NXDOMAIN/NODATA; throws ResolveError otherwise. */
export async function resolveAddresses(
  name: string,
  type: AddressRecordType,
  options: ResolveOptions,
): Promise<string[]> {
  const { Resolver } = process.getBuiltinModule("node:dns/promises");
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(options.timeoutMs / 2)), tries: 2 });
  const where = describeServers(options.servers);
  if (options.servers && options.servers.length > 0) {
    try {
      resolver.setServers([...options.servers]);
    } catch {
      throw new ResolveError(`the resolver setting (${where}) is not a list of IP addresses with ports`);
    }
  }
  let timedOut = false;
  const { controller, dispose } = linkedController(options.signal, {
    timeoutMs: options.timeoutMs,
    onTimeout: () => {
      timedOut = true;
    },
  });
  const signal = controller.signal;
  if (signal.aborted) {
    dispose();
    throw new ResolveError(`DNS lookup of ${name} ${type} via ${where} was cancelled`);
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      resolver.cancel();
      reject(
        new ResolveError(
          timedOut
            ? `DNS lookup of ${name} ${type} via ${where}: no answer within ${options.timeoutMs} ms`
            : `DNS lookup of ${name} ${type} via ${where} was cancelled`,
          "ETIMEOUT",
        ),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const lookup = type === "A" ? resolver.resolve4(name) : resolver.resolve6(name);
    return await Promise.race([lookup, aborted]);
  } catch (error) {
    if (error instanceof ResolveError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code && NO_ANSWER.has(code)) return [];
    const what = (code && CODE_TEXT[code]) ?? code ?? String(error);
    throw new ResolveError(`DNS lookup of ${name} ${type} via ${where}: ${what}`, code);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    dispose();
  }
}
