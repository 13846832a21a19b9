import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, TLSSocket } from "node:tls";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import { type Config, configSchema } from "../../src/config/schema.ts";
import { emptyState, type State } from "../../src/core/state.ts";
import type { RoundContext } from "../../src/engine/observer.ts";
import type { RecordOutcome, RoundReport } from "../../src/engine/round.ts";
import { ConfigError } from "../../src/errors.ts";
import { Heartbeat } from "../../src/notify/heartbeat.ts";
import { buildObservers } from "../../src/notify/index.ts";
import { type Delivery, Notifier } from "../../src/notify/notifier.ts";
import type { SenderConfig } from "../../src/notify/senders.ts";
import { parseNotifyUrl } from "../../src/notify/urls.ts";
import type { Logger } from "../../src/platform/log.ts";
import { PROVIDER_SCHEMAS } from "../../src/providers/schemas.ts";
import {
  canary,
  leakedFragment,
  type Receiver,
  type Reply,
  startHttpReceiver,
} from "../support/notify-receiver.ts";

// A self-signed certificate for localhost / 127.0.0.1, valid until 2126, used only by these tests.
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2dfRN6Ur+yMGcliU
yOTqVrEhv7QY5YLZfl22odpGcNmhRANCAARk2iXEifQdzzW6BxOuScMgLN23wGEN
7PBiBWRcUHCk69THQBEgiLkoxQNFajcBlMpRFZRjHzTEjF/9Y9F0WS7t
-----END PRIVATE KEY-----
`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUFPSxOVG6mvZ8DJfEY3z41QAD4kQwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNzE3Mzc1MVoYDzIxMjYxMTAz
MTczNzUxWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARk2iXEifQdzzW6BxOuScMgLN23wGEN7PBiBWRcUHCk69THQBEgiLko
xQNFajcBlMpRFZRjHzTEjF/9Y9F0WS7to28wbTAdBgNVHQ4EFgQURP1d+tBMRoCk
JgkFhbzR9WNng2swHwYDVR0jBBgwFoAURP1d+tBMRoCkJgkFhbzR9WNng2swDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIhAMbLa6SZf9dZYGTIJMedaXkBhEiBPsOP8N8gB0snEj+YAiAQ
QGydsrgKCi/Tk0yjGC9uqmFW0WHtn4+hCa1MoQpBfg==
-----END CERTIFICATE-----
`;

const NAME = "home.example.com";
const IP1 = "81.2.69.142";
const IP2 = "81.2.69.160";
const CHANGE_TITLE = `homing: ${NAME} A changed`;
const CHANGE_BODY = `${NAME} A: ${IP1} → ${IP2} (dh)`;

// ------------------------------------------------------------------------------------------------
// Receivers

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A recording HTTP receiver (test/support/notify-receiver.ts), closed after each test. */
async function startReceiver(replies: Reply[] = [], fallback?: Reply): Promise<Receiver> {
  const receiver = await startHttpReceiver(replies, fallback);
  closers.push(receiver.close);
  return receiver;
}

interface Mail {
  helo: string;
  tls: boolean;
  auth: { mechanism: string; user: string; password: string } | undefined;
  from: string;
  to: string[];
  data: string;
}

interface SmtpReceiverOptions {
  /** starttls: plain, offers STARTTLS; implicit: TLS from the first byte; plain: no TLS at all. */
  mode: "starttls" | "implicit" | "plain";
  /** Password AUTH accepts (anything else: 535). */
  password: string;
  /** Answer MAIL FROM with this reply the first `times` times (e.g. "451 4.3.0 try later"). */
  mailFromFailure?: { reply: string; times: number };
  /** Quote the offered password in the 535 reply (a server that echoes credentials). */
  echoPassword?: boolean;
}

interface SmtpReceiver {
  port: number;
  mails: Mail[];
  /** Every line the receiver read, with the connection's TLS state, for "no AUTH in the clear". */
  lines: Array<{ tls: boolean; line: string }>;
}

/** A minimal SMTP receiver: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT. */
async function startSmtpReceiver(options: SmtpReceiverOptions): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const lines: SmtpReceiver["lines"] = [];
  let mailFromFailures = options.mailFromFailure?.times ?? 0;

  const handle = (first: Socket, startsSecure: boolean) => {
    let socket: Socket = first;
    let secure = startsSecure;
    let buffer = "";
    let helo = "";
    let auth: Mail["auth"];
    let from = "";
    let to: string[] = [];
    let data: string[] | undefined;
    let pending: ((line: string) => void) | undefined;
    const send = (text: string) => socket.write(`${text}\r\n`);
    const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
    const checkAuth = (mechanism: string, user: string, password: string) => {
      if (password === options.password) {
        auth = { mechanism, user, password };
        send("235 2.7.0 Authentication successful");
      } else {
        send(`535 5.7.8 Authentication failed${options.echoPassword ? ` for ${user}/${password}` : ""}`);
      }
    };
    const onLine = (line: string) => {
      lines.push({ tls: secure, line });
      if (data) {
        if (line === ".") {
          mails.push({ helo, tls: secure, auth, from, to, data: data.join("\r\n") });
          data = undefined;
          send("250 2.0.0 queued");
        } else {
          data.push(line.startsWith("..") ? line.slice(1) : line);
        }
        return;
      }
      if (pending) {
        const next = pending;
        pending = undefined;
        next(line);
        return;
      }
      const [verb = "", ...args] = line.split(" ");
      switch (verb.toUpperCase()) {
        case "EHLO": {
          helo = args[0] ?? "";
          const caps = ["250-receiver.test greets you"];
          if (options.mode === "starttls" && !secure) caps.push("250-STARTTLS");
          caps.push("250-AUTH PLAIN LOGIN", "250 8BITMIME");
          socket.write(`${caps.join("\r\n")}\r\n`);
          return;
        }
        case "STARTTLS": {
          send("220 2.0.0 ready to start TLS");
          socket.removeAllListeners("data");
          const upgraded = new TLSSocket(socket, { isServer: true, key: TLS_KEY, cert: TLS_CERT });
          upgraded.on("error", () => {});
          socket = upgraded;
          secure = true;
          buffer = "";
          upgraded.on("data", onData);
          return;
        }
        case "AUTH": {
          const mechanism = (args[0] ?? "").toUpperCase();
          if (mechanism === "PLAIN") {
            const [, user = "", password = ""] = decode(args[1] ?? "").split("\0");
            checkAuth("PLAIN", user, password);
          } else if (mechanism === "LOGIN") {
            send("334 VXNlcm5hbWU6");
            pending = (userLine) => {
              send("334 UGFzc3dvcmQ6");
              pending = (passwordLine) => checkAuth("LOGIN", decode(userLine), decode(passwordLine));
            };
          } else {
            send("504 5.5.4 unrecognized authentication type");
          }
          return;
        }
        case "MAIL":
          if (mailFromFailures > 0 && options.mailFromFailure) {
            mailFromFailures--;
            send(options.mailFromFailure.reply);
            return;
          }
          from = /<(.*)>/.exec(line)?.[1] ?? "";
          to = [];
          send("250 2.1.0 ok");
          return;
        case "RCPT":
          to.push(/<(.*)>/.exec(line)?.[1] ?? "");
          send("250 2.1.5 ok");
          return;
        case "DATA":
          data = [];
          send("354 end data with <CR><LF>.<CR><LF>");
          return;
        case "QUIT":
          send("221 2.0.0 bye");
          socket.end();
          return;
        default:
          send("502 5.5.2 command not recognized");
      }
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let end = buffer.indexOf("\r\n");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        onLine(line);
        end = buffer.indexOf("\r\n");
      }
    };
    socket.on("data", onData);
    socket.on("error", () => {});
    send("220 receiver.test ESMTP");
  };

  const server: NetServer =
    options.mode === "implicit"
      ? createTlsServer({ key: TLS_KEY, cert: TLS_CERT }, (socket) => handle(socket, true))
      : createNetServer((socket) => handle(socket, false));
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as { port: number }).port, mails, lines };
}

/** Headers and the decoded text body of a received mail. */
function parseMail(data: string): { headers: Record<string, string>; body: string } {
  const [head = "", encoded = ""] = data.split("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: Buffer.from(encoded.replace(/\r\n/g, ""), "base64").toString("utf8") };
}

// ------------------------------------------------------------------------------------------------
// Observers and synthetic rounds

/** A logger that keeps every line raw: no redaction, so a leak in our own text would show. */
function rawLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return {
    lines,
    debug: log("debug"),
    info: log("info"),
    notice: log("notice"),
    warn: log("warn"),
    error: log("error"),
    addSecret: () => {},
    secrets: () => [],
  };
}

const noSleep = async () => {};

function notifier(
  urls: string[],
  logger: Logger,
  senderConfig: SenderConfig = {},
  timeoutMs = 2000,
): Notifier {
  return new Notifier({
    targets: urls.map((url) => parseNotifyUrl(url)),
    failureThreshold: 3,
    startStop: true,
    timeoutMs,
    logger,
    sleep: noSleep,
    senderConfig,
    hostname: "pi",
  });
}

function report(records: RecordOutcome[], ok = records.every((r) => r.status !== "failed")): RoundReport {
  return {
    startedAt: "2026-01-01T10:00:00.000Z",
    finishedAt: "2026-01-01T10:00:01.250Z",
    dryRun: false,
    detection: [],
    records,
    ok,
  };
}

const changed: RecordOutcome = {
  provider: "dh",
  name: NAME,
  type: "A",
  status: "updated",
  address: IP2,
  previous: IP1,
  warnings: [],
};
const unchanged: RecordOutcome = {
  provider: "dh",
  name: NAME,
  type: "A",
  status: "unchanged",
  address: IP2,
  warnings: [],
};
const failed: RecordOutcome = {
  provider: "dh",
  name: NAME,
  type: "A",
  status: "failed",
  reason: "DreamHost did not answer (connection refused)",
  warnings: [],
};

function context(state: State = emptyState()): RoundContext {
  return {
    config: v.parse(configSchema(PROVIDER_SCHEMAS), {
      records: [{ name: NAME, provider: "dh" }],
      providers: {},
    }),
    state,
    daemon: {
      version: "0.1.0",
      startedAt: new Date("2026-01-01T09:00:00Z"),
      nextRoundAt: undefined,
      roundRunning: false,
      roundsOk: 3,
      roundsFailed: 1,
      lastSuccessAt: undefined,
      lastFailureAt: undefined,
      lastFailure: undefined,
    },
    now: new Date("2026-01-01T10:00:00Z"),
  };
}

/** A state in which the record has failed `failures` rounds in a row (as the engine leaves it). */
function stateWithFailures(failures: number): State {
  const state = emptyState();
  state.records[`dh/${NAME}/A`] = {
    provider: "dh",
    name: NAME,
    type: "A",
    published: IP1,
    verifiedAt: null,
    changedAt: null,
    lastRunAt: "2026-01-01T10:00:00Z",
    lastResult: "failed",
    lastError: failed.reason as string,
    failures,
  };
  return state;
}

// ------------------------------------------------------------------------------------------------

describe("every target gets the same short message, in its own API's shape", () => {
  it("ntfy, Gotify, Discord, Slack, Telegram, a generic webhook and SMTP", async () => {
    const key = canary();
    const ntfy = await startReceiver();
    const gotify = await startReceiver();
    const discord = await startReceiver();
    const slack = await startReceiver();
    const telegram = await startReceiver();
    const generic = await startReceiver();
    const smtp = await startSmtpReceiver({ mode: "starttls", password: key });
    const logger = rawLogger();
    const subject = notifier(
      [
        `ntfy://:${key}@127.0.0.1:${ntfy.port}/homing-alerts?scheme=http`,
        `gotify://127.0.0.1:${gotify.port}/${key}?disabletls=yes`,
        `discord://${key}@123456789012345678`,
        `slack://hook:T00000000-B00000000-${key}@webhook`,
        `telegram://110201543:${key}@telegram?chats=@homing_alerts,-1001234567890`,
        `generic+http://127.0.0.1:${generic.port}/hook/path?@X-Token=${key}&$host=pi&keep=1`,
        `smtp://homing:${key}@127.0.0.1:${smtp.port}/?from=homing@example.com&to=me@example.com,you@example.com&encryption=explicittls`,
      ],
      logger,
      {
        endpoints: {
          discord: discord.origin,
          slack: slack.origin,
          telegram: telegram.origin,
        },
        smtpCa: TLS_CERT,
      },
    );

    await subject.roundFinished(report([changed]), context());

    expect(ntfy.requests).toHaveLength(1);
    expect(ntfy.requests[0]).toMatchObject({
      method: "POST",
      path: "/homing-alerts",
      body: CHANGE_BODY,
      headers: {
        authorization: `Basic ${Buffer.from(`:${key}`).toString("base64")}`,
        title: CHANGE_TITLE,
        tags: "globe_with_meridians",
        "content-type": "text/plain; charset=utf-8",
      },
    });
    expect(ntfy.requests[0]?.headers.priority).toBeUndefined();

    expect(gotify.requests[0]).toMatchObject({
      method: "POST",
      path: "/message",
      headers: { "x-gotify-key": key },
    });
    expect(gotify.json()).toEqual({ title: CHANGE_TITLE, message: CHANGE_BODY, priority: 5 });

    expect(discord.requests[0]).toMatchObject({
      method: "POST",
      path: `/api/webhooks/123456789012345678/${key}`,
    });
    expect(discord.json()).toEqual({ content: CHANGE_BODY, allowed_mentions: { parse: [] } });

    expect(slack.requests[0]).toMatchObject({
      method: "POST",
      path: `/services/T00000000/B00000000/${key}`,
    });
    expect(slack.json()).toEqual({ text: CHANGE_BODY });

    expect(telegram.requests.map((r) => r.path)).toEqual([
      `/bot110201543:${key}/sendMessage`,
      `/bot110201543:${key}/sendMessage`,
    ]);
    expect([telegram.json(0), telegram.json(1)]).toEqual(
      expect.arrayContaining([
        { chat_id: "@homing_alerts", text: CHANGE_BODY },
        { chat_id: "-1001234567890", text: CHANGE_BODY },
      ]),
    );

    expect(generic.requests[0]).toMatchObject({
      method: "POST",
      path: "/hook/path?keep=1",
      headers: { "x-token": key, "content-type": "application/json" },
    });
    expect(generic.json()).toEqual({ host: "pi", title: CHANGE_TITLE, message: CHANGE_BODY });

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0] as Mail;
    expect(mail).toMatchObject({
      helo: "localhost",
      tls: true,
      auth: { mechanism: "PLAIN", user: "homing", password: key },
      from: "homing@example.com",
      to: ["me@example.com", "you@example.com"],
    });
    const { headers, body } = parseMail(mail.data);
    expect(headers).toMatchObject({
      from: "homing <homing@example.com>",
      to: "me@example.com, you@example.com",
      subject: CHANGE_TITLE,
      "content-type": "text/plain; charset=utf-8",
    });
    expect(body).toBe(`${CHANGE_BODY}\r\n`);
    // Nothing about credentials went over the connection before TLS.
    expect(smtp.lines.filter((l) => !l.tls).map((l) => l.line.split(" ")[0])).toEqual(["EHLO", "STARTTLS"]);

    expect(logger.lines.filter((l) => l.startsWith("warn"))).toEqual([]);
    expect(logger.lines.filter((l) => l.startsWith("info: notification sent to"))).toHaveLength(7);
  });

  it("sends a failing record with high priority and a warning tag; a non-ASCII title as an RFC 2047 word", async () => {
    const ntfy = await startReceiver();
    const gotify = await startReceiver();
    const subject = notifier(
      [
        `ntfy://127.0.0.1:${ntfy.port}/alerts?scheme=http&title=Heimnetz+%C3%9Cbersicht`,
        `gotify://127.0.0.1:${gotify.port}/AppToken123?disabletls=yes`,
      ],
      rawLogger(),
    );
    await subject.roundFinished(report([failed]), context(stateWithFailures(3)));
    expect(ntfy.requests[0]?.headers).toMatchObject({
      title: `=?UTF-8?B?${Buffer.from("Heimnetz Übersicht").toString("base64")}?=`,
      priority: "4",
      tags: "warning",
    });
    expect(ntfy.requests[0]?.body).toBe(
      `${NAME} A has failed 3 rounds in a row: DreamHost did not answer (connection refused). homing retries every round; run "homing check" to test the provider settings, and see the log for details.`,
    );
    expect(gotify.json()).toMatchObject({ title: `homing: ${NAME} A is failing`, priority: 8 });
  });

  it("tells about start and stop when start_stop is on", async () => {
    const ntfy = await startReceiver();
    const subject = notifier([`ntfy://127.0.0.1:${ntfy.port}/alerts?scheme=http`], rawLogger());
    await subject.daemonStarted(context());
    await subject.daemonStopping(context());
    expect(ntfy.requests.map((r) => [r.headers.title, r.body])).toEqual([
      ["homing started", `homing 0.1.0 started on pi: keeping ${NAME} A up to date, every 5m.`],
      [
        "homing stopped",
        "homing stopped on pi after 60m (4 rounds, 3 ok, 1 failed). DNS records are not kept up to date until it runs again.",
      ],
    ]);
  });
});

describe("delivery failures never fail a round", () => {
  it("retries after a 500 and succeeds, without a warning", async () => {
    const ntfy = await startReceiver([{ status: 500, body: "upstream down" }]);
    const logger = rawLogger();
    const subject = notifier([`ntfy://127.0.0.1:${ntfy.port}/alerts?scheme=http`], logger);
    const [delivery] = await subject.notify({ title: "t", body: "b", severity: "info" });
    expect(delivery).toEqual({ label: `ntfy://127.0.0.1:${ntfy.port}`, ok: true, attempts: 2 });
    expect(ntfy.requests).toHaveLength(2);
    expect(logger.lines.filter((l) => l.startsWith("warn"))).toEqual([]);
  });

  it("bounds a hung receiver by the timeout, for each of the 3 attempts", async () => {
    const hung = await startReceiver([], "hang");
    const ok = await startReceiver();
    const logger = rawLogger();
    const subject = notifier(
      [`ntfy://127.0.0.1:${hung.port}/alerts?scheme=http`, `ntfy://127.0.0.1:${ok.port}/alerts?scheme=http`],
      logger,
      {},
      300,
    );
    const started = performance.now();
    await subject.roundFinished(report([changed]), context());
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(850);
    expect(elapsed).toBeLessThan(3000);
    expect(hung.requests).toHaveLength(3);
    expect(ok.requests).toHaveLength(1);
    expect(logger.lines).toContain(
      `warn: notification to ntfy://127.0.0.1:${hung.port} failed after 3 attempts: http://127.0.0.1:${hung.port}: no answer within 300 ms`,
    );
  });

  it("gives up at once on a refusal (401), logs it, and still serves the other targets", async () => {
    const refusing = await startReceiver([], { status: 401, body: '{"error":"unauthorized"}' });
    const ok = await startReceiver();
    const closed = await startReceiver();
    await closed.close();
    const logger = rawLogger();
    const subject = notifier(
      [
        `gotify://127.0.0.1:${refusing.port}/BadToken1234?disabletls=yes`,
        `ntfy://127.0.0.1:${closed.port}/alerts?scheme=http`,
        `ntfy://127.0.0.1:${ok.port}/alerts?scheme=http`,
      ],
      logger,
    );
    await expect(subject.roundFinished(report([changed]), context())).resolves.toBeUndefined();
    expect(refusing.requests).toHaveLength(1);
    expect(ok.requests).toHaveLength(1);
    expect(logger.lines).toEqual(
      expect.arrayContaining([
        `warn: notification to gotify://127.0.0.1:${refusing.port} failed: HTTP 401: {"error":"unauthorized"} (check the token or password in the URL)`,
        `warn: notification to ntfy://127.0.0.1:${closed.port} failed after 3 attempts: http://127.0.0.1:${closed.port}: connection refused`,
      ]),
    );
  });
});

describe("SMTP", () => {
  it("speaks implicit TLS with AUTH LOGIN", async () => {
    const smtp = await startSmtpReceiver({ mode: "implicit", password: "pw-123456" });
    const subject = notifier(
      [
        `smtp://me:pw-123456@127.0.0.1:${smtp.port}/?from=h@example.com&to=me@example.com&encryption=implicittls&auth=login&subject=DNS+news`,
      ],
      rawLogger(),
      { smtpCa: TLS_CERT },
    );
    const [delivery] = await subject.notify({ title: "t", body: "line 1\n.line 2", severity: "info" });
    expect(delivery?.ok).toBe(true);
    expect(smtp.mails[0]).toMatchObject({
      tls: true,
      auth: { mechanism: "LOGIN", user: "me", password: "pw-123456" },
    });
    const { headers, body } = parseMail(smtp.mails[0]?.data ?? "");
    expect(headers.subject).toBe("DNS news");
    expect(body).toBe("line 1\n.line 2\r\n");
  });

  it("refuses to send a password without TLS, unless the URL says encryption=none", async () => {
    const smtp = await startSmtpReceiver({ mode: "plain", password: "pw-123456" });
    const logger = rawLogger();
    const url = `smtp://me:pw-123456@127.0.0.1:${smtp.port}/?from=h@example.com&to=me@example.com`;
    const [refused] = await notifier([url], logger).notify({ title: "t", body: "b", severity: "info" });
    expect(refused).toMatchObject({ ok: false, attempts: 1 });
    expect(refused?.error).toContain("will not send the password in the clear");
    expect(smtp.lines.map((l) => l.line.split(" ")[0])).not.toContain("AUTH");

    const [sent] = await notifier([`${url}&encryption=none`], logger).notify({
      title: "t",
      body: "b",
      severity: "info",
    });
    expect(sent?.ok).toBe(true);
    expect(smtp.mails[0]).toMatchObject({ tls: false, auth: { user: "me" } });
  });

  it("retries a 4xx reply and not a 5xx one", async () => {
    const busy = await startSmtpReceiver({
      mode: "plain",
      password: "x",
      mailFromFailure: { reply: "451 4.3.0 try again later", times: 1 },
    });
    const [retried] = await notifier(
      [`smtp://127.0.0.1:${busy.port}/?from=h@example.com&to=me@example.com&encryption=none`],
      rawLogger(),
    ).notify({ title: "t", body: "b", severity: "info" });
    expect(retried).toMatchObject({ ok: true, attempts: 2 });

    const refusing = await startSmtpReceiver({
      mode: "plain",
      password: "x",
      mailFromFailure: { reply: "550 5.7.1 relaying denied", times: 9 },
    });
    const [refused] = await notifier(
      [`smtp://127.0.0.1:${refusing.port}/?from=h@example.com&to=me@example.com&encryption=none`],
      rawLogger(),
    ).notify({ title: "t", body: "b", severity: "info" });
    expect(refused).toMatchObject({ ok: false, attempts: 1 });
    expect(refused?.error).toBe(
      `smtp://127.0.0.1:${refusing.port}: the server refused MAIL FROM: 550 5.7.1 relaying denied`,
    );
  });

  it("does not trust an unknown certificate", async () => {
    const smtp = await startSmtpReceiver({ mode: "starttls", password: "x" });
    const [delivery] = await notifier(
      [`smtp://127.0.0.1:${smtp.port}/?from=h@example.com&to=me@example.com`],
      rawLogger(),
    ).notify({ title: "t", body: "b", severity: "info" });
    expect(delivery).toMatchObject({ ok: false, attempts: 1 });
    // The shared translator (src/core/connection-failure.ts): what it is, and the CA advice.
    expect(delivery?.error).toMatch(
      /presented a self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); .*NODE_EXTRA_CA_CERTS=/,
    );
    expect(smtp.mails).toEqual([]);
  });
});

describe("heartbeats", () => {
  it("pings healthchecks start, then success or fail with the same run id and a short body", async () => {
    const hc = await startReceiver([], { status: 200, body: "OK" });
    let run = 0;
    const heartbeat = new Heartbeat({
      healthchecks: `${hc.origin}/ping/0b4e5c2a-uuid`,
      timeoutMs: 2000,
      logger: rawLogger(),
      sleep: noSleep,
      newRunId: () => `rid-${++run}`,
    });
    heartbeat.roundStarted(context());
    await heartbeat.roundFinished(report([unchanged]), context());
    heartbeat.roundStarted(context());
    await heartbeat.roundFinished(report([failed]), context());
    expect(hc.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ["POST", "/ping/0b4e5c2a-uuid/start?rid=rid-1", ""],
      ["POST", "/ping/0b4e5c2a-uuid?rid=rid-1", `${NAME} A is ${IP2}`],
      ["POST", "/ping/0b4e5c2a-uuid/start?rid=rid-2", ""],
      [
        "POST",
        "/ping/0b4e5c2a-uuid/fail?rid=rid-2",
        `${NAME} A failed: DreamHost did not answer (connection refused)`,
      ],
    ]);
  });

  it("pushes up/down, a message and the round's duration to Uptime Kuma", async () => {
    const kuma = await startReceiver([], { status: 200, body: '{"ok":true}' });
    const heartbeat = new Heartbeat({
      uptimeKuma: `${kuma.origin}/api/push/PushToken42?status=up&msg=OK&ping=`,
      timeoutMs: 2000,
      logger: rawLogger(),
      sleep: noSleep,
    });
    heartbeat.roundStarted(context());
    await heartbeat.roundFinished(report([changed]), context());
    await heartbeat.roundFinished(report([failed]), context());
    const pushes = kuma.requests.map((r) => {
      const url = new URL(r.path, kuma.origin);
      return [r.method, url.pathname, Object.fromEntries(url.searchParams)];
    });
    expect(pushes).toEqual([
      [
        "GET",
        "/api/push/PushToken42",
        { status: "up", msg: "OK: 1 record correct, 1 updated", ping: "1250" },
      ],
      [
        "GET",
        "/api/push/PushToken42",
        {
          status: "down",
          msg: `1 failed; ${NAME} A failed: DreamHost did not answer (connection refused)`,
          ping: "1250",
        },
      ],
    ]);
  });

  it("logs a refused push and never throws", async () => {
    const kuma = await startReceiver([], {
      status: 404,
      body: '{"ok":false,"msg":"Monitor not found or not active."}',
    });
    const logger = rawLogger();
    const heartbeat = new Heartbeat({
      uptimeKuma: `${kuma.origin}/api/push/Nope12345`,
      timeoutMs: 2000,
      logger,
    });
    await expect(heartbeat.roundFinished(report([unchanged]), context())).resolves.toBeUndefined();
    expect(logger.lines).toContain(
      `warn: heartbeat Uptime Kuma up to 127.0.0.1:${kuma.port} failed: HTTP 404: {"ok":false,"msg":"Monitor not found or not active."}`,
    );
  });
});

describe("buildObservers", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function config(input: Record<string, unknown>): Config {
    return v.parse(configSchema(PROVIDER_SCHEMAS), input);
  }

  it("reads notify.urls and notify.urls_file, warns about a file others can read, and builds both observers", async () => {
    dir = await mkdtemp(join(tmpdir(), "homing-notify-"));
    const file = join(dir, "urls");
    const ntfy = await startReceiver();
    await writeFile(
      file,
      `# my targets\n\nntfy://127.0.0.1:${ntfy.port}/from-file?scheme=http\n  # off: gotify://x/y\n`,
      {
        mode: 0o644,
      },
    );
    const logger = rawLogger();
    const observers = buildObservers(
      config({
        notify: { urls: [`ntfy://127.0.0.1:${ntfy.port}/inline?scheme=http`], urls_file: file },
        heartbeat: { healthchecks: "https://hc-ping.com/1c0b3d3a-2f3c-4bd8-9a56-2b7e1b1c0f00" },
      }),
      { logger, sleep: noSleep },
    );
    expect(observers.map((o) => o.name)).toEqual(["notifications", "heartbeat"]);
    expect(logger.lines).toContain(
      `warn: notification URL file ${file} is readable by every user (mode 0644); run: chmod 600 ${file}`,
    );
    const deliveries: Delivery[] = await (observers[0] as Notifier).notify({
      title: "t",
      body: "b",
      severity: "info",
    });
    // Same label twice: told apart by where each URL came from.
    expect(deliveries.map((d) => d.label)).toEqual([
      `ntfy://127.0.0.1:${ntfy.port} (notify.urls[0])`,
      `ntfy://127.0.0.1:${ntfy.port} (notify.urls_file ${file} line 3)`,
    ]);
    expect(ntfy.requests.map((r) => r.path).sort()).toEqual(["/from-file", "/inline"]);
  });

  it("builds nothing without URLs", () => {
    expect(buildObservers(config({}), { logger: rawLogger() })).toEqual([]);
  });

  it("rejects bad URLs with their position, all of them at once, never with their content", () => {
    const key = canary();
    let error: unknown;
    try {
      buildObservers(
        config({
          notify: { urls: [`gotify://gotify.example.com/?token=${key}`, `pushover://x:${key}@user`] },
          heartbeat: { uptime_kuma: `kuma.example/api/push/${key}` },
        }),
        { logger: rawLogger(), readFile: () => "" },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "heartbeat.uptime_kuma: not a valid URL",
      'notify.urls[0]: gotify://gotify.example.com: unknown option "token"; allowed: disabletls, priority, title',
      'notify.urls[1]: pushover://…: unsupported scheme "pushover"; homing sends to discord, generic, generic+http, generic+https, gotify, ntfy, slack, smtp, telegram',
    ]);
    expect(leakedFragment((error as Error).message, key)).toBeUndefined();
  });

  it("names an unreadable urls_file", () => {
    expect(() =>
      buildObservers(config({ notify: { urls_file: "/nonexistent/homing-urls" } }), { logger: rawLogger() }),
    ).toThrow("notify.urls_file: cannot read the URL file /nonexistent/homing-urls: no such file");
  });

  it("registers every URL and its tokens as secrets with the logger", () => {
    const secrets: string[] = [];
    const logger = { ...rawLogger(), addSecret: (value: string) => void secrets.push(value) };
    const key = canary();
    buildObservers(
      config({
        notify: { urls: [`telegram://1:${key}@telegram?chats=1`] },
        heartbeat: { healthchecks: `https://hc-ping.com/${key}` },
      }),
      { logger },
    );
    expect(secrets).toEqual(
      expect.arrayContaining([
        `telegram://1:${key}@telegram?chats=1`,
        `1:${key}`,
        key,
        `https://hc-ping.com/${key}`,
      ]),
    );
  });
});

describe("secret canary: no token from a notification or heartbeat URL is ever printed", () => {
  it("in success, refusals that quote the token back, hangs, refused connections and SMTP errors", async () => {
    const key = canary();
    const echo: Reply = { status: 401, echo: true };
    const [ntfy, gotify, discord, slack, telegram, generic, hc, kuma] = [
      await startReceiver([], echo),
      await startReceiver([], echo),
      await startReceiver([], echo),
      await startReceiver([], echo),
      await startReceiver([], echo),
      await startReceiver([], echo),
      await startReceiver([], echo),
      await startReceiver([], echo),
    ] as const;
    const hung = await startReceiver([], "hang");
    const ok = await startReceiver();
    const smtp = await startSmtpReceiver({
      mode: "starttls",
      password: "right-password",
      echoPassword: true,
    });
    const urls = [
      `ntfy://user:${key}@127.0.0.1:${ntfy.port}/alerts?scheme=http`,
      `ntfy://:${key}@127.0.0.1:${hung.port}/alerts?scheme=http`,
      `ntfy://:${key}@127.0.0.1:${ok.port}/alerts?scheme=http`,
      `ntfy://:${key}@127.0.0.1:1/alerts?scheme=http`,
      `gotify://127.0.0.1:${gotify.port}/${key}?disabletls=yes`,
      `discord://${key}@123456789012345678`,
      `slack://hook:T00000000-B00000000-${key}@webhook`,
      `telegram://110201543:${key}@telegram?chats=@homing_alerts`,
      `generic+http://u:${key}@127.0.0.1:${generic.port}/hook/${key}?@X-Token=${key}&token=${key}`,
      `smtp://homing:${key}@127.0.0.1:${smtp.port}/?from=homing@example.com&to=me@example.com`,
    ];
    const logger = rawLogger();
    const subject = new Notifier({
      targets: urls.map((url) => parseNotifyUrl(url)),
      failureThreshold: 1,
      startStop: true,
      timeoutMs: 300,
      logger,
      sleep: noSleep,
      senderConfig: {
        endpoints: {
          discord: discord.origin,
          slack: slack.origin,
          telegram: telegram.origin,
        },
        smtpCa: TLS_CERT,
      },
      hostname: "pi",
    });
    const heartbeat = new Heartbeat({
      healthchecks: `${hc.origin}/ping/${key}`,
      uptimeKuma: `${kuma.origin}/api/push/${key}?status=up&msg=OK&ping=`,
      timeoutMs: 300,
      logger,
      sleep: noSleep,
    });

    const texts: string[] = [];
    await subject.daemonStarted(context());
    heartbeat.roundStarted(context());
    await subject.roundFinished(report([failed]), context(stateWithFailures(1)));
    await heartbeat.roundFinished(report([failed]), context());
    await subject.roundFinished(report([changed]), context());
    await subject.daemonStopping(context());
    for (const delivery of await subject.notify({ title: "t", body: "b", severity: "info" })) {
      texts.push(JSON.stringify(delivery));
    }
    for (const url of [
      ...urls,
      `gotify://127.0.0.1/?token=${key}`,
      `telegram://${key}@telegram`,
      `slack://xoxb:${key}@C1`,
    ]) {
      try {
        buildObservers(v.parse(configSchema(PROVIDER_SCHEMAS), { notify: { urls: [url] } }), { logger });
      } catch (error) {
        texts.push(String(error), (error as Error).stack ?? "");
      }
    }

    // The receivers did get the token (so the test exercises real delivery)…
    expect(ok.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`:${key}`).toString("base64")}`);
    expect(ntfy.requests.length).toBeGreaterThan(0);
    expect(smtp.lines.some((l) => l.line.startsWith("AUTH"))).toBe(true);
    // …and the failures were logged…
    expect(logger.lines.filter((l) => l.startsWith("warn")).length).toBeGreaterThanOrEqual(20);
    expect(logger.lines.join("\n")).toContain("[redacted]");
    // …but no log line and no error holds any piece of it.
    // Base64 is no disguise: the Basic and AUTH PLAIN credentials count too (past their fixed prefix).
    const encoded = [`user:${key}`, `:${key}`, `\0homing\0${key}`, `u:${key}`].map((text) =>
      Buffer.from(text).toString("base64").slice(12),
    );
    for (const line of [...logger.lines, ...texts]) {
      expect(leakedFragment(line, key), line).toBeUndefined();
      for (const form of encoded) expect(leakedFragment(line, form), line).toBeUndefined();
    }
  });
});
