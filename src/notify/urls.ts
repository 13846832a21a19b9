/**
 * Notification targets written as shoutrrr-style URLs, the convention users know from watchtower,
 * favonia/cloudflare-ddns and ddns-updater. Pure: parses a URL string into a typed target and
 * never echoes a password or token in an error (errors show `scheme://host` at most, and only for
 * targets whose host is a server rather than an identifier).
 *
 * Formats (containrrr shoutrrr docs, https://containrrr.dev/shoutrrr/v0.8/services/overview/):
 * - ntfy      ntfy://[user:password@]host[:port]/topic[?scheme=http&title=&priority=&tags=]
 *             ntfy://:token@host/topic (an access token as the password with an empty user:
 *             ntfy accepts it as Basic auth). Host defaults to ntfy.sh; scheme defaults to https.
 *             https://containrrr.dev/shoutrrr/v0.8/services/ntfy/, https://docs.ntfy.sh/publish/
 * - gotify    gotify://host[:port][/subpath]/token[?priority=&title=&disabletls=yes]
 *             https://containrrr.dev/shoutrrr/v0.8/services/gotify/
 * - discord   discord://token@webhookid[?username=&avatar=&thread_id=]
 *             (from https://discord.com/api/webhooks/{webhookid}/{token})
 *             https://containrrr.dev/shoutrrr/v0.8/services/discord/
 * - slack     slack://[botname@]token-a/token-b/token-c (legacy) or slack://hook:a-b-c@webhook
 *             (from https://hooks.slack.com/services/{a}/{b}/{c}); Bot API tokens (xoxb:/xoxp:)
 *             are refused: homing posts through incoming webhooks only.
 *             https://containrrr.dev/shoutrrr/v0.8/services/slack/ (token pattern from
 *             pkg/services/slack/slack_token.go)
 * - telegram  telegram://bot-id:bot-secret@telegram?chats=@channel,123456[,chat:thread]
 *             https://containrrr.dev/shoutrrr/v0.8/services/telegram/
 * - smtp      smtp://[user:password@]host[:port]/?from=a@example.com&to=b@example.com[,c@…]
 *             [&subject=&fromname=&encryption=auto|none|explicittls|implicittls&auth=auto|none|
 *             plain|login&clienthost=&usestarttls=no]; port defaults to 25.
 *             https://containrrr.dev/shoutrrr/v0.8/services/email/
 * - generic   generic://host[:port]/path (https; http with ?disabletls=yes), or the shortcut
 *             generic+https://host/path and generic+http://host/path. ?@Header=value adds a
 *             header, ?$field=value adds a JSON field, titlekey/messagekey rename the JSON keys,
 *             _name=value forwards a reserved name, any other query is forwarded to the target.
 *             https://containrrr.dev/shoutrrr/v0.8/services/generic/
 *
 * Options shoutrrr has but homing does not implement (colours, HTML mail, actions…) are accepted
 * and listed in `notes`, so a URL copied from another tool keeps working; an option no tool knows
 * is an error (it is most likely a typo).
 */
import { own } from "../core/own.ts";

export const NOTIFY_SCHEMES = [
  "discord",
  "generic",
  "generic+http",
  "generic+https",
  "gotify",
  "ntfy",
  "slack",
  "smtp",
  "telegram",
] as const;

interface TargetBase {
  /** Safe to log: scheme and server, never a token, password, topic or webhook id. */
  label: string;
  /** Every value in the URL that must never be printed (the logger registers them). */
  secrets: string[];
  /** Options that were accepted but have no effect in homing. */
  notes: string[];
  /** A title from the URL (?title=), replacing homing's own title. */
  title: string | undefined;
}

export interface NtfyTarget extends TargetBase {
  kind: "ntfy";
  /** https://host/topic */
  endpoint: string;
  username: string | undefined;
  password: string | undefined;
  /** 1 (min) … 5 (max); undefined: by message severity. */
  priority: number | undefined;
  /** undefined: by message severity. */
  tags: string[] | undefined;
  click: string | undefined;
  icon: string | undefined;
}

export interface GotifyTarget extends TargetBase {
  kind: "gotify";
  /** https://host[/subpath]/message */
  endpoint: string;
  token: string;
  priority: number | undefined;
}

export interface DiscordTarget extends TargetBase {
  kind: "discord";
  webhookId: string;
  token: string;
  username: string | undefined;
  avatarUrl: string | undefined;
  threadId: string | undefined;
}

export interface SlackTarget extends TargetBase {
  kind: "slack";
  /** The three webhook token parts: hooks.slack.com/services/{a}/{b}/{c}. */
  token: [string, string, string];
  botName: string | undefined;
  icon: string | undefined;
}

export interface TelegramChat {
  chatId: string;
  threadId: string | undefined;
}

export interface TelegramTarget extends TargetBase {
  kind: "telegram";
  /** "<bot id>:<secret>" as BotFather gives it. */
  token: string;
  chats: TelegramChat[];
  notification: boolean;
  preview: boolean;
}

export type SmtpEncryption = "auto" | "none" | "starttls" | "tls";
export type SmtpAuth = "auto" | "none" | "plain" | "login";

export interface SmtpTarget extends TargetBase {
  kind: "smtp";
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  from: string;
  fromName: string;
  to: string[];
  /** auto: implicit TLS on port 465, otherwise STARTTLS when the server offers it. */
  encryption: SmtpEncryption;
  auth: SmtpAuth;
  /** Name sent in EHLO; "auto" means this machine's host name. */
  clientHost: string;
}

export interface GenericTarget extends TargetBase {
  kind: "generic";
  /** The URL the JSON is POSTed to, with the forwarded query. */
  endpoint: string;
  headers: Record<string, string>;
  titleKey: string;
  messageKey: string;
  extra: Record<string, string>;
}

export type NotifyTarget =
  | NtfyTarget
  | GotifyTarget
  | DiscordTarget
  | SlackTarget
  | TelegramTarget
  | SmtpTarget
  | GenericTarget;

/** A URL that cannot be used. The message names the scheme (and a server host) only. */
export class NotifyUrlError extends Error {
  override readonly name = "NotifyUrlError";
}

/** Parses one notification URL. Throws NotifyUrlError, whose message never holds a secret. */
export function parseNotifyUrl(raw: string): NotifyTarget {
  const text = raw.trim();
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!schemeMatch) {
    throw new NotifyUrlError(
      `not a notification URL (expected scheme://…, one of ${NOTIFY_SCHEMES.join(", ")})`,
    );
  }
  const scheme = (schemeMatch[1] as string).toLowerCase();
  if (!(NOTIFY_SCHEMES as readonly string[]).includes(scheme)) {
    throw new NotifyUrlError(
      `${scheme}://…: unsupported scheme "${scheme}"; homing sends to ${NOTIFY_SCHEMES.join(", ")}`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NotifyUrlError(
      `${scheme}://…: not a valid URL (percent-encode special characters in tokens and passwords)`,
    );
  }
  const secrets = [text];
  switch (scheme) {
    case "ntfy":
      return parseNtfy(url, secrets);
    case "gotify":
      return parseGotify(url, secrets);
    case "discord":
      return parseDiscord(url, secrets);
    case "slack":
      return parseSlack(url, secrets);
    case "telegram":
      return parseTelegram(url, secrets);
    case "smtp":
      return parseSmtp(url, secrets);
    default:
      return parseGeneric(url, scheme, secrets);
  }
}

// ------------------------------------------------------------------------------------------------
// Helpers

function decode(part: string, where: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new NotifyUrlError(`${where}: bad percent-encoding in the URL`);
  }
}

/** Adds the value (and its percent-encoded form) to the secrets, when long enough to be one. */
function addSecret(secrets: string[], value: string | undefined, minLength = 4): void {
  if (!value || value.length < minLength) return;
  for (const form of [value, encodeURIComponent(value)]) if (!secrets.includes(form)) secrets.push(form);
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

interface OptionSpec {
  /** Canonical option name → its aliases (all lower case). */
  known: Record<string, readonly string[]>;
  /** shoutrrr options homing accepts but does not use. */
  ignored: readonly string[];
}

/**
 * Reads the query options case-insensitively (as shoutrrr does). Unknown names are an error that
 * lists the known ones; the value is never shown.
 */
function readOptions(
  url: URL,
  where: string,
  spec: OptionSpec,
): { options: Map<string, string>; notes: string[] } {
  const options = new Map<string, string>();
  const notes: string[] = [];
  const alias = new Map<string, string>();
  for (const [name, aliases] of Object.entries(spec.known)) {
    alias.set(name, name);
    for (const other of aliases) alias.set(other, name);
  }
  for (const [rawKey, value] of url.searchParams) {
    const key = rawKey.toLowerCase();
    const name = alias.get(key);
    if (name) {
      options.set(name, value);
    } else if (spec.ignored.includes(key)) {
      notes.push(`${where}: option "${key}" is not supported by homing and is ignored`);
    } else {
      const allowed = Object.keys(spec.known).sort().join(", ");
      throw new NotifyUrlError(`${where}: unknown option "${rawKey}"; allowed: ${allowed || "none"}`);
    }
  }
  return { options, notes };
}

function parseBoolean(value: string, name: string, where: string): boolean {
  const v = value.trim().toLowerCase();
  if (["yes", "true", "1", "on", "y"].includes(v)) return true;
  if (["no", "false", "0", "off", "n"].includes(v)) return false;
  throw new NotifyUrlError(`${where}: option "${name}" must be yes or no`);
}

function pathSegments(url: URL, where: string): string[] {
  return url.pathname
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => decode(segment, where));
}

/** host[:port] in lower case, for messages and endpoints. */
function serverOf(url: URL): string {
  return url.host.toLowerCase();
}

function optionalTitle(options: Map<string, string>): string | undefined {
  const title = options.get("title");
  return title === undefined || title === "" ? undefined : title;
}

// ------------------------------------------------------------------------------------------------
// ntfy

const NTFY_PRIORITY: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

function parseNtfy(url: URL, secrets: string[]): NtfyTarget {
  const server = serverOf(url) || "ntfy.sh";
  const where = `ntfy://${server}`;
  const { options, notes } = readOptions(url, where, {
    known: { title: [], priority: [], tags: [], scheme: [], click: [], icon: [] },
    ignored: [
      "actions",
      "attach",
      "cache",
      "delay",
      "at",
      "in",
      "email",
      "filename",
      "firebase",
      "template",
      "message",
    ],
  });
  const scheme = (options.get("scheme") ?? "https").toLowerCase();
  if (scheme !== "https" && scheme !== "http") {
    throw new NotifyUrlError(`${where}: option "scheme" must be https or http`);
  }
  const segments = pathSegments(url, where);
  if (segments.length !== 1) {
    throw new NotifyUrlError(
      `${where}: expected exactly one topic in the path (ntfy://[user:password@]host/topic)`,
    );
  }
  const topic = segments[0] as string;
  let priority: number | undefined;
  const priorityText = options.get("priority")?.trim().toLowerCase();
  if (priorityText) {
    priority = /^[1-5]$/.test(priorityText) ? Number(priorityText) : own(NTFY_PRIORITY, priorityText);
    if (priority === undefined) {
      throw new NotifyUrlError(`${where}: option "priority" must be 1-5 or min, low, default, high, max`);
    }
  }
  const tagsText = options.get("tags");
  const username = decode(url.username, where);
  const password = decode(url.password, where);
  addSecret(secrets, password);
  addSecret(secrets, url.password);
  if (username || password) addSecret(secrets, base64(`${username}:${password}`));
  // On a public server the topic is the only thing that keeps others out: treat a long one as a secret.
  addSecret(secrets, topic, 10);
  return {
    kind: "ntfy",
    label: where,
    secrets,
    notes,
    title: optionalTitle(options),
    endpoint: `${scheme}://${server}/${encodeURIComponent(topic)}`,
    username: username || undefined,
    password: password || undefined,
    priority,
    tags:
      tagsText === undefined
        ? undefined
        : tagsText
            .split(",")
            .map((tag) => tag.trim())
            .filter(Boolean),
    click: options.get("click") || undefined,
    icon: options.get("icon") || undefined,
  };
}

// ------------------------------------------------------------------------------------------------
// Gotify

function parseGotify(url: URL, secrets: string[]): GotifyTarget {
  const server = serverOf(url);
  const where = `gotify://${server}`;
  if (!server) throw new NotifyUrlError(`gotify://: the server is missing (gotify://host/token)`);
  const { options, notes } = readOptions(url, where, {
    known: { title: [], priority: [], disabletls: [] },
    ignored: [],
  });
  const segments = pathSegments(url, where);
  const token = segments.pop();
  if (!token) throw new NotifyUrlError(`${where}: the application token is missing (gotify://host/token)`);
  let priority: number | undefined;
  const priorityText = options.get("priority")?.trim();
  if (priorityText) {
    if (!/^\d{1,2}$/.test(priorityText) || Number(priorityText) > 10) {
      throw new NotifyUrlError(`${where}: option "priority" must be a number from 0 to 10`);
    }
    priority = Number(priorityText);
  }
  const insecure =
    options.has("disabletls") && parseBoolean(options.get("disabletls") as string, "disabletls", where);
  addSecret(secrets, token);
  addSecret(secrets, url.pathname.split("/").filter(Boolean).pop());
  const subpath = segments.map((segment) => `${encodeURIComponent(segment)}/`).join("");
  return {
    kind: "gotify",
    label: where,
    secrets,
    notes,
    title: optionalTitle(options),
    endpoint: `${insecure ? "http" : "https"}://${server}/${subpath}message`,
    token,
    priority,
  };
}

// ------------------------------------------------------------------------------------------------
// Discord

function parseDiscord(url: URL, secrets: string[]): DiscordTarget {
  const where = "discord://…";
  const { options, notes } = readOptions(url, where, {
    known: { title: [], username: [], avatar: ["avatarurl"], thread_id: ["threadid"] },
    ignored: ["color", "colordebug", "colorerror", "colorinfo", "colorwarn", "json", "splitlines"],
  });
  const token = decode(url.username, where);
  const webhookId = decode(url.hostname, where);
  if (!token || !webhookId) {
    throw new NotifyUrlError(
      `${where}: expected discord://token@webhookid (from https://discord.com/api/webhooks/webhookid/token)`,
    );
  }
  if (url.password || pathSegments(url, where).length > 0) {
    throw new NotifyUrlError(
      `${where}: expected discord://token@webhookid, with nothing after the webhook id`,
    );
  }
  if (!/^\d+$/.test(webhookId)) throw new NotifyUrlError(`${where}: the webhook id must be a number`);
  const threadId = options.get("thread_id") || undefined;
  if (threadId !== undefined && !/^\d+$/.test(threadId)) {
    throw new NotifyUrlError(`${where}: option "thread_id" must be a number`);
  }
  addSecret(secrets, token);
  addSecret(secrets, url.username);
  return {
    kind: "discord",
    label: "discord",
    secrets,
    notes,
    title: optionalTitle(options),
    webhookId,
    token,
    username: options.get("username") || undefined,
    avatarUrl: options.get("avatar") || undefined,
    threadId,
  };
}

// ------------------------------------------------------------------------------------------------
// Slack

const SLACK_PART = /^[A-Za-z0-9]+$/;

function parseSlack(url: URL, secrets: string[]): SlackTarget {
  const where = "slack://…";
  const { options, notes } = readOptions(url, where, {
    known: { title: [], botname: ["username"], icon: ["icon_emoji", "icon_url"] },
    ignored: ["color", "thread_ts", "channel"],
  });
  const segments = pathSegments(url, where);
  let parts: string[];
  let botName = options.get("botname") || undefined;
  if (segments.length > 0) {
    // Legacy form: slack://[botname@]a/b/c
    parts = [decode(url.hostname, where), ...segments];
    botName ??= decode(url.username, where) || undefined;
  } else {
    const kind = decode(url.username, where).toLowerCase();
    if (kind.startsWith("xox")) {
      throw new NotifyUrlError(
        `${where}: Slack API tokens (${kind}:) are not supported; create an incoming webhook and use slack://hook:a-b-c@webhook`,
      );
    }
    if (kind !== "hook") {
      throw new NotifyUrlError(
        `${where}: expected slack://hook:a-b-c@webhook or slack://a/b/c (from https://hooks.slack.com/services/a/b/c)`,
      );
    }
    parts = decode(url.password, where).split(/[-/,]/);
  }
  if (parts.length !== 3 || !parts.every((part) => SLACK_PART.test(part))) {
    throw new NotifyUrlError(
      `${where}: the webhook token must have three parts, as in https://hooks.slack.com/services/a/b/c`,
    );
  }
  const token = parts as [string, string, string];
  addSecret(secrets, token.join("/"));
  addSecret(secrets, token.join("-"));
  addSecret(secrets, token[2]);
  return {
    kind: "slack",
    label: "slack",
    secrets,
    notes,
    title: optionalTitle(options),
    token,
    botName,
    icon: options.get("icon") || undefined,
  };
}

// ------------------------------------------------------------------------------------------------
// Telegram

function parseTelegram(url: URL, secrets: string[]): TelegramTarget {
  const where = "telegram://…";
  const { options, notes } = readOptions(url, where, {
    known: { title: [], chats: ["channels"], notification: [], preview: [] },
    ignored: ["parsemode"],
  });
  const token = `${decode(url.username, where)}:${decode(url.password, where)}`;
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) {
    throw new NotifyUrlError(
      `${where}: expected telegram://<bot token>@telegram?chats=…, with the token from BotFather (digits:letters)`,
    );
  }
  const chatsText = options.get("chats") ?? "";
  const chats: TelegramChat[] = [];
  for (const entry of chatsText.split(",").map((chat) => chat.trim())) {
    if (!entry) continue;
    const match = /^(@[A-Za-z0-9_]{4,}|-?\d+)(?::(\d+))?$/.exec(entry);
    if (!match) {
      throw new NotifyUrlError(
        `${where}: option "chats" holds "${entry}", which is neither a chat id (123456, -100123) nor a channel (@name)`,
      );
    }
    chats.push({ chatId: match[1] as string, threadId: match[2] });
  }
  if (chats.length === 0) {
    throw new NotifyUrlError(`${where}: option "chats" is missing (?chats=@channel,123456)`);
  }
  addSecret(secrets, token);
  addSecret(secrets, decode(url.password, where));
  addSecret(secrets, url.password);
  return {
    kind: "telegram",
    label: "telegram",
    secrets,
    notes,
    title: optionalTitle(options),
    token,
    chats,
    notification: options.has("notification")
      ? parseBoolean(options.get("notification") as string, "notification", where)
      : true,
    preview: options.has("preview") ? parseBoolean(options.get("preview") as string, "preview", where) : true,
  };
}

// ------------------------------------------------------------------------------------------------
// SMTP

const MAIL_ADDRESS = /^[^\s<>@",;]+@[^\s<>@",;]+$/;
const ENCRYPTION: Record<string, SmtpEncryption> = {
  auto: "auto",
  none: "none",
  explicittls: "starttls",
  starttls: "starttls",
  implicittls: "tls",
  tls: "tls",
};

function parseSmtp(url: URL, secrets: string[]): SmtpTarget {
  const server = serverOf(url);
  const where = `smtp://${server}`;
  if (!url.hostname)
    throw new NotifyUrlError("smtp://: the server is missing (smtp://host:port/?from=…&to=…)");
  const { options, notes } = readOptions(url, where, {
    known: {
      title: [],
      subject: [],
      from: ["fromaddress"],
      to: ["toaddresses"],
      fromname: [],
      encryption: [],
      auth: [],
      clienthost: [],
      usestarttls: [],
    },
    ignored: ["usehtml"],
  });
  const from = options.get("from")?.trim() ?? "";
  if (!MAIL_ADDRESS.test(from)) {
    throw new NotifyUrlError(`${where}: option "from" must be one mail address (?from=homing@example.com)`);
  }
  const to = (options.get("to") ?? "")
    .split(",")
    .map((address) => address.trim())
    .filter(Boolean);
  if (to.length === 0 || !to.every((address) => MAIL_ADDRESS.test(address))) {
    throw new NotifyUrlError(`${where}: option "to" must list mail addresses separated by commas`);
  }
  const encryptionText = (options.get("encryption") ?? "auto").toLowerCase();
  let encryption = own(ENCRYPTION, encryptionText);
  if (!encryption) {
    throw new NotifyUrlError(`${where}: option "encryption" must be auto, none, explicittls or implicittls`);
  }
  if (
    encryption === "auto" &&
    options.has("usestarttls") &&
    !parseBoolean(options.get("usestarttls") as string, "usestarttls", where)
  ) {
    encryption = "none";
  }
  const authText = (options.get("auth") ?? "auto").toLowerCase();
  const auth = ({ auto: "auto", unknown: "auto", none: "none", plain: "plain", login: "login" } as const)[
    authText as "auto"
  ];
  if (!auth) {
    throw new NotifyUrlError(
      `${where}: option "auth" must be plain, login, none or auto (${authText} is not supported)`,
    );
  }
  const port = url.port ? Number(url.port) : 25;
  const username = decode(url.username, where);
  const password = decode(url.password, where);
  const fromName = options.get("fromname") ?? "homing";
  const subject = options.get("subject") || optionalTitle(options);
  for (const [name, value] of [
    ["fromname", fromName],
    ["subject", subject ?? ""],
    ["clienthost", options.get("clienthost") ?? ""],
  ] as const) {
    if (/[\r\n]/.test(value)) throw new NotifyUrlError(`${where}: option "${name}" must be one line`);
  }
  const clientHost = options.get("clienthost") || "localhost";
  if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(clientHost)) {
    throw new NotifyUrlError(`${where}: option "clienthost" must be a host name`);
  }
  addSecret(secrets, password);
  addSecret(secrets, url.password);
  // What AUTH PLAIN and AUTH LOGIN put on the wire, should a server ever quote it back.
  if (password) addSecret(secrets, base64(`\0${username}\0${password}`));
  if (password) addSecret(secrets, base64(password));
  if (password && !username) throw new NotifyUrlError(`${where}: a password needs a user name`);
  return {
    kind: "smtp",
    label: where,
    secrets,
    notes,
    title: subject,
    host: url.hostname.replace(/^\[|\]$/g, "").toLowerCase(),
    port,
    username: username || undefined,
    password: password || undefined,
    from,
    fromName,
    to,
    encryption,
    auth,
    clientHost,
  };
}

// ------------------------------------------------------------------------------------------------
// Generic webhook

const GENERIC_OPTIONS = [
  "template",
  "titlekey",
  "messagekey",
  "contenttype",
  "disabletls",
  "title",
  "requestmethod",
];

/** "acceptLanguage" → "Accept-Language"; names with dashes are kept as written. */
function headerName(key: string): string {
  if (key.includes("-")) return key;
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .split("-")
    .map((word) => (word ? (word[0] as string).toUpperCase() + word.slice(1) : word))
    .join("-");
}

function parseGeneric(url: URL, scheme: string, secrets: string[]): GenericTarget {
  const server = serverOf(url);
  const where = `${scheme}://${server}`;
  if (!url.hostname) throw new NotifyUrlError(`${scheme}://: the server is missing`);
  const headers: Record<string, string> = {};
  const extra: Record<string, string> = {};
  const forward = new URLSearchParams();
  const options = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (key.startsWith("@") && key.length > 1) {
      const name = headerName(key.slice(1));
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || /[\r\n]/.test(value)) {
        throw new NotifyUrlError(`${where}: "${key}" is not a valid header`);
      }
      headers[name] = value;
      addSecret(secrets, value);
    } else if (key.startsWith("$") && key.length > 1) {
      extra[key.slice(1)] = value;
    } else if (key.startsWith("_") && key.length > 1) {
      forward.append(key.slice(1), value);
      addSecret(secrets, value, 8);
    } else if (GENERIC_OPTIONS.includes(key.toLowerCase())) {
      options.set(key.toLowerCase(), value);
    } else {
      forward.append(key, value);
      addSecret(secrets, value, 8);
    }
  }
  const template = options.get("template")?.toLowerCase();
  if (template !== undefined && template !== "" && template !== "json") {
    throw new NotifyUrlError(`${where}: option "template" must be json (homing always posts JSON)`);
  }
  const method = options.get("requestmethod")?.toUpperCase();
  if (method !== undefined && method !== "POST") {
    throw new NotifyUrlError(`${where}: option "requestmethod" must be POST`);
  }
  if (options.has("contenttype")) {
    const contentType = options.get("contenttype") as string;
    if (/[\r\n]/.test(contentType))
      throw new NotifyUrlError(`${where}: option "contenttype" must be one line`);
    headers["Content-Type"] = contentType;
  }
  let protocol: string;
  if (scheme === "generic") {
    const insecure =
      options.has("disabletls") && parseBoolean(options.get("disabletls") as string, "disabletls", where);
    protocol = insecure ? "http" : "https";
  } else {
    if (options.has("disabletls")) {
      throw new NotifyUrlError(
        `${where}: option "disabletls" only applies to generic://; use generic+http:// instead`,
      );
    }
    protocol = scheme === "generic+http" ? "http" : "https";
  }
  const username = decode(url.username, where);
  const password = decode(url.password, where);
  addSecret(secrets, password);
  addSecret(secrets, url.password);
  const explicitAuth = Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
  if ((username || password) && !explicitAuth) {
    const credentials = base64(`${username}:${password}`);
    headers["Authorization"] = `Basic ${credentials}`;
    addSecret(secrets, credentials);
  }
  for (const segment of pathSegments(url, where)) addSecret(secrets, segment, 16);
  const query = forward.toString();
  return {
    kind: "generic",
    label: where,
    secrets,
    notes: [],
    title: optionalTitle(options),
    endpoint: `${protocol}://${server}${url.pathname || "/"}${query ? `?${query}` : ""}`,
    headers,
    titleKey: options.get("titlekey") || "title",
    messageKey: options.get("messagekey") || "message",
    extra,
  };
}
