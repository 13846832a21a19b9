import { describe, expect, it } from "vitest";
import { NotifyUrlError, parseNotifyUrl } from "./urls.ts";

const SECRET = "S3cr3tT0kenXYZ123";

describe("parseNotifyUrl: valid URLs", () => {
  it.each<{ url: string; expected: Record<string, unknown> }>([
    {
      url: "ntfy://ntfy.sh/homing-alerts-1234",
      expected: { kind: "ntfy", label: "ntfy://ntfy.sh", endpoint: "https://ntfy.sh/homing-alerts-1234" },
    },
    {
      url: `ntfy://alice:${SECRET}@Push.Example.com:8080/home?scheme=http&priority=high&tags=house,dns&title=DNS`,
      expected: {
        kind: "ntfy",
        label: "ntfy://push.example.com:8080",
        endpoint: "http://push.example.com:8080/home",
        username: "alice",
        password: SECRET,
        priority: 4,
        tags: ["house", "dns"],
        title: "DNS",
      },
    },
    {
      url: `ntfy://:${SECRET}@ntfy.example/alerts?Priority=5`,
      expected: {
        username: undefined,
        password: SECRET,
        priority: 5,
        endpoint: "https://ntfy.example/alerts",
      },
    },
    {
      url: `gotify://gotify.example.com/${SECRET}`,
      expected: {
        kind: "gotify",
        label: "gotify://gotify.example.com",
        endpoint: "https://gotify.example.com/message",
        token: SECRET,
        priority: undefined,
      },
    },
    {
      url: `gotify://gotify.example.com:8443/path/to/gotify/${SECRET}/?title=Great+News&priority=1`,
      expected: {
        endpoint: "https://gotify.example.com:8443/path/to/gotify/message",
        token: SECRET,
        title: "Great News",
        priority: 1,
      },
    },
    {
      url: `gotify://127.0.0.1:8080/${SECRET}?disabletls=yes`,
      expected: { endpoint: "http://127.0.0.1:8080/message" },
    },
    {
      url: `discord://${SECRET}@123456789012345678`,
      expected: { kind: "discord", label: "discord", webhookId: "123456789012345678", token: SECRET },
    },
    {
      url: `discord://${SECRET}@123?username=homing&thread_id=42&splitlines=no`,
      expected: { username: "homing", threadId: "42" },
    },
    {
      url: `slack://T00000000/B00000000/${SECRET}`,
      expected: {
        kind: "slack",
        label: "slack",
        token: ["T00000000", "B00000000", SECRET],
        botName: undefined,
      },
    },
    {
      url: `slack://HomingBot@T00000000/B00000000/${SECRET}?icon=:house:`,
      expected: { token: ["T00000000", "B00000000", SECRET], botName: "HomingBot", icon: ":house:" },
    },
    {
      url: `slack://hook:T00000000-B00000000-${SECRET}@webhook?botname=homing`,
      expected: { token: ["T00000000", "B00000000", SECRET], botName: "homing" },
    },
    {
      url: `telegram://110201543:${SECRET}@telegram?chats=@homing_alerts,-1001234567890,123:7`,
      expected: {
        kind: "telegram",
        label: "telegram",
        token: `110201543:${SECRET}`,
        chats: [
          { chatId: "@homing_alerts", threadId: undefined },
          { chatId: "-1001234567890", threadId: undefined },
          { chatId: "123", threadId: "7" },
        ],
        notification: true,
        preview: true,
      },
    },
    {
      url: `telegram://1:${SECRET}@telegram?channels=42&notification=no&preview=false&parsemode=HTML`,
      expected: { chats: [{ chatId: "42", threadId: undefined }], notification: false, preview: false },
    },
    {
      url: `smtp://me%40example.com:${SECRET}@smtp.example.com:587/?from=homing@example.com&to=a@example.com,b@example.com&subject=DNS`,
      expected: {
        kind: "smtp",
        label: "smtp://smtp.example.com:587",
        host: "smtp.example.com",
        port: 587,
        username: "me@example.com",
        password: SECRET,
        from: "homing@example.com",
        fromName: "homing",
        to: ["a@example.com", "b@example.com"],
        encryption: "auto",
        auth: "auto",
        clientHost: "localhost",
        title: "DNS",
      },
    },
    {
      url: "smtp://mail.lan/?from=h@lan&to=me@lan&encryption=None&auth=None&fromname=Home+DNS",
      expected: { port: 25, username: undefined, encryption: "none", auth: "none", fromName: "Home DNS" },
    },
    {
      url: "smtp://mail.lan:465/?FromAddress=h@lan&ToAddresses=me@lan&encryption=ImplicitTLS&auth=Login&usehtml=yes",
      expected: {
        encryption: "tls",
        auth: "login",
        notes: ['smtp://mail.lan:465: option "usehtml" is not supported by homing and is ignored'],
      },
    },
    {
      url: "smtp://mail.lan/?from=h@lan&to=me@lan&usestarttls=no",
      expected: { encryption: "none" },
    },
    {
      url: "generic://hooks.example.com/api/webhook/abc?template=json",
      expected: {
        kind: "generic",
        label: "generic://hooks.example.com",
        endpoint: "https://hooks.example.com/api/webhook/abc",
        titleKey: "title",
        messageKey: "message",
        headers: {},
        extra: {},
      },
    },
    {
      url: "generic://10.0.0.5:8123/api/webhook/x?disabletls=yes&titlekey=subject&messagekey=content&$source=homing&@acceptLanguage=en&foo=bar&_template=raw",
      expected: {
        endpoint: "http://10.0.0.5:8123/api/webhook/x?foo=bar&template=raw",
        titleKey: "subject",
        messageKey: "content",
        extra: { source: "homing" },
        headers: { "Accept-Language": "en" },
      },
    },
    {
      url: `generic+https://user:${SECRET}@hooks.example.com/notify?@Authorization=Bearer+${SECRET}`,
      expected: {
        label: "generic+https://hooks.example.com",
        endpoint: "https://hooks.example.com/notify",
        headers: { Authorization: `Bearer ${SECRET}` },
      },
    },
    {
      url: "generic+http://127.0.0.1:9000/",
      expected: { label: "generic+http://127.0.0.1:9000", endpoint: "http://127.0.0.1:9000/" },
    },
  ])("$url", ({ url, expected }) => {
    expect(parseNotifyUrl(url)).toMatchObject(expected);
  });

  it("turns userinfo of a generic URL into a Basic authorization header and forgets the URL's credentials", () => {
    const target = parseNotifyUrl(`generic+https://user:${SECRET}@hooks.example.com/notify`);
    expect(target).toMatchObject({
      endpoint: "https://hooks.example.com/notify",
      headers: { Authorization: `Basic ${Buffer.from(`user:${SECRET}`).toString("base64")}` },
    });
  });

  it("lists every credential as a secret, in plain and percent-encoded form", () => {
    const secrets = (url: string) => parseNotifyUrl(url).secrets;
    expect(secrets(`ntfy://u:${SECRET}%21@ntfy.sh/t`)).toEqual(
      expect.arrayContaining([`ntfy://u:${SECRET}%21@ntfy.sh/t`, `${SECRET}!`, `${SECRET}%21`]),
    );
    expect(secrets(`gotify://g.example/${SECRET}`)).toContain(SECRET);
    expect(secrets(`discord://${SECRET}@1`)).toContain(SECRET);
    expect(secrets(`slack://T00000000/B00000000/${SECRET}`)).toEqual(
      expect.arrayContaining([SECRET, `T00000000/B00000000/${SECRET}`, `T00000000-B00000000-${SECRET}`]),
    );
    expect(secrets(`telegram://1:${SECRET}@telegram?chats=1`)).toEqual(
      expect.arrayContaining([`1:${SECRET}`, SECRET]),
    );
    expect(secrets(`smtp://u:${SECRET}@m.example/?from=a@b&to=c@d`)).toContain(SECRET);
    expect(secrets(`generic+https://h.example/hook/${SECRET}?token=${SECRET}`)).toContain(SECRET);
    // A long ntfy topic is the access control of a public topic; a short one is not worth hiding.
    expect(secrets("ntfy://ntfy.sh/my-long-private-topic")).toContain("my-long-private-topic");
    expect(secrets("ntfy://ntfy.sh/homing")).not.toContain("homing");
  });
});

describe("parseNotifyUrl: errors name the scheme and server, never a secret", () => {
  it.each<{ url: string; message: string }>([
    { url: "", message: "not a notification URL" },
    {
      url: "https://example.com/hook",
      message: 'unsupported scheme "https"; homing sends to discord, generic',
    },
    { url: `pushover://shoutrrr:${SECRET}@userkey`, message: 'pushover://…: unsupported scheme "pushover"' },
    { url: "ntfy://ntfy.sh/", message: "ntfy://ntfy.sh: expected exactly one topic" },
    { url: `ntfy://u:${SECRET}@ntfy.sh/a/b`, message: "ntfy://ntfy.sh: expected exactly one topic" },
    { url: "ntfy://ntfy.sh/t?scheme=ftp", message: 'option "scheme" must be https or http' },
    { url: "ntfy://ntfy.sh/t?priority=loud", message: 'option "priority" must be 1-5' },
    {
      url: `ntfy://ntfy.sh/t?tagz=a&x=${SECRET}`,
      message: 'unknown option "tagz"; allowed: click, icon, priority, scheme, tags, title',
    },
    {
      url: "gotify://gotify.example.com/",
      message: "gotify://gotify.example.com: the application token is missing",
    },
    { url: `gotify:///${SECRET}`, message: "gotify://: the server is missing" },
    {
      url: `gotify://g.example/${SECRET}?priority=11`,
      message: 'option "priority" must be a number from 0 to 10',
    },
    { url: `discord://${SECRET}@`, message: "discord://…: not a valid URL" },
    {
      url: `discord://${SECRET}:x@1`,
      message: "discord://…: expected discord://token@webhookid, with nothing after",
    },
    { url: `discord://123456/${SECRET}`, message: "discord://…: expected discord://token@webhookid" },
    { url: `discord://${SECRET}@abc`, message: "the webhook id must be a number" },
    { url: `slack://xoxb:${SECRET}@C012345`, message: "Slack API tokens (xoxb:) are not supported" },
    { url: `slack://T00000000/${SECRET}`, message: "the webhook token must have three parts" },
    { url: `slack://bot:${SECRET}@webhook`, message: "expected slack://hook:a-b-c@webhook" },
    {
      url: `telegram://${SECRET}@telegram?chats=1`,
      message: "telegram://…: expected telegram://<bot token>@telegram",
    },
    { url: `telegram://1:${SECRET}@telegram`, message: 'option "chats" is missing' },
    { url: `telegram://1:${SECRET}@telegram?chats=me`, message: 'option "chats" holds "me"' },
    {
      url: `smtp://u:${SECRET}@mail.example.com/?to=a@b`,
      message: 'smtp://mail.example.com: option "from" must be one mail address',
    },
    { url: "smtp://mail.example.com/?from=a@b", message: 'option "to" must list mail addresses' },
    { url: "smtp://m.example/?from=a@b&to=c@d&auth=CRAMMD5", message: "(crammd5 is not supported)" },
    { url: "smtp://m.example/?from=a@b&to=c@d&encryption=ssl", message: 'option "encryption" must be' },
    // Option values never look up Object.prototype's members.
    {
      url: "smtp://m.example/?from=a@b&to=c@d&encryption=constructor",
      message: 'option "encryption" must be',
    },
    { url: "ntfy://ntfy.sh/t?priority=constructor", message: 'option "priority" must be 1-5' },
    { url: "ntfy://ntfy.sh/t?priority=tostring", message: 'option "priority" must be 1-5' },
    {
      url: "smtp://m.example/?from=a@b&to=c@d&subject=a%0D%0ABcc:x@y",
      message: 'option "subject" must be one line',
    },
    { url: "generic://h.example/x?template=xml", message: 'option "template" must be json' },
    { url: "generic+https://h.example/x?disabletls=yes", message: "only applies to generic://" },
    { url: "generic://h.example/x?@Bad%20Name=1", message: "is not a valid header" },
    { url: "ntfy://ntfy.sh/%E0%A4%A", message: "bad percent-encoding" },
  ])("$url", ({ url, message }) => {
    let error: unknown;
    try {
      parseNotifyUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NotifyUrlError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(SECRET);
  });
});
