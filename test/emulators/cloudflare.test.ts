import { afterEach, describe, expect, it } from "vitest";
import {
  type CloudflareEmulator,
  type CloudflareEmulatorConfig,
  type CloudflareRecord,
  startCloudflareEmulator,
} from "./cloudflare.ts";

const TOKEN = "tok_ALLZONES_0123456789abcdefghijklmnopqr";
const READER = "tok_READONLY_0123456789abcdefghijklmnopqr";
const OTHER = "tok_OTHERZONE_123456789abcdefghijklmnopqr";
const FENCED = "tok_IPFENCED_0123456789abcdefghijklmnopqr";
const DISABLED = "tok_DISABLED_0123456789abcdefghijklmnopqr";

function baseConfig(): CloudflareEmulatorConfig {
  return {
    tokens: {
      [TOKEN]: { zones: "*" },
      [READER]: { zones: ["example.com"], permissions: ["zone:read", "dns:read"] },
      [OTHER]: { zones: ["example.org"] },
      [FENCED]: { zones: "*", refuse: "Cannot use the access token from location: 81.2.69.142" },
      [DISABLED]: { zones: "*", status: "disabled" },
    },
    zones: [{ name: "example.com" }, { name: "example.org" }, { name: "sub.example.com" }],
    records: [
      { name: "example.com", type: "NS", content: "ada.ns.cloudflare.com" },
      { name: "home.example.com", type: "A", content: "81.2.69.160", ttl: 300, comment: "mine" },
      { name: "home.example.com", type: "TXT", content: "hello" },
      { name: "www.example.com", type: "CNAME", content: "example.com", proxied: true },
      { name: "a.sub.example.com", type: "A", content: "81.2.69.170" },
    ],
  };
}

interface Answer {
  status: number;
  headers: Headers;
  json: {
    success: boolean;
    errors: Array<{ code: number; message: string; error_chain?: Array<{ code: number; message: string }> }>;
    messages: Array<{ code: number; message: string }>;
    result: unknown;
    result_info?: { page: number; per_page: number; count: number; total_count: number; total_pages: number };
  };
}

let emulator: CloudflareEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(patch: Partial<CloudflareEmulatorConfig> = {}): Promise<CloudflareEmulator> {
  emulator = await startCloudflareEmulator({ ...baseConfig(), ...patch });
  return emulator;
}

async function api(
  emu: CloudflareEmulator,
  method: string,
  path: string,
  options: {
    token?: string | null;
    body?: unknown;
    query?: Record<string, string>;
    authorization?: string;
  } = {},
): Promise<Answer> {
  const url = new URL(path, emu.url);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const headers: Record<string, string> = {};
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(5000),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Answer["json"],
  };
}

function zonePath(emu: CloudflareEmulator, zone = "example.com"): string {
  return `zones/${emu.zoneId(zone)}/dns_records`;
}

describe("authentication", () => {
  it("verifies an active token with the documented envelope, and refuses an unknown one with 1000", async () => {
    const emu = await start();

    const good = await api(emu, "GET", "user/tokens/verify");
    expect(good.status).toBe(200);
    expect(good.json).toMatchObject({ success: true, errors: [], result: { status: "active" } });
    expect((good.json.result as { id: string }).id).toMatch(/^[0-9a-f]{32}$/);
    expect(good.json.messages).toEqual([
      { code: 10000, message: "This API Token is valid and active", type: null },
    ]);

    const bad = await api(emu, "GET", "user/tokens/verify", { token: "nope" });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ success: false, result: null, errors: [{ code: 1000 }] });

    const disabled = await api(emu, "GET", "user/tokens/verify", { token: DISABLED });
    expect(disabled.json.result).toMatchObject({ status: "disabled" });
  });

  it("answers 9106 without credentials, 6003/6111 for a malformed header and 403 9109 for an unknown token", async () => {
    const emu = await start();

    const none = await api(emu, "GET", "zones", { token: null });
    expect([none.status, none.json.errors[0]?.code]).toEqual([400, 9106]);

    const malformed = await api(emu, "GET", "zones", { authorization: "Bearer has spaces in it" });
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors).toEqual([
      {
        code: 6003,
        message: "Invalid request headers",
        error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
      },
    ]);

    const unknown = await api(emu, "GET", "zones", { token: "unknownToken123" });
    expect([unknown.status, unknown.json.errors]).toEqual([
      403,
      [{ code: 9109, message: "Invalid access token" }],
    ]);

    const fenced = await api(emu, "GET", "zones", { token: FENCED });
    expect(fenced.json.errors[0]).toEqual({
      code: 9109,
      message: "Cannot use the access token from location: 81.2.69.142",
    });
    const disabled = await api(emu, "GET", "zones", { token: DISABLED });
    expect(disabled.status).toBe(403);
  });

  it("lets a token reach only the zones in its resources, and write only with dns:edit (403 10000)", async () => {
    const emu = await start();

    const outside = await api(emu, "GET", zonePath(emu), { token: OTHER });
    expect([outside.status, outside.json.errors]).toEqual([
      403,
      [{ code: 10000, message: "Authentication error" }],
    ]);

    const read = await api(emu, "GET", zonePath(emu), { token: READER });
    expect(read.status).toBe(200);
    const write = await api(emu, "POST", zonePath(emu), {
      token: READER,
      body: { type: "A", name: "x.example.com", content: "81.2.69.142" },
    });
    expect([write.status, write.json.errors[0]?.code]).toEqual([403, 10000]);
    expect(emu.records().some((r) => r.name === "x.example.com")).toBe(false);
  });
});

describe("zones", () => {
  it("filters by exact name and lists only zones the token can see", async () => {
    const emu = await start();

    const found = await api(emu, "GET", "zones", { query: { name: "example.com" } });
    expect(found.json.result).toEqual([
      expect.objectContaining({ id: emu.zoneId("example.com"), name: "example.com" }),
    ]);
    expect(found.json.result_info).toEqual({
      page: 1,
      per_page: 20,
      count: 1,
      total_count: 1,
      total_pages: 1,
    });

    const parent = await api(emu, "GET", "zones", { query: { name: "home.example.com" } });
    expect(parent.json).toMatchObject({ success: true, result: [] });

    const hidden = await api(emu, "GET", "zones", { token: OTHER, query: { name: "example.com" } });
    expect(hidden.json).toMatchObject({ success: true, result: [] });
    const all = await api(emu, "GET", "zones", { token: OTHER });
    expect((all.json.result as Array<{ name: string }>).map((z) => z.name)).toEqual(["example.org"]);
  });
});

describe("DNS records", () => {
  it("lists by exact name and type, with result_info", async () => {
    const emu = await start();

    const atName = await api(emu, "GET", zonePath(emu), { query: { name: "home.example.com" } });
    const rows = atName.json.result as CloudflareRecord[];
    expect(rows.map((r) => `${r.type} ${r.content}`)).toEqual(["A 81.2.69.160", "TXT hello"]);
    expect(rows[0]).toMatchObject({
      zone_id: emu.zoneId("example.com"),
      zone_name: "example.com",
      ttl: 300,
      proxied: false,
      proxiable: true,
      comment: "mine",
    });
    expect(rows[0]?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(atName.json.result_info).toEqual({
      page: 1,
      per_page: 100,
      count: 2,
      total_count: 2,
      total_pages: 1,
    });

    const typed = await api(emu, "GET", zonePath(emu), { query: { name: "home.example.com", type: "TXT" } });
    expect((typed.json.result as CloudflareRecord[]).map((r) => r.type)).toEqual(["TXT"]);
    // A record of a delegated child zone is not in the parent zone.
    const child = await api(emu, "GET", zonePath(emu), { query: { name: "a.sub.example.com" } });
    expect(child.json.result).toEqual([]);
  });

  it("pages with page/per_page, and caps per_page at maxPerPage", async () => {
    const emu = await start({ maxPerPage: 2 });
    for (const last of [1, 2, 3, 4])
      emu.addRecord({ name: "many.example.com", type: "A", content: `81.2.69.${last}` });

    const first = await api(emu, "GET", zonePath(emu), {
      query: { name: "many.example.com", per_page: "100" },
    });
    expect(first.json.result_info).toEqual({
      page: 1,
      per_page: 2,
      count: 2,
      total_count: 4,
      total_pages: 2,
    });
    const second = await api(emu, "GET", zonePath(emu), { query: { name: "many.example.com", page: "2" } });
    expect((second.json.result as CloudflareRecord[]).map((r) => r.content)).toEqual([
      "81.2.69.3",
      "81.2.69.4",
    ]);
    const beyond = await api(emu, "GET", zonePath(emu), { query: { name: "many.example.com", page: "3" } });
    expect(beyond.json.result).toEqual([]);
    expect(beyond.json.result_info).toMatchObject({ page: 3, count: 0, total_pages: 2 });
  });

  it("creates with comment, ttl 1 by default, and forces ttl 1 on proxied records", async () => {
    const emu = await start();

    const created = await api(emu, "POST", zonePath(emu), {
      body: { type: "A", name: "new.example.com", content: "81.2.69.142", comment: "managed by homing" },
    });
    expect(created.status).toBe(200);
    expect(created.json.result).toMatchObject({
      name: "new.example.com",
      ttl: 1,
      proxied: false,
      comment: "managed by homing",
    });

    const relative = await api(emu, "POST", zonePath(emu), {
      body: { type: "AAAA", name: "rel", content: "2a00:1450:4001:81b::200e", ttl: 600, proxied: true },
    });
    expect(relative.json.result).toMatchObject({ name: "rel.example.com", ttl: 1, proxied: true });
  });

  it("refuses identical records (81058), CNAME conflicts (81054), bad content (9005) and bad TTL or comment (1004)", async () => {
    const emu = await start();
    const post = (body: unknown) => api(emu, "POST", zonePath(emu), { body });

    const identical = await post({ type: "A", name: "home.example.com", content: "81.2.69.160" });
    expect([identical.status, identical.json.errors]).toEqual([
      400,
      [{ code: 81058, message: "An identical record already exists." }],
    ]);
    const cname = await post({ type: "A", name: "www.example.com", content: "81.2.69.142" });
    expect(cname.json.errors[0]?.code).toBe(81054);
    const content = await post({ type: "A", name: "x.example.com", content: "not-an-ip" });
    expect(content.json.errors[0]).toEqual({
      code: 9005,
      message: "Content for A record must be a valid IPv4 address.",
    });
    const ttl = await post({ type: "A", name: "x.example.com", content: "81.2.69.142", ttl: 5 });
    expect(ttl.json.errors[0]).toMatchObject({
      code: 1004,
      message: "DNS Validation Error",
      error_chain: [{ code: 9021 }],
    });
    const comment = await post({ type: "A", name: "x.example.com", content: "81.2.69.142", comment: "a\nb" });
    expect(comment.json.errors[0]?.code).toBe(1004);
    const long = await post({
      type: "A",
      name: "x.example.com",
      content: "81.2.69.142",
      comment: "c".repeat(101),
    });
    expect(long.json.errors[0]?.code).toBe(1004);
    expect(emu.records().filter((r) => r.name === "x.example.com")).toEqual([]);
  });

  it("PATCH changes only the fields sent; unknown ids answer 81044, malformed ids 7003 + 7000", async () => {
    const emu = await start();
    const home = emu
      .records()
      .find((r) => r.name === "home.example.com" && r.type === "A") as CloudflareRecord;

    const patched = await api(emu, "PATCH", `${zonePath(emu)}/${home.id}`, {
      body: { content: "81.2.69.142" },
    });
    expect(patched.json.result).toMatchObject({
      id: home.id,
      content: "81.2.69.142",
      ttl: 300,
      comment: "mine",
    });
    expect(emu.records().find((r) => r.id === home.id)).toMatchObject({ content: "81.2.69.142", ttl: 300 });

    const missing = await api(emu, "PATCH", `${zonePath(emu)}/${"0".repeat(32)}`, {
      body: { content: "81.2.69.142" },
    });
    expect([missing.status, missing.json.errors]).toEqual([
      404,
      [{ code: 81044, message: "Record does not exist." }],
    ]);
    const malformed = await api(emu, "PATCH", `${zonePath(emu)}/12345`, { body: { content: "81.2.69.142" } });
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors.map((e) => e.code)).toEqual([7003, 7000]);
    expect(malformed.json.errors[0]?.message).toMatch(
      /^Could not route to \/client\/v4\/zones\/.*\/12345, perhaps/,
    );
    const badZone = await api(emu, "GET", "zones/example.com/dns_records");
    expect(badZone.json.errors.map((e) => e.code)).toEqual([7003, 7000]);
  });

  it("DELETE answers { id }; a second DELETE answers 81044", async () => {
    const emu = await start();
    const txt = emu.records().find((r) => r.type === "TXT") as CloudflareRecord;

    const gone = await api(emu, "DELETE", `${zonePath(emu)}/${txt.id}`);
    expect(gone.json).toMatchObject({ success: true, result: { id: txt.id } });
    expect(emu.records().some((r) => r.id === txt.id)).toBe(false);
    const again = await api(emu, "DELETE", `${zonePath(emu)}/${txt.id}`);
    expect([again.status, again.json.errors[0]?.code]).toEqual([404, 81044]);
  });
});

describe("rate limit", () => {
  it("past the limit, blocks every call of the token with 429, 971 and Retry-After", async () => {
    const emu = await start({ rateLimit: { max: 3, windowSec: 300, blockSec: 120 } });

    for (let i = 0; i < 3; i++) expect((await api(emu, "GET", "zones")).status).toBe(200);
    const limited = await api(emu, "GET", "zones");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("120");
    expect(limited.json.errors).toEqual([
      { code: 971, message: "Please wait and consider throttling your request speed" },
    ]);
    const blocked = await api(emu, "GET", "user/tokens/verify");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(100);
    // Another user's token is not affected.
    expect((await api(emu, "GET", "zones", { token: OTHER })).status).toBe(200);

    emu.resetRateLimit();
    expect((await api(emu, "GET", "zones")).status).toBe(200);
  });
});

describe("faults", () => {
  it("injects HTTP errors, API errors and 429s on a chosen route for a number of requests", async () => {
    const emu = await start({
      faults: [
        { route: "list_records", kind: "http", status: 502, body: "<html>Bad Gateway</html>", times: 2 },
        { route: "verify", kind: "rate_limit", retryAfter: 42 },
        { route: "zones", kind: "api_error", status: 500, code: 10001, message: "service unavailable" },
      ],
    });

    const fetchRaw = (path: string) =>
      fetch(new URL(path, emu.url), {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(5000),
      });
    const first = await fetchRaw(zonePath(emu));
    expect([first.status, await first.text()]).toEqual([502, "<html>Bad Gateway</html>"]);
    expect((await fetchRaw(zonePath(emu))).status).toBe(502);
    expect((await fetchRaw(zonePath(emu))).status).toBe(200);
    const limited = await fetchRaw("user/tokens/verify");
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "42"]);
    const failed = await api(emu, "GET", "zones");
    expect([failed.status, failed.json.errors[0]?.code]).toEqual([500, 10001]);
    expect(emu.requests.map((r) => r.fault ?? r.status)).toEqual([
      "http",
      "http",
      200,
      "rate_limit",
      "api_error",
    ]);
  });

  it("hangs, resets, answers garbage, and can lose the reply after making the change", async () => {
    const emu = await start({
      faults: [
        { route: "zones", kind: "hang" },
        { route: "zones", kind: "reset" },
        { route: "zones", kind: "garbage" },
        { route: "create_record", kind: "lose_reply" },
      ],
    });

    const hung = fetch(new URL("zones", emu.url), {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow();
    await expect(
      api(emu, "GET", "zones").then(
        () => "answered",
        () => "failed",
      ),
    ).resolves.toBe("failed");
    const garbage = await fetch(new URL("zones", emu.url), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await garbage.text()).toMatch(/<html>/);

    const lost = fetch(new URL(zonePath(emu), emu.url), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "A", name: "lost.example.com", content: "81.2.69.142" }),
      signal: AbortSignal.timeout(5000),
    });
    await expect(lost).rejects.toThrow();
    expect(emu.records().filter((r) => r.name === "lost.example.com")).toHaveLength(1);
  });
});

describe("request log", () => {
  it("records every request with the token replaced by ***, wherever it appears", async () => {
    const emu = await start();

    await api(emu, "GET", zonePath(emu), { query: { name: "home.example.com", note: TOKEN } });
    await api(emu, "POST", zonePath(emu), {
      body: { type: "TXT", name: "t.example.com", content: `leak ${TOKEN}`, comment: "x" },
    });
    await api(emu, "GET", "zones", { authorization: `Basic ${TOKEN}` });

    expect(emu.requests.map((r) => [r.method, r.route, r.status])).toEqual([
      ["GET", "list_records", 200],
      ["POST", "create_record", 200],
      ["GET", "zones", 400],
    ]);
    expect(emu.requests[0]).toMatchObject({
      authorization: "Bearer ***",
      path: zonePath(emu),
      query: { name: "home.example.com", note: "***" },
    });
    expect(emu.requests[1]?.body).toMatchObject({ content: "leak ***" });
    expect(emu.requests[2]).toMatchObject({ authorization: "other", errors: [6003] });
    expect(JSON.stringify(emu.requests)).not.toContain(TOKEN);
  });
});
