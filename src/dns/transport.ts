/**
 * Sends one DNS message and returns the matching reply: over UDP (retransmitted with back-off,
 * switching to TCP when the reply is truncated) or over TCP only. Every exchange has a deadline.
 *
 * A reply matches when it parses, has QR set, the request's ID and opcode, and either no question or
 * the request's question. Over UDP the socket is connected to the server, so datagrams from anyone
 * else never arrive; non-matching datagrams are ignored (they may be late replies or spoofs) and the
 * wait goes on until the deadline.
 */
import type { Socket as UdpSocket } from "node:dgram";
import { parseAddress } from "../core/ip.ts";
import { linkedController } from "../platform/abort.ts";

// Node modules are fetched where they are used (process.getBuiltinModule), not imported at the
// top: the config schema imports this file, and a cron run must not pay for them (docs/design.md).

/** 4 or 6 for an address literal, 0 otherwise (net.isIP without loading node:net). */
function isIP(text: string): 0 | 4 | 6 {
  const parsed = parseAddress(text);
  return parsed ? (parsed.family === "ipv4" ? 4 : 6) : 0;
}

import {
  type DecodedMessage,
  decodeMessage,
  FLAG,
  opcodeOf,
  type Question,
  sameName,
  WireError,
} from "./wire.ts";

export interface Endpoint {
  host: string;
  port: number;
}

export type TransportMode = "udp" | "tcp";

export interface ExchangeOptions {
  /** The caller's signal (the run's deadline); aborting it stops the exchange at once. */
  signal: AbortSignal;
  /** Deadline of this one exchange, UDP retransmissions and a TCP fallback included. */
  timeoutMs: number;
  /** "udp" (default): UDP with TCP on truncation; "tcp": TCP only. */
  mode?: TransportMode;
  /** First UDP retransmission after this long; each next one waits twice as long. Default 1000. */
  retransmitMs?: number;
}

export interface Exchanged {
  wire: Buffer;
  message: DecodedMessage;
  via: TransportMode;
}

export type TransportFailure = "timeout" | "refused" | "network" | "garbage" | "aborted" | "resolve";

/** The exchange failed: no usable reply. `reason` says how, for the caller's classification. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly reason: TransportFailure;

  constructor(reason: TransportFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** "host:port", "[v6]:port" or a bare host (port 53). */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(":")
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}

/** Parses "host", "host:port", "[v6]" or "[v6]:port"; undefined when malformed. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(trimmed);
  let host: string;
  let port = "53";
  if (bracketed) {
    host = bracketed[1] as string;
    if (isIP(host) !== 6) return undefined;
    port = bracketed[2] ?? port;
  } else if (isIP(trimmed) === 6) {
    host = trimmed;
  } else {
    const plain = /^([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(trimmed);
    if (!plain) return undefined;
    host = plain[1] as string;
    port = plain[2] ?? port;
  }
  const number = Number(port);
  if (!Number.isInteger(number) || number < 1 || number > 65535) return undefined;
  return { host, port: number };
}

async function resolve(
  host: string,
  signal: AbortSignal,
  stopped: () => TransportError,
): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(host);
  if (literal) return { address: host, family: literal as 4 | 6 };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(stopped());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const { lookup } = process.getBuiltinModule("node:dns/promises");
    const found = await Promise.race([lookup(host), aborted]);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (error) {
    if (error instanceof TransportError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTFOUND: the name does not exist; other lookup failures (EAI_AGAIN, …) may pass.
    throw new TransportError(
      code === "ENOTFOUND" ? "resolve" : "network",
      `cannot resolve ${host} (${code ?? error})`,
    );
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** Why `reply` is not the answer to `request`, or undefined when it is. */
function mismatch(
  request: { id: number; opcode: number; question: Question | undefined },
  reply: DecodedMessage,
): string | undefined {
  if (!(reply.flags & FLAG.QR)) return "it is not a reply (QR is not set)";
  if (reply.id !== request.id) return `its ID ${reply.id} is not the request's ${request.id}`;
  if (opcodeOf(reply.flags) !== request.opcode)
    return `its opcode ${opcodeOf(reply.flags)} is not the request's`;
  if (reply.question.length === 0) return undefined;
  const question = reply.question[0] as Question;
  const asked = request.question;
  if (
    reply.question.length !== 1 ||
    !asked ||
    !sameName(question.name, asked.name) ||
    question.type !== asked.type ||
    question.class !== asked.class
  ) {
    return "its question is not the one asked";
  }
  return undefined;
}

function errnoFailure(error: unknown, what: string): TransportError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (code === "ECONNREFUSED")
    return new TransportError("refused", `${what}: connection refused (is the server running?)`);
  return new TransportError("network", `${what}: ${code || (error as Error).message}`);
}

function udpExchange(
  target: { address: string; family: 4 | 6; port: number },
  request: Buffer,
  expected: { id: number; opcode: number; question: Question | undefined },
  deadline: AbortSignal,
  stopped: () => TransportError,
  retransmitMs: number,
  what: string,
): Promise<Exchanged | "truncated"> {
  return new Promise((resolvePromise, reject) => {
    const { createSocket } = process.getBuiltinModule("node:dgram");
    const socket: UdpSocket = createSocket(target.family === 6 ? "udp6" : "udp4");
    let timer: NodeJS.Timeout | undefined;
    let ignored = 0;
    let lastProblem = "";
    let done = false;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      deadline.removeEventListener("abort", onAbort);
      socket.close();
      outcome();
    };
    const onAbort = () =>
      finish(() => {
        if (ignored > 0 && lastProblem) {
          reject(
            new TransportError(
              "garbage",
              `${what} got ${ignored} unusable repl${ignored === 1 ? "y" : "ies"} (${lastProblem}) and no valid one`,
            ),
          );
        } else {
          reject(stopped());
        }
      });
    deadline.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => finish(() => reject(errnoFailure(error, what))));
    socket.on("message", (wire) => {
      let message: DecodedMessage;
      try {
        message = decodeMessage(wire);
      } catch (error) {
        // A truncated reply may be cut anywhere: the header alone tells us to retry over TCP.
        if (wire.length >= 12 && wire.readUInt16BE(0) === expected.id && wire.readUInt16BE(2) & FLAG.TC) {
          finish(() => resolvePromise("truncated"));
          return;
        }
        ignored++;
        lastProblem = error instanceof WireError ? `malformed: ${error.message}` : "malformed";
        return;
      }
      const problem = mismatch(expected, message);
      if (problem) {
        ignored++;
        lastProblem = problem;
        return;
      }
      if (message.flags & FLAG.TC) finish(() => resolvePromise("truncated"));
      else finish(() => resolvePromise({ wire, message, via: "udp" }));
    });
    let interval = retransmitMs;
    const send = () => {
      socket.send(request, (error) => {
        if (error) finish(() => reject(errnoFailure(error, what)));
      });
      timer = setTimeout(send, interval);
      interval *= 2;
    };
    if (deadline.aborted) {
      onAbort();
      return;
    }
    socket.connect(target.port, target.address, () => {
      if (!done) send();
    });
  });
}

function tcpExchange(
  target: { address: string; port: number },
  request: Buffer,
  expected: { id: number; opcode: number; question: Question | undefined },
  deadline: AbortSignal,
  stopped: () => TransportError,
  what: string,
): Promise<Exchanged> {
  return new Promise((resolvePromise, reject) => {
    const { Socket: TcpSocket } = process.getBuiltinModule("node:net");
    const socket = new TcpSocket();
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      deadline.removeEventListener("abort", onAbort);
      socket.destroy();
      outcome();
    };
    const onAbort = () => finish(() => reject(stopped()));
    if (deadline.aborted) {
      onAbort();
      return;
    }
    deadline.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => finish(() => reject(errnoFailure(error, what))));
    socket.on("close", () =>
      finish(() =>
        reject(
          new TransportError("network", `${what}: the server closed the TCP connection without a full reply`),
        ),
      ),
    );
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      const wire = Buffer.from(received.subarray(2, 2 + length));
      finish(() => {
        let message: DecodedMessage;
        try {
          message = decodeMessage(wire);
        } catch (error) {
          reject(
            new TransportError(
              "garbage",
              `${what} got a malformed reply over TCP (${(error as Error).message})`,
            ),
          );
          return;
        }
        const problem = mismatch(expected, message);
        if (problem)
          reject(new TransportError("garbage", `${what} got a reply that does not match: ${problem}`));
        else resolvePromise({ wire, message, via: "tcp" });
      });
    });
    socket.connect(target.port, target.address, () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(request.length);
      socket.write(Buffer.concat([length, request]));
    });
  });
}

/**
 * Sends `request` (an encoded, possibly signed message) to `endpoint` and returns the reply that
 * matches it. Throws TransportError when there is none.
 */
export async function exchange(
  endpoint: Endpoint,
  request: Buffer,
  options: ExchangeOptions,
): Promise<Exchanged> {
  const what = `DNS server ${formatEndpoint(endpoint)}`;
  // A disposable deadline: a daemon making exchanges round after round keeps no timer alive.
  const { controller, dispose } = linkedController(options.signal, { timeoutMs: options.timeoutMs });
  const deadline = controller.signal;
  try {
    return await exchangeWithin(endpoint, request, options, deadline, what);
  } finally {
    dispose();
  }
}

async function exchangeWithin(
  endpoint: Endpoint,
  request: Buffer,
  options: ExchangeOptions,
  deadline: AbortSignal,
  what: string,
): Promise<Exchanged> {
  const stopped = () =>
    options.signal.aborted
      ? new TransportError(
          "aborted",
          `${what}: the exchange was cut short (the run hit its deadline or was interrupted)`,
        )
      : new TransportError("timeout", `${what} did not answer within ${options.timeoutMs / 1000} s`);
  if (deadline.aborted) throw stopped();
  const asked = decodeMessage(request);
  const expected = { id: asked.id, opcode: opcodeOf(asked.flags), question: asked.question[0] };
  const target = { ...(await resolve(endpoint.host, deadline, stopped)), port: endpoint.port };
  if (options.mode !== "tcp") {
    const reply = await udpExchange(
      target,
      request,
      expected,
      deadline,
      stopped,
      options.retransmitMs ?? 1000,
      what,
    );
    if (reply !== "truncated") return reply;
  }
  return tcpExchange(target, request, expected, deadline, stopped, what);
}
