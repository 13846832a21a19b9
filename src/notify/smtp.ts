/**
 * A minimal SMTP submission client over node:net / node:tls: EHLO (HELO fallback), STARTTLS,
 * AUTH PLAIN / LOGIN, one message to several recipients, all under one deadline. No dependency:
 * nodemailer would do it but weighs more than the rest of homing together, and notifications need
 * only this much (docs/design.md keeps the runtime dependencies to two).
 *
 * Protocol facts: RFC 5321 (SMTP: replies are "code-text" continuation lines ending in "code text";
 * DATA ends with CRLF.CRLF and lines starting with "." are doubled), RFC 3207 (STARTTLS: 220, then
 * a TLS handshake and a fresh EHLO), RFC 4954 (AUTH: 334 challenges, 235 success), RFC 4616
 * (PLAIN: base64 of "\0user\0password"), the de-facto LOGIN mechanism (base64 user, then password).
 *
 * Safety: the password is never sent without TLS unless the URL says encryption=none; errors name
 * the command verb and the server's reply, never an argument of AUTH.
 */
import type * as net from "node:net";
import type * as tls from "node:tls";
import { describeConnectionFailure } from "../core/connection-failure.ts";
import type { SmtpAuth, SmtpEncryption } from "./urls.ts";

export interface MailOptions {
  host: string;
  port: number;
  encryption: SmtpEncryption;
  auth: SmtpAuth;
  username: string | undefined;
  password: string | undefined;
  clientHost: string;
  from: string;
  to: readonly string[];
  /** The whole RFC 5322 message, CRLF line ends, without the final ".". */
  data: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Certificates to trust instead of the system CAs (a private CA; the tests). */
  ca?: string | Buffer | undefined;
}

/** An SMTP exchange that failed. 4xx replies and connection trouble are worth another try. */
export class SmtpError extends Error {
  override readonly name = "SmtpError";
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, cause?: unknown) {
    super(message, { cause });
    this.retryable = retryable;
  }
}

interface Reply {
  code: number;
  lines: string[];
}

const MAX_BUFFER = 64 * 1024;

/** One SMTP connection: reads replies as they complete, survives the STARTTLS socket swap. */
class Connection {
  #socket: net.Socket;
  #buffer = "";
  #lines: string[] = [];
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #where: string;
  readonly #host: string;
  readonly #onData = (chunk: Buffer) => {
    this.#buffer += chunk.toString("utf8");
    if (this.#buffer.length > MAX_BUFFER) {
      this.fail(new SmtpError(`${this.#where}: the server sent an overlong line`, false));
      return;
    }
    let end = this.#buffer.indexOf("\n");
    while (end >= 0) {
      this.#lines.push(this.#buffer.slice(0, end).replace(/\r$/, ""));
      this.#buffer = this.#buffer.slice(end + 1);
      end = this.#buffer.indexOf("\n");
    }
    this.#notify();
  };
  readonly #onError = (error: NodeJS.ErrnoException) => {
    const { text, tls } = describeConnectionFailure(error, { host: this.#host, now: new Date() });
    this.fail(new SmtpError(`${this.#where}: ${text}`, !tls, error));
  };
  readonly #onClose = () =>
    this.fail(new SmtpError(`${this.#where}: the server closed the connection`, true));

  constructor(socket: net.Socket, where: string, host: string) {
    this.#socket = socket;
    this.#where = where;
    this.#host = host;
    this.#attach();
  }

  #attach(): void {
    this.#socket.on("data", this.#onData);
    this.#socket.on("error", this.#onError);
    this.#socket.on("close", this.#onClose);
  }

  #detach(): void {
    this.#socket.off("data", this.#onData);
    this.#socket.off("error", this.#onError);
    this.#socket.off("close", this.#onClose);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    this.#socket.destroy();
    this.#notify();
  }

  get failed(): Error | undefined {
    return this.#error;
  }

  /** The next complete reply (one or more lines; the last has a space after the code). */
  async reply(): Promise<Reply> {
    for (;;) {
      const lastIndex = this.#lines.findIndex((line) => !/^\d{3}-/.test(line));
      if (lastIndex >= 0) {
        const lines = this.#lines.splice(0, lastIndex + 1);
        const last = lines[lines.length - 1] as string;
        const code = /^\d{3}(?: |$)/.test(last) ? Number(last.slice(0, 3)) : 0;
        if (code === 0) throw new SmtpError(`${this.#where}: the server does not speak SMTP`, false);
        return { code, lines: lines.map((line) => line.slice(4)) };
      }
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  write(text: string): void {
    if (!this.#error) this.#socket.write(text);
  }

  /** Swaps the plain socket for a TLS one over it (after a 220 to STARTTLS). */
  async startTls(tlsModule: typeof tls, options: tls.ConnectionOptions): Promise<void> {
    this.#detach();
    const secure = tlsModule.connect({ ...options, socket: this.#socket });
    this.#socket = secure;
    await handshake(secure, "secureConnect", this.#where, this.#host);
    this.#attach();
  }

  close(): void {
    this.#detach();
    this.#socket.on("error", () => {});
    this.#socket.end();
    this.#socket.destroy();
  }
}

function handshake(
  socket: net.Socket,
  event: "connect" | "secureConnect",
  where: string,
  host: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      socket.off(event, onReady);
      socket.off("close", onClose);
      const { text, tls } = describeConnectionFailure(error, { host, now: new Date() });
      reject(new SmtpError(`${where}: ${text}`, !tls, error));
    };
    const onClose = () => {
      socket.off(event, onReady);
      socket.off("error", onError);
      reject(new SmtpError(`${where}: the connection closed during the handshake`, true));
    };
    const onReady = () => {
      socket.off("error", onError);
      socket.off("close", onClose);
      resolve();
    };
    socket.once(event, onReady);
    socket.once("error", onError);
    socket.once("close", onClose);
  });
}

function firstLine(reply: Reply): string {
  return `${reply.code} ${reply.lines[reply.lines.length - 1] ?? ""}`.trim().slice(0, 200);
}

/** Sends one message. Throws SmtpError (never with a credential in its message). */
export async function sendMail(options: MailOptions): Promise<void> {
  // Loaded on first use, like node:https in src/http/request.ts: a run that sends no mail never pays for them.
  const net = await import("node:net");
  const tls = await import("node:tls");
  const where = `smtp://${net.isIPv6(options.host) ? `[${options.host}]` : options.host}:${options.port}`;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  if (signal.aborted) throw new SmtpError(`${where}: cancelled`, false);
  const implicit = options.encryption === "tls" || (options.encryption === "auto" && options.port === 465);
  const tlsOptions: tls.ConnectionOptions = {
    ...(net.isIP(options.host) ? {} : { servername: options.host }),
    ...(options.ca ? { ca: options.ca } : {}),
  };
  const socket = implicit
    ? tls.connect({ ...tlsOptions, host: options.host, port: options.port })
    : net.connect({ host: options.host, port: options.port });
  const connection = new Connection(socket, where, options.host);
  const onAbort = () =>
    connection.fail(
      deadline.aborted
        ? new SmtpError(`${where}: no answer within ${options.timeoutMs} ms`, true)
        : new SmtpError(`${where}: cancelled`, false),
    );
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([
      handshake(socket, implicit ? "secureConnect" : "connect", where, options.host),
      new Promise<never>((_, reject) => {
        signal.addEventListener("abort", () => reject(connection.failed), { once: true });
      }),
    ]);
    await converse(connection, options, where, implicit, () => connection.startTls(tls, tlsOptions));
  } finally {
    signal.removeEventListener("abort", onAbort);
    connection.close();
  }
}

async function converse(
  connection: Connection,
  options: MailOptions,
  where: string,
  implicit: boolean,
  startTls: () => Promise<void>,
): Promise<void> {
  const expect = async (what: string, ...codes: number[]): Promise<Reply> => {
    const reply = await connection.reply();
    if (!codes.includes(reply.code)) {
      throw new SmtpError(
        `${where}: the server refused ${what}: ${firstLine(reply)}`,
        reply.code >= 400 && reply.code < 500,
      );
    }
    return reply;
  };
  const command = (line: string, what: string, ...codes: number[]): Promise<Reply> => {
    connection.write(`${line}\r\n`);
    return expect(what, ...codes);
  };
  const hello = async (): Promise<Map<string, string[]>> => {
    connection.write(`EHLO ${options.clientHost}\r\n`);
    const reply = await connection.reply();
    if (reply.code !== 250) {
      await command(`HELO ${options.clientHost}`, "HELO", 250);
      return new Map();
    }
    const capabilities = new Map<string, string[]>();
    for (const line of reply.lines.slice(1)) {
      const [keyword, ...params] = line.trim().split(/\s+/);
      if (keyword)
        capabilities.set(
          keyword.toUpperCase(),
          params.map((p) => p.toUpperCase()),
        );
    }
    return capabilities;
  };

  await expect("the connection", 220);
  let capabilities = await hello();
  let secure = implicit;
  if (!secure && options.encryption !== "none") {
    if (capabilities.has("STARTTLS")) {
      await command("STARTTLS", "STARTTLS", 220);
      await startTls();
      secure = true;
      capabilities = await hello();
    } else if (options.encryption === "starttls") {
      throw new SmtpError(`${where}: the server does not offer STARTTLS (encryption=explicittls)`, false);
    }
  }

  if (options.username !== undefined && options.auth !== "none") {
    if (!secure && options.encryption !== "none") {
      throw new SmtpError(
        `${where}: the server offers no STARTTLS, so homing will not send the password in the clear; use encryption=implicittls (port 465), or encryption=none on a trusted network`,
        false,
      );
    }
    const offered = capabilities.get("AUTH") ?? [];
    let mechanism = options.auth;
    if (mechanism === "auto") {
      if (offered.includes("PLAIN")) mechanism = "plain";
      else if (offered.includes("LOGIN")) mechanism = "login";
      else if (offered.length === 0) mechanism = "plain";
      else {
        throw new SmtpError(
          `${where}: the server offers AUTH ${offered.join(" ")}; homing supports PLAIN and LOGIN`,
          false,
        );
      }
    }
    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    const password = options.password ?? "";
    if (mechanism === "plain") {
      await command(`AUTH PLAIN ${b64(`\0${options.username}\0${password}`)}`, "AUTH PLAIN", 235);
    } else {
      await command("AUTH LOGIN", "AUTH LOGIN", 334);
      await command(b64(options.username), "the AUTH LOGIN user name", 334);
      await command(b64(password), "AUTH LOGIN (wrong user name or password?)", 235);
    }
  }

  await command(`MAIL FROM:<${options.from}>`, "MAIL FROM", 250);
  for (const recipient of options.to)
    await command(`RCPT TO:<${recipient}>`, `RCPT TO ${recipient}`, 250, 251);
  await command("DATA", "DATA", 354);
  const body = options.data.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
  connection.write(`${body}${body.endsWith("\r\n") ? "" : "\r\n"}.\r\n`);
  await expect("the message", 250);
  connection.write("QUIT\r\n");
  // The message is accepted; the answer to QUIT does not matter.
  await Promise.race([
    connection.reply().catch(() => undefined),
    new Promise((r) => setTimeout(r, 200).unref()),
  ]);
}
