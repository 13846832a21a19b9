import { formatDuration } from "../../core/duration.ts";
import { parseAddress } from "../../core/ip.ts";
import { redact, type Secret } from "../../core/secret.ts";
import { excerpt } from "../../core/source-body.ts";
import { ProviderError, type ProviderErrorKind } from "../../errors.ts";
import { httpRequest } from "../../http/request.ts";
import type { ProviderContext } from "../provider.ts";
import { exchangeFailure, retryAfterMs, retryTransient } from "../retry.ts";
import { userAgent } from "../update-url.ts";

/** DuckDNS documents no rate limit; a 429 from something in front of it gets this back-off. */
const RATE_LIMIT_DEFAULT_MS = 30 * 60_000;

export interface DuckDnsClientOptions {
  id: string;
  endpoint: URL;
  token: Secret;
  timeoutMs: number;
  context: ProviderContext;
}

export interface DuckDnsAddresses {
  ip?: string;
  ipv6?: string;
}

function sameAddress(a: string, b: string): boolean {
  return parseAddress(a)?.canonical === parseAddress(b)?.canonical;
}

/**
 * DuckDNS's update call (https://www.duckdns.org/spec.jsp): GET
 * /update?domains=a,b&token=…&ip=…&ipv6=…&verbose=true, answered "OK" (verbose: the addresses and
 * UPDATED or NOCHANGE, one per line) or "KO". The token travels in the query string because that is
 * the only way DuckDNS takes it; the URL is therefore never logged or put in a message.
 */
export class DuckDnsClient {
  readonly #options: DuckDnsClientOptions;

  constructor(options: DuckDnsClientOptions) {
    this.#options = options;
  }

  #error(message: string, kind: ProviderErrorKind, extra: { code?: string; retryAfterMs?: number } = {}) {
    return new ProviderError(message, { kind, provider: this.#options.id, ...extra });
  }

  #shown(body: string): string {
    return excerpt(redact(body, [this.#options.token.reveal()]), 60);
  }

  /** Sets the addresses of `subdomains`; resolves with whether DuckDNS already had them. */
  async update(subdomains: readonly string[], addresses: DuckDnsAddresses, signal: AbortSignal) {
    return retryTransient(() => this.#send(subdomains, addresses, signal), {
      context: this.#options.context,
      signal,
    });
  }

  async #send(
    subdomains: readonly string[],
    addresses: DuckDnsAddresses,
    signal: AbortSignal,
  ): Promise<{ unchanged: boolean }> {
    const url = new URL(this.#options.endpoint);
    url.searchParams.set("domains", subdomains.join(","));
    url.searchParams.set("token", this.#options.token.reveal());
    if (addresses.ip) url.searchParams.set("ip", addresses.ip);
    if (addresses.ipv6) url.searchParams.set("ipv6", addresses.ipv6);
    url.searchParams.set("verbose", "true");
    const what = subdomains.join(",");
    this.#options.context.logger.debug(
      `DuckDNS: update domains=${what}${addresses.ip ? ` ip=${addresses.ip}` : ""}${addresses.ipv6 ? ` ipv6=${addresses.ipv6}` : ""}`,
    );
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      response = await httpRequest(url, {
        method: "GET",
        headers: { "user-agent": userAgent(), accept: "text/plain" },
        timeoutMs: this.#options.timeoutMs,
        maxBytes: 16 * 1024,
        signal,
      });
    } catch (error) {
      const { why, kind } = exchangeFailure(error);
      throw this.#error(`DuckDNS update of ${what} failed: ${why}; homing tries again on the next run`, kind);
    }
    const said = `HTTP ${response.status}${response.body.trim() ? ` ("${this.#shown(response.body)}")` : ""}`;
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers["retry-after"]) ?? RATE_LIMIT_DEFAULT_MS;
      throw this.#error(
        `DuckDNS is rate-limiting updates (${said}); homing sends nothing to it for ${formatDuration(wait)}`,
        "rate_limited",
        { code: "http_429", retryAfterMs: wait },
      );
    }
    if (response.status >= 500) {
      throw this.#error(
        `DuckDNS update of ${what} failed: ${said}; homing tries again on the next run`,
        "transient",
      );
    }
    if (response.status !== 200) {
      throw this.#error(`DuckDNS refused the update of ${what} with ${said}`, "permanent", {
        code: `http_${response.status}`,
      });
    }
    const lines = response.body.split(/\r?\n/).map((line) => line.trim());
    if (lines[0] === "KO") {
      throw this.#error(
        `DuckDNS refused the update of ${what} (KO): the token from ${this.#options.token.origin} is wrong, or ${subdomains.length > 1 ? "one of these subdomains is" : "the subdomain is"} not in that account; copy the token from https://www.duckdns.org (shown after you sign in) and check the names`,
        "auth",
        { code: "KO" },
      );
    }
    if (lines[0] !== "OK") {
      throw this.#error(
        `DuckDNS gave an answer that is neither OK nor KO ("${this.#shown(response.body)}"); homing tries again on the next run`,
        "transient",
      );
    }
    // Verbose: OK / the IPv4 / the IPv6 / UPDATED or NOCHANGE. A plain "OK" is accepted too.
    const [, ip = "", ipv6 = "", outcome = ""] = lines;
    for (const [sent, got] of [
      [addresses.ip, ip],
      [addresses.ipv6, ipv6],
    ] as const) {
      if (sent && got && !sameAddress(sent, got)) {
        throw this.#error(
          `DuckDNS answered OK for ${what} but reports ${got} instead of ${sent}; homing tries again on the next run`,
          "transient",
        );
      }
    }
    return { unchanged: outcome.toUpperCase() === "NOCHANGE" };
  }
}
