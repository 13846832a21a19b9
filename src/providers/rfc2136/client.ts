/**
 * The wire side of the RFC 2136 provider: signs each message (when a key is configured), sends it
 * with a deadline, verifies the reply's TSIG, retries transport failures and SERVFAIL, and turns
 * rcodes into ProviderErrors whose messages say what to fix. No DNS semantics live here.
 */

import { randomInt } from "node:crypto";
import {
  type Endpoint,
  exchange,
  formatEndpoint,
  TransportError,
  type TransportMode,
} from "../../dns/transport.ts";
import {
  serverTimeOf,
  signMessage,
  TSIG_ERROR,
  type TsigKey,
  tsigErrorName,
  verifyMessage,
} from "../../dns/tsig.ts";
import {
  CLASS,
  type DecodedMessage,
  encodeMessage,
  type Message,
  OPCODE,
  RCODE,
  rcodeName,
  rcodeOf,
  requestFlags,
} from "../../dns/wire.ts";
import { ProviderError, type ProviderErrorKind } from "../../errors.ts";
import type { ProviderContext } from "../provider.ts";
import { retryTransient } from "../retry.ts";

export interface Rfc2136ClientOptions {
  id: string;
  endpoint: Endpoint;
  /** Undefined: requests go unsigned (the server must allow updates by address). */
  key: TsigKey | undefined;
  /** Where the key came from, for messages ("file /etc/homing/tsig.key"). */
  keyOrigin: string | undefined;
  mode: TransportMode;
  timeoutMs: number;
  /** The signer's clock, seconds since the epoch. */
  now: () => number;
  context: ProviderContext;
}

/** A reply whose TSIG (if a key is configured) verified. */
export interface Answer {
  message: DecodedMessage;
  rcode: number;
  /** The reply carried a TSIG signature that verified. */
  verified: boolean;
  via: TransportMode;
}

export type Operation =
  | { kind: "query"; name: string; type: string }
  | { kind: "update"; zone: string; name: string; what: string };

function describeOperation(operation: Operation): string {
  return operation.kind === "query"
    ? `the ${operation.type} query for ${operation.name}`
    : `the update of ${operation.what}`;
}

export class Rfc2136Client {
  readonly #options: Rfc2136ClientOptions;
  readonly server: string;
  /** A reply signed with our key verified: the server knows the key (so a later BADKEY is its policy). */
  #keyAccepted = false;

  constructor(options: Rfc2136ClientOptions) {
    this.#options = options;
    this.server = `DNS server ${formatEndpoint(options.endpoint)}`;
  }

  get key(): TsigKey | undefined {
    return this.#options.key;
  }

  error(message: string, kind: ProviderErrorKind, code?: string): ProviderError {
    return new ProviderError(message, { kind, provider: this.#options.id, ...(code ? { code } : {}) });
  }

  #keyHint(): string {
    const key = this.#options.key;
    if (!key) return "";
    const origin = this.#options.keyOrigin ? ` (from ${this.#options.keyOrigin})` : "";
    return `check the key name, algorithm (${key.algorithm}) and secret${origin} against the server's key`;
  }

  /**
   * A query (signed when a key is configured), retried on transport failures and SERVFAIL.
   * `allowUnsigned`: an unsigned reply is returned (verified: false) instead of failing; TSIG errors
   * still fail.
   */
  query(
    name: string,
    type: number,
    typeText: string,
    signal: AbortSignal,
    allowUnsigned = false,
  ): Promise<Answer> {
    return this.#send(
      (id) => ({
        id,
        flags: requestFlags(OPCODE.QUERY),
        question: [{ name, type, class: CLASS.IN }],
        answer: [],
        authority: [],
        additional: [],
      }),
      { kind: "query", name, type: typeText },
      signal,
      allowUnsigned,
    );
  }

  /** An UPDATE built by `build` (given a fresh message ID per attempt), retried like a query. */
  update(
    build: (id: number) => Message,
    operation: Operation & { kind: "update" },
    signal: AbortSignal,
  ): Promise<Answer> {
    return this.#send(build, operation, signal, false);
  }

  async #send(
    build: (id: number) => Message,
    operation: Operation,
    signal: AbortSignal,
    allowUnsigned: boolean,
  ): Promise<Answer> {
    return retryTransient(
      async () => {
        let answer: Answer;
        try {
          // A fresh message ID per attempt: a late reply to an earlier one is then never taken.
          answer = await this.#once(build(randomInt(0x10000)), operation, signal, allowUnsigned);
        } catch (error) {
          if (!(error instanceof TransportError)) throw error;
          // An unknown server name is permanent. "aborted" is the caller's signal (the run's deadline,
          // a shutdown), which retryTransient never retries past.
          const kind = error.reason === "resolve" ? "permanent" : "transient";
          throw this.error(
            `${describeOperation(operation)} failed: ${error.message}${kind === "transient" ? "; homing retries on the next run" : ""}`,
            kind,
          );
        }
        if (answer.rcode !== RCODE.SERVFAIL) return answer;
        throw this.error(
          `${this.server} failed to process ${describeOperation(operation)} (SERVFAIL): a server-side problem (see its log); homing retries on the next run`,
          "transient",
          "SERVFAIL",
        );
      },
      { context: this.#options.context, signal },
    );
  }

  async #once(
    message: Message,
    operation: Operation,
    signal: AbortSignal,
    allowUnsigned: boolean,
  ): Promise<Answer> {
    const { key, now } = this.#options;
    const encoded = encodeMessage(message);
    const signed = key ? signMessage(encoded, key, { now }) : undefined;
    const started = performance.now();
    const reply = await exchange(this.#options.endpoint, signed?.wire ?? encoded, {
      signal,
      timeoutMs: this.#options.timeoutMs,
      mode: this.#options.mode,
    });
    const rcode = rcodeOf(reply.message.flags);
    const said = rcodeName(rcode);
    this.#options.context.logger.debug(
      `${this.server}: ${describeOperation(operation)} over ${reply.via.toUpperCase()} answered ${said} in ${Math.round(performance.now() - started)} ms`,
    );
    if (!key || !signed) return { message: reply.message, rcode, verified: false, via: reply.via };
    const verdict = verifyMessage(reply.wire, reply.message, key, { now, requestMac: signed.mac });
    const tsigError = verdict.status === "unsigned" ? 0 : verdict.record.error;
    const code = tsigError ? `${said}/${tsigErrorName(tsigError)}` : said;
    if (verdict.status === "valid") {
      if (tsigError === TSIG_ERROR.BADTIME) {
        const serverTime = serverTimeOf(verdict.record);
        const offset = serverTime === undefined ? undefined : serverTime - signed.timeSigned;
        throw this.#badTime(offset, verdict.record.fudge);
      }
      if (tsigError !== 0) {
        throw this.error(
          `${this.server} rejected the TSIG key "${key.name}" (${code}): ${this.#keyHint()}`,
          "auth",
          code,
        );
      }
      this.#keyAccepted = true;
      return { message: reply.message, rcode, verified: true, via: reply.via };
    }
    // Below: the reply is not authenticated. Nothing in it can count as success.
    if (verdict.status === "invalid") {
      throw this.error(
        `${this.server} answered ${describeOperation(operation)} (${code}), but the reply's TSIG signature is not valid (${verdict.reason}), so homing cannot trust it: ${this.#keyHint()}`,
        "auth",
        code,
      );
    }
    if (tsigError === TSIG_ERROR.BADTIME) throw this.#badTime(undefined, 0);
    if (
      operation.kind === "update" &&
      this.#keyAccepted &&
      (tsigError === TSIG_ERROR.BADKEY || (tsigError === 0 && rcode === RCODE.NOTAUTH))
    ) {
      // Knot answers an update its acl denies with NOTAUTH/BADKEY, although it verified the key.
      throw this.error(
        `${this.server} rejected ${describeOperation(operation)} (${code}), although it accepted the key "${key.name}" for queries: the server's update policy does not allow this key to change ${operation.name}; grant it (BIND: update-policy; Knot: an acl with action: update and update-owner-name) or fix providers.${this.#options.id}.zone`,
        "auth",
        code,
      );
    }
    if (tsigError !== 0 || rcode === RCODE.NOTAUTH) {
      throw this.error(
        `${this.server} rejected the TSIG key "${key.name}" (${code}): ${this.#keyHint()}`,
        "auth",
        code,
      );
    }
    if (verdict.status === "unsigned" && allowUnsigned) {
      return { message: reply.message, rcode, verified: false, via: reply.via };
    }
    if (rcode === RCODE.REFUSED && operation.kind === "update") {
      throw this.error(
        `${this.server} refused ${describeOperation(operation)} with an unsigned reply (REFUSED): either it does not accept the key "${key.name}" (${this.#keyHint()}), or its update policy does not allow this key to change this name`,
        "auth",
        code,
      );
    }
    throw this.error(
      `${this.server} answered ${describeOperation(operation)} (${code}) without signing the reply, so homing cannot trust it: the server may not know the key "${key.name}"; ${this.#keyHint()}`,
      "auth",
      code,
    );
  }

  #badTime(offset: number | undefined, fudge: number): ProviderError {
    if (offset === undefined) {
      return this.error(
        `${this.server} rejected the request's time (BADTIME), but its reply was not signed, so the clock difference is unknown: check that this machine's clock is right (NTP)`,
        "auth",
        "NOTAUTH/BADTIME",
      );
    }
    const direction = offset < 0 ? "ahead of" : "behind";
    return this.error(
      `${this.server} rejected the request's time (BADTIME): this machine's clock is ${Math.abs(offset)} s ${direction} the server's (allowed: ${fudge} s); fix the clock (enable NTP, e.g. systemd-timesyncd) on this machine or on the server`,
      "auth",
      "NOTAUTH/BADTIME",
    );
  }

  /** An error for an rcode the caller does not handle itself. */
  failure(answer: Answer, operation: Operation, providerId: string): ProviderError {
    const said = rcodeName(answer.rcode);
    const server = this.server;
    const zoneKey = `providers.${providerId}.zone`;
    const serverKey = `providers.${providerId}.server`;
    if (operation.kind === "query") {
      if (answer.rcode === RCODE.REFUSED || answer.rcode === RCODE.NOTAUTH) {
        return this.error(
          `${server} refused ${describeOperation(operation)} (${said}): it does not serve that name, or does not answer this host; set ${serverKey} to the primary server of the name's zone`,
          "permanent",
          said,
        );
      }
      return this.error(`${server} answered ${describeOperation(operation)} with ${said}`, "permanent", said);
    }
    const key = this.#options.key;
    switch (answer.rcode) {
      case RCODE.REFUSED:
        return this.error(
          key
            ? `${server} refused ${describeOperation(operation)} (REFUSED): the server's update policy does not allow the key "${key.name}" to change this name; grant it in the zone's update-policy (BIND) or acl (Knot)`
            : `${server} refused ${describeOperation(operation)} (REFUSED): the server's update policy does not allow unsigned updates from this host; configure a TSIG key (key_file, or key_name and key_secret_file)`,
          "auth",
          said,
        );
      case RCODE.NOTAUTH:
        return key
          ? this.error(
              `${server} is not authoritative for zone ${operation.zone} (NOTAUTH): set ${serverKey} to the zone's primary server, or fix ${zoneKey}`,
              "permanent",
              said,
            )
          : this.error(
              `${server} rejected ${describeOperation(operation)} (NOTAUTH): it does not accept unsigned updates from this host (Knot answers so), or it is not authoritative for zone ${operation.zone}; configure a TSIG key (key_file, or key_name and key_secret_file), and check ${serverKey} and ${zoneKey}`,
              "auth",
              said,
            );
      case RCODE.NOTZONE:
        return this.error(
          `${server} says ${operation.name} is not inside zone ${operation.zone} (NOTZONE): set ${zoneKey} to the zone that holds the name, or remove ${zoneKey} to let homing find it`,
          "permanent",
          said,
        );
      case RCODE.NOTIMP:
        return this.error(
          `${server} does not support dynamic updates (NOTIMP): enable them for zone ${operation.zone} (allow-update or update-policy in BIND, an acl with action: update in Knot)`,
          "permanent",
          said,
        );
      case RCODE.FORMERR:
        return this.error(
          `${server} could not parse ${describeOperation(operation)} (FORMERR); please report this as a homing bug, with the server's name and version`,
          "permanent",
          said,
        );
      default:
        return this.error(`${server} rejected ${describeOperation(operation)} (${said})`, "permanent", said);
    }
  }
}
