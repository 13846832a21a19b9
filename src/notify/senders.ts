/**
 * Delivers one message to one target. HTTP goes through src/http/request.ts (one deadline for the
 * whole exchange, a size cap on the answer, node:http/https, never global fetch); SMTP through
 * ./smtp.ts. A failure throws NotifySendError (or HttpRequestError / SmtpError) whose message
 * names the server at most: tokens live in paths, headers and bodies, never in what is printed.
 *
 * Target APIs:
 * - ntfy: POST https://host/topic, the body is the message; headers Title, Priority (1-5),
 *   Tags (comma list, emoji short codes), Click, Icon; auth as Basic (":token" works for access
 *   tokens). Non-ASCII header values are sent as RFC 2047 encoded words, which ntfy decodes.
 *   https://docs.ntfy.sh/publish/
 * - Gotify: POST https://host/message with JSON {title, message, priority}; the app token goes in
 *   the X-Gotify-Key header (Gotify also takes ?token=, but a header stays out of access logs).
 *   https://gotify.net/docs/pushmsg
 * - Discord: POST https://discord.com/api/webhooks/{id}/{token} with JSON {content} (at most 2000
 *   characters; username, avatar_url optional; ?thread_id= for a thread); answers 204.
 *   https://discord.com/developers/docs/resources/webhook#execute-webhook
 * - Slack: POST https://hooks.slack.com/services/{a}/{b}/{c} with JSON {text}; answers "ok".
 *   https://api.slack.com/messaging/webhooks
 * - Telegram: POST https://api.telegram.org/bot{token}/sendMessage with JSON {chat_id, text}
 *   (4096 characters at most; disable_notification, link_preview_options, message_thread_id).
 *   https://core.telegram.org/bots/api#sendmessage
 * - generic: POST the URL with JSON {title, message} (keys renamable, extra fields and headers
 *   from the URL). https://containrrr.dev/shoutrrr/v0.8/services/generic/
 *
 * Endpoint bases of the hosted services (discord.com, hooks.slack.com, api.telegram.org) can be
 * replaced through SenderConfig.endpoints: the tests point them at local receivers, so the
 * user-facing URL format stays exactly shoutrrr's and no hidden URL option can send a token
 * elsewhere. Self-hosted targets (ntfy, Gotify, generic, SMTP) already name their server.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { redact } from "../core/secret.ts";
import { type HttpResponse, httpRequest } from "../http/request.ts";
import type { NotifyMessage } from "./messages.ts";
import { NotifySendError } from "./retry.ts";
import { sendMail } from "./smtp.ts";
import type { NotifyTarget, SmtpTarget } from "./urls.ts";

export interface SendOptions {
  /** Deadline of this one attempt. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface SenderConfig {
  /** Replaces the origin of a hosted service's API, e.g. { telegram: "http://127.0.0.1:8081" }. */
  endpoints?: Partial<Record<"discord" | "slack" | "telegram", string>>;
  /** CA certificates to trust for SMTP TLS instead of the system ones (a private CA; tests). */
  smtpCa?: string | Buffer;
  /** Clock for the mail Date header. */
  now?: () => Date;
}

export type SendFunction = (
  target: NotifyTarget,
  message: NotifyMessage,
  options: SendOptions,
) => Promise<void>;

export const DEFAULT_ENDPOINTS = {
  discord: "https://discord.com",
  slack: "https://hooks.slack.com",
  telegram: "https://api.telegram.org",
} as const;

const MAX_RESPONSE = 64 * 1024;
/** Longest text each chat service takes in one message. */
const CHAT_LIMIT = { discord: 2000, slack: 4000, telegram: 4096 } as const;

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** The text of chat targets: the body, with the URL's own title (if any) on top. */
function chatText(target: NotifyTarget, message: NotifyMessage, max: number): string {
  return truncate(target.title ? `${target.title}\n${message.body}` : message.body, max);
}

/** ASCII as is; anything else as RFC 2047 encoded words (ntfy headers, mail headers). */
export function encodeHeaderWord(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ");
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  const words: string[] = [];
  let chunk = "";
  for (const char of clean) {
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, "utf8").toString("base64")}?=`).join(" ");
}

function basicAuth(username: string | undefined, password: string | undefined): string {
  return `Basic ${Buffer.from(`${username ?? ""}:${password ?? ""}`).toString("base64")}`;
}

/** A short, single-line, redacted excerpt of an error answer: often the only hint of what is wrong. */
function excerpt(body: string, secrets: readonly string[]): string {
  const line = body.replace(/\s+/g, " ").trim();
  return redact(line.length > 160 ? `${line.slice(0, 159)}…` : line, secrets);
}

function checkResponse(response: HttpResponse, target: NotifyTarget): void {
  if (response.status >= 200 && response.status < 300) return;
  const detail = excerpt(response.body, target.secrets);
  const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
  const hint =
    response.status === 401 || response.status === 403
      ? " (check the token or password in the URL)"
      : response.status === 404
        ? " (check the URL: the webhook, topic or token may not exist)"
        : "";
  throw new NotifySendError(`HTTP ${response.status}${detail ? `: ${detail}` : ""}${hint}`, { retryable });
}

async function post(
  target: NotifyTarget,
  url: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<void> {
  const response = await httpRequest(new URL(url), {
    method: "POST",
    headers,
    body,
    timeoutMs: options.timeoutMs,
    maxBytes: MAX_RESPONSE,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  checkResponse(response, target);
}

const JSON_HEADERS = { "content-type": "application/json" };

const NTFY_BY_SEVERITY = {
  info: { priority: undefined, tags: ["globe_with_meridians"] },
  warning: { priority: 4, tags: ["warning"] },
  success: { priority: undefined, tags: ["white_check_mark"] },
} as const;

/** RFC 5322 message: UTF-8 text body in base64, so no line can break SMTP's dot rule or 8-bit paths. */
export function mailMessage(target: SmtpTarget, message: NotifyMessage, now: Date): string {
  const phrase = /^[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~]*$/.test(target.fromName)
    ? target.fromName
    : encodeHeaderWord(target.fromName);
  const domain = target.from.split("@")[1] ?? "localhost";
  const body = Buffer.from(`${message.body}\r\n`, "utf8").toString("base64");
  const lines = [
    `From: ${phrase} <${target.from}>`,
    `To: ${target.to.join(", ")}`,
    `Subject: ${encodeHeaderWord(target.title ?? message.title)}`,
    `Date: ${now.toUTCString().replace(/GMT$/, "+0000")}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    ...(body.match(/.{1,76}/g) ?? []),
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/** A send function with the given endpoint bases; `sendNotification` uses the real services. */
export function createSender(config: SenderConfig = {}): SendFunction {
  const base = (service: keyof typeof DEFAULT_ENDPOINTS) =>
    (config.endpoints?.[service] ?? DEFAULT_ENDPOINTS[service]).replace(/\/+$/, "");
  const now = config.now ?? (() => new Date());

  return async (target, message, options) => {
    switch (target.kind) {
      case "ntfy": {
        const defaults = NTFY_BY_SEVERITY[message.severity];
        const headers: Record<string, string> = {
          "content-type": "text/plain; charset=utf-8",
          title: encodeHeaderWord(target.title ?? message.title),
        };
        const priority = target.priority ?? defaults.priority;
        if (priority !== undefined) headers["priority"] = String(priority);
        const tags = target.tags ?? defaults.tags;
        if (tags.length > 0) headers["tags"] = tags.join(",");
        if (target.click) headers["click"] = target.click;
        if (target.icon) headers["icon"] = target.icon;
        if (target.password !== undefined || target.username !== undefined) {
          headers["authorization"] = basicAuth(target.username, target.password);
        }
        await post(target, target.endpoint, message.body, headers, options);
        return;
      }
      case "gotify": {
        const body = JSON.stringify({
          title: target.title ?? message.title,
          message: message.body,
          priority: target.priority ?? (message.severity === "warning" ? 8 : 5),
        });
        await post(target, target.endpoint, body, { ...JSON_HEADERS, "x-gotify-key": target.token }, options);
        return;
      }
      case "discord": {
        const query = target.threadId ? `?thread_id=${target.threadId}` : "";
        const url = `${base("discord")}/api/webhooks/${target.webhookId}/${encodeURIComponent(target.token)}${query}`;
        const body = JSON.stringify({
          content: chatText(target, message, CHAT_LIMIT.discord),
          ...(target.username ? { username: target.username } : {}),
          ...(target.avatarUrl ? { avatar_url: target.avatarUrl } : {}),
          allowed_mentions: { parse: [] },
        });
        await post(target, url, body, JSON_HEADERS, options);
        return;
      }
      case "slack": {
        const icon = target.icon
          ? /^https?:\/\//.test(target.icon)
            ? { icon_url: target.icon }
            : { icon_emoji: target.icon }
          : {};
        const body = JSON.stringify({
          text: chatText(target, message, CHAT_LIMIT.slack),
          ...(target.botName ? { username: target.botName } : {}),
          ...icon,
        });
        await post(
          target,
          `${base("slack")}/services/${target.token.join("/")}`,
          body,
          JSON_HEADERS,
          options,
        );
        return;
      }
      case "telegram": {
        const url = `${base("telegram")}/bot${target.token}/sendMessage`;
        const text = chatText(target, message, CHAT_LIMIT.telegram);
        // One request per chat; all are tried even when one fails, and the first failure is reported.
        const results = await Promise.allSettled(
          target.chats.map((chat) => {
            const body = JSON.stringify({
              chat_id: chat.chatId,
              text,
              ...(chat.threadId ? { message_thread_id: Number(chat.threadId) } : {}),
              ...(target.notification ? {} : { disable_notification: true }),
              ...(target.preview ? {} : { link_preview_options: { is_disabled: true } }),
            });
            return post(target, url, body, JSON_HEADERS, options);
          }),
        );
        const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failure) throw failure.reason;
        return;
      }
      case "generic": {
        const body = JSON.stringify({
          ...target.extra,
          [target.titleKey]: target.title ?? message.title,
          [target.messageKey]: message.body,
        });
        const headers: Record<string, string> = { ...JSON_HEADERS };
        for (const [name, value] of Object.entries(target.headers)) headers[name.toLowerCase()] = value;
        await post(target, target.endpoint, body, headers, options);
        return;
      }
      case "smtp": {
        const clientHost = target.clientHost === "auto" ? hostname() : target.clientHost;
        try {
          await sendMail({
            host: target.host,
            port: target.port,
            encryption: target.encryption,
            auth: target.auth,
            username: target.username,
            password: target.password,
            clientHost,
            from: target.from,
            to: target.to,
            data: mailMessage(target, message, now()),
            timeoutMs: options.timeoutMs,
            signal: options.signal,
            ca: config.smtpCa,
          });
        } catch (error) {
          const retryable = (error as { retryable?: unknown }).retryable === true;
          const text = error instanceof Error ? error.message : String(error);
          throw new NotifySendError(redact(text, target.secrets), { retryable, cause: error });
        }
        return;
      }
    }
  };
}

/** Sends to the real services. */
export const sendNotification: SendFunction = createSender();
