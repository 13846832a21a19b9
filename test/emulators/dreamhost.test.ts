import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type DreamHostEmulator,
  type DreamHostEmulatorConfig,
  type DreamHostRecordRow,
  startDreamHostEmulator,
} from "./dreamhost.ts";

const KEY = "AAAABBBBCCCCDDDD";
const DNS_KEY = "DNSONLY000000001";
const OTHER_KEY = "OTHERACCOUNT0001";

function baseConfig(): DreamHostEmulatorConfig {
  return {
    keys: {
      [KEY]: { accountIds: ["123456", "654321"], cmds: "*" },
      [DNS_KEY]: {
        accountIds: ["123456"],
        cmds: ["dns-list_records", "dns-add_record", "dns-remove_record"],
      },
      [OTHER_KEY]: { accountIds: ["123456"], cmds: "*" },
    },
    zones: [
      { accountId: "123456", zone: "example.com" },
      { accountId: "123456", zone: "example.org" },
      { accountId: "654321", zone: "other.net" },
      { accountId: "123456", zone: "me.dreamhosters.com" },
    ],
    records: [
      {
        accountId: "123456",
        zone: "example.com",
        record: "example.com",
        type: "NS",
        value: "ns1.dreamhost.com.",
        editable: "0",
      },
      {
        accountId: "123456",
        zone: "example.com",
        record: "example.com",
        type: "A",
        value: "69.163.136.138",
        editable: "0",
      },
      {
        accountId: "123456",
        zone: "example.com",
        record: "home.example.com",
        type: "A",
        value: "203.0.113.7",
        comment: "ddns",
        editable: "1",
      },
      {
        accountId: "123456",
        zone: "example.com",
        record: "www.example.com",
        type: "CNAME",
        value: "example.com.",
        editable: "1",
      },
      {
        accountId: "123456",
        zone: "me.dreamhosters.com",
        record: "me.dreamhosters.com",
        type: "A",
        value: "192.0.2.1",
        editable: "0",
      },
      {
        accountId: "654321",
        zone: "other.net",
        record: "other.net",
        type: "A",
        value: "192.0.2.50",
        editable: "1",
      },
    ],
    // Deterministic by default; the shuffling itself has its own test.
    quirks: { shuffleRecordOrder: false, shuffleKeyOrder: false },
  };
}

interface CallOptions {
  method?: "GET" | "POST" | "MULTIPART";
  path?: string;
  signal?: AbortSignal;
}

interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test helper over untyped JSON
  json: any;
}

async function call(
  emu: DreamHostEmulator,
  params: Record<string, string>,
  opts: CallOptions = {},
): Promise<CallResult> {
  const method = opts.method ?? "GET";
  const base = new URL(opts.path ?? "/", emu.url);
  let response: Response;
  const init: RequestInit = opts.signal === undefined ? {} : { signal: opts.signal };
  if (method === "GET") {
    base.search = new URLSearchParams(params).toString();
    response = await fetch(base, init);
  } else if (method === "POST") {
    response = await fetch(base, { ...init, method: "POST", body: new URLSearchParams(params) });
  } else {
    const form = new FormData();
    for (const [name, value] of Object.entries(params)) form.append(name, value);
    response = await fetch(base, { ...init, method: "POST", body: form });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function json(params: Record<string, string>): Record<string, string> {
  return { key: KEY, format: "json", ...params };
}

async function list(
  emu: DreamHostEmulator,
  extra: Record<string, string> = {},
): Promise<DreamHostRecordRow[]> {
  const res = await call(emu, json({ cmd: "dns-list_records", ...extra }));
  expect(res.json.result).toBe("success");
  return res.json.data;
}

function add(
  emu: DreamHostEmulator,
  record: string,
  type: string,
  value: string,
  extra: Record<string, string> = {},
) {
  return call(emu, json({ cmd: "dns-add_record", record, type, value, ...extra }), { method: "POST" });
}

function remove(
  emu: DreamHostEmulator,
  record: string,
  type: string,
  value: string,
  extra: Record<string, string> = {},
) {
  return call(emu, json({ cmd: "dns-remove_record", record, type, value, ...extra }), { method: "POST" });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("DreamHost emulator", () => {
  let emu: DreamHostEmulator;
  const extra: DreamHostEmulator[] = [];

  async function start(patch: Partial<DreamHostEmulatorConfig> = {}): Promise<DreamHostEmulator> {
    const e = await startDreamHostEmulator({ ...baseConfig(), ...patch });
    extra.push(e);
    return e;
  }

  beforeEach(async () => {
    emu = await startDreamHostEmulator(baseConfig());
  });

  afterEach(async () => {
    await emu.close();
    await Promise.all(extra.splice(0).map((e) => e.close()));
  });

  describe("dns-list_records", () => {
    it("lists every row of the key's accounts as strings, hiding dreamhosters.com", async () => {
      const res = await call(emu, json({ cmd: "dns-list_records" }));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json;charset=UTF-8");
      expect(res.headers.get("server")).toBe("nginx");
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(Object.keys(res.json).sort()).toEqual(["data", "result"]);
      expect(res.json.data).toEqual([
        {
          account_id: "123456",
          zone: "example.com",
          record: "example.com",
          type: "NS",
          value: "ns1.dreamhost.com.",
          comment: "",
          editable: "0",
        },
        {
          account_id: "123456",
          zone: "example.com",
          record: "example.com",
          type: "A",
          value: "69.163.136.138",
          comment: "",
          editable: "0",
        },
        {
          account_id: "123456",
          zone: "example.com",
          record: "home.example.com",
          type: "A",
          value: "203.0.113.7",
          comment: "ddns",
          editable: "1",
        },
        {
          account_id: "123456",
          zone: "example.com",
          record: "www.example.com",
          type: "CNAME",
          value: "example.com.",
          comment: "",
          editable: "1",
        },
        {
          account_id: "654321",
          zone: "other.net",
          record: "other.net",
          type: "A",
          value: "192.0.2.50",
          comment: "",
          editable: "1",
        },
      ]);
    });

    it("ignores filter arguments and honours account", async () => {
      expect(await list(emu, { type: "CNAME", editable: "1" })).toHaveLength(5);
      const rows = await list(emu, { account: "654321" });
      expect(rows.map((r) => r.record)).toEqual(["other.net"]);
      const res = await call(emu, json({ cmd: "dns-list_records", account: "999999" }));
      expect(res.json).toEqual({ result: "error", data: "invalid_account" });
    });

    it("returns an empty array for an account without rows", async () => {
      const e = await start({ records: [] });
      expect(await list(e)).toEqual([]);
    });

    it("shuffles record order and key order by default", async () => {
      const records = Array.from({ length: 12 }, (_, i) => ({
        accountId: "123456",
        zone: "example.com",
        record: `h${i}.example.com`,
        type: "A",
        value: `192.0.2.${i}`,
        editable: "1" as const,
      }));
      const e = await start({ records, quirks: {} });
      const orders = new Set<string>();
      const keyOrders = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const res = await call(e, json({ cmd: "dns-list_records" }));
        orders.add(res.json.data.map((r: DreamHostRecordRow) => r.record).join(","));
        keyOrders.add(Object.keys(res.json).join(","));
        for (const row of res.json.data) keyOrders.add(Object.keys(row).join(","));
        expect(res.json.data).toHaveLength(12);
      }
      expect(orders.size).toBeGreaterThan(1);
      expect(keyOrders.size).toBeGreaterThan(2);
    });

    it("speaks tab format when format is omitted", async () => {
      const res = await call(emu, { key: KEY, cmd: "dns-list_records", account: "654321" });
      expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
      expect(res.text).toBe(
        "success\naccount_id\tzone\trecord\ttype\tvalue\tcomment\teditable\n654321\tother.net\tother.net\tA\t192.0.2.50\t\t1",
      );
    });
  });

  describe("dns-add_record", () => {
    it("adds a record (GET, POST form, POST multipart) and lists it", async () => {
      expect((await add(emu, "New.Example.com", "a", "198.51.100.20", { comment: "ddns" })).json).toEqual({
        result: "success",
        data: "record_added",
      });
      const viaGet = await call(
        emu,
        json({ cmd: "dns-add_record", record: "get.example.com", type: "AAAA", value: "2001:DB8::1" }),
      );
      expect(viaGet.json.data).toBe("record_added");
      const viaMultipart = await call(
        emu,
        json({ cmd: "dns-add_record", record: "mp.example.org", type: "TXT", value: "hello world & more" }),
        { method: "MULTIPART" },
      );
      expect(viaMultipart.json.data).toBe("record_added");
      const rows = await list(emu);
      expect(rows).toContainEqual({
        account_id: "123456",
        zone: "example.com",
        record: "new.example.com",
        type: "A",
        value: "198.51.100.20",
        comment: "ddns",
        editable: "1",
      });
      // AAAA values are stored as sent, not normalised.
      expect(rows.find((r) => r.record === "get.example.com")?.value).toBe("2001:DB8::1");
      expect(rows.find((r) => r.record === "mp.example.org")).toMatchObject({
        zone: "example.org",
        value: "hello world & more",
      });
      expect(emu.records()).toHaveLength(9);
    });

    it("lets the POST body win over the query string", async () => {
      const url = new URL(emu.url);
      url.search = new URLSearchParams({
        key: KEY,
        format: "json",
        cmd: "dns-add_record",
        value: "1.1.1.1",
      }).toString();
      const res = await fetch(url, {
        method: "POST",
        body: new URLSearchParams({
          cmd: "dns-add_record",
          record: "body.example.com",
          type: "A",
          value: "2.2.2.2",
        }),
      });
      expect(await res.json()).toEqual({ result: "success", data: "record_added" });
      expect(emu.records().find((r) => r.record === "body.example.com")?.value).toBe("2.2.2.2");
      expect(emu.requests.at(-1)?.queryParamNames).toEqual(["key", "format", "cmd", "value"]);
    });

    it("allows round robin but rejects identical rows", async () => {
      expect((await add(emu, "home.example.com", "A", "198.51.100.20")).json.data).toBe("record_added");
      expect((await add(emu, "home.example.com", "A", "198.51.100.20")).json).toEqual({
        result: "error",
        data: "record_already_exists_remove_first",
      });
      expect(emu.records().filter((r) => r.record === "home.example.com")).toHaveLength(2);
    });

    it("reports argument errors in the documented order", async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ type: "A", value: "1.2.3.4" }, "no_record"],
        [{ record: "", type: "", value: "" }, "no_record"],
        [{ record: "a.example.com", value: "1.2.3.4" }, "no_type"],
        [{ record: "a.example.com", type: "A" }, "no_value"],
        [{ record: "a.example.com.", type: "A", value: "1.2.3.4" }, "invalid_record"],
        [{ record: "a..example.com", type: "A", value: "1.2.3.4" }, "invalid_record"],
        [{ record: "a b.example.com", type: "A", value: "1.2.3.4" }, "invalid_record"],
        [{ record: `${"x".repeat(64)}.example.com`, type: "A", value: "1.2.3.4" }, "invalid_record"],
        [{ record: "a.example.com", type: "MX", value: "10 mail.example.com" }, "invalid_type"],
        [{ record: "a.example.com", type: "A", value: "256.1.1.1" }, "invalid_value"],
        [{ record: "a.example.com", type: "AAAA", value: "2001:db8::g" }, "invalid_value"],
        [{ record: "a.example.com", type: "AAAA", value: "1.2.3.4" }, "invalid_value"],
        [{ record: "a.example.com", type: "CNAME", value: "not a host" }, "invalid_value"],
        [{ record: "a.example.com", type: "TXT", value: "x".repeat(256) }, "invalid_value"],
        [
          { record: "_sip._tcp.example.com", type: "SRV", value: "10 5 99999 sip.example.com" },
          "invalid_value",
        ],
        [{ record: "nothere.example.net", type: "A", value: "1.2.3.4" }, "no_such_zone"],
        [{ record: "x.me.dreamhosters.com", type: "A", value: "1.2.3.4" }, "no_such_zone"],
        [{ record: "x.other.net", type: "A", value: "1.2.3.4", account: "123456" }, "no_such_zone"],
      ];
      for (const [args, code] of cases) {
        const res = await call(emu, json({ cmd: "dns-add_record", ...args }));
        expect(res.json.data, JSON.stringify(args)).toBe(code);
        expect(res.json.result).toBe("error");
      }
      expect(emu.records()).toHaveLength(6);
    });

    it("places error specifics per errorDetailIn, and after a tab in tab format", async () => {
      expect((await add(emu, "home.example.com", "A", "1.2.3")).json).toEqual({
        result: "error",
        data: "invalid_value",
        reason: "too short",
      });
      expect((await add(emu, "home.example.com", "mx", "10 mail.example.com")).json).toEqual({
        result: "error",
        data: "invalid_type",
        reason: "MX",
      });
      emu.setQuirks({ errorDetailIn: "data-tab" });
      expect((await add(emu, "home.example.com", "A", "1.2.3")).json).toEqual({
        result: "error",
        data: "invalid_value\ttoo short",
      });
      // invalid_api_key's reason is observed in the reason field, whatever the quirk says.
      expect((await call(emu, { key: "NOPE", cmd: "dns-list_records", format: "json" })).json.reason).toBe(
        "The API key you provided does not exist.",
      );
      const tab = await call(emu, {
        key: KEY,
        cmd: "dns-add_record",
        record: "home.example.com",
        type: "A",
        value: "1.2.3",
      });
      expect(tab.text).toBe("error\ninvalid_value\ttoo short");
      const tabOk = await call(emu, {
        key: KEY,
        cmd: "dns-add_record",
        record: "t.example.com",
        type: "A",
        value: "1.2.3.4",
      });
      expect(tabOk.text).toBe("success\nrecord_added");
    });

    it("applies the CNAME rules", async () => {
      expect((await add(emu, "www.example.com", "A", "198.51.100.20")).json.data).toBe(
        "CNAME_already_on_record",
      );
      expect((await add(emu, "home.example.com", "CNAME", "example.com")).json.data).toBe(
        "CNAME_must_be_only_record",
      );
      expect((await add(emu, "alias.example.com", "CNAME", "target.example.net")).json.data).toBe(
        "record_added",
      );
      expect(emu.records().find((r) => r.record === "alias.example.com")?.value).toBe("target.example.net.");
      // Removal compares the stored string byte-for-byte.
      expect((await remove(emu, "alias.example.com", "CNAME", "target.example.net")).json.data).toBe(
        "no_such_value",
      );
      expect((await remove(emu, "alias.example.com", "CNAME", "target.example.net.")).json.data).toBe(
        "record_removed",
      );
    });

    it("appends trailing dots to hostname targets unless the quirks are off", async () => {
      expect((await add(emu, "sub.example.com", "NS", "ns1.example.net")).json.data).toBe("record_added");
      expect((await add(emu, "_sip._tcp.example.com", "SRV", "10 5 5060 sip.example.com")).json.data).toBe(
        "record_added",
      );
      emu.setQuirks({ cnameTrailingDot: false, hostnameTargetsTrailingDot: false });
      expect((await add(emu, "c.example.com", "CNAME", "target.example.net")).json.data).toBe("record_added");
      expect((await add(emu, "sub2.example.com", "NS", "ns1.example.net")).json.data).toBe("record_added");
      const values = Object.fromEntries(emu.records().map((r) => [r.record, r.value]));
      expect(values["sub.example.com"]).toBe("ns1.example.net.");
      expect(values["_sip._tcp.example.com"]).toBe("10 5 5060 sip.example.com.");
      expect(values["c.example.com"]).toBe("target.example.net");
      expect(values["sub2.example.com"]).toBe("ns1.example.net");
    });

    it("handles non-editable rows per quirk", async () => {
      expect((await add(emu, "example.com", "A", "69.163.136.138")).json.data).toBe(
        "record_already_exists_not_editable",
      );
      expect((await add(emu, "example.com", "A", "198.51.100.1")).json.data).toBe(
        "record_already_exists_not_editable",
      );
      emu.setQuirks({ nonEditableSameNameTypeBlocksAdd: false });
      expect((await add(emu, "example.com", "A", "198.51.100.1")).json.data).toBe("record_added");
    });
  });

  describe("dns-remove_record", () => {
    it("removes a row and reports what is missing afterwards", async () => {
      await add(emu, "home.example.com", "A", "198.51.100.20");
      expect((await remove(emu, "home.example.com", "A", "203.0.113.7")).json).toEqual({
        result: "success",
        data: "record_removed",
      });
      expect((await remove(emu, "home.example.com", "A", "203.0.113.7")).json.data).toBe("no_such_value");
      expect((await remove(emu, "home.example.com", "AAAA", "2001:db8::1")).json.data).toBe("no_such_type");
      expect((await remove(emu, "home.example.com", "BOGUS", "x")).json.data).toBe("no_such_type");
      expect((await remove(emu, "home.example.com", "A", "198.51.100.20")).json.data).toBe("record_removed");
      expect((await remove(emu, "home.example.com", "A", "198.51.100.20")).json.data).toBe("no_such_record");
      expect((await remove(emu, "x.nothere.net", "A", "1.2.3.4")).json.data).toBe("no_such_record");
      expect((await remove(emu, "", "A", "1.2.3.4")).json.data).toBe("no_record");
      expect((await remove(emu, "a.example.com", "", "1.2.3.4")).json.data).toBe("no_type");
      expect((await remove(emu, "a.example.com", "A", "")).json.data).toBe("no_value");
      const tab = await call(emu, {
        key: KEY,
        cmd: "dns-remove_record",
        record: "other.net",
        type: "a",
        value: "192.0.2.50",
      });
      expect(tab.text).toBe("success\nrecord_removed");
    });

    it("refuses non-editable rows per removeNonEditable", async () => {
      expect((await remove(emu, "example.com", "A", "69.163.136.138")).json.data).toBe("not_editable");
      emu.setQuirks({ removeNonEditable: "no_such_value" });
      expect((await remove(emu, "example.com", "A", "69.163.136.138")).json.data).toBe("no_such_value");
      expect(emu.records()).toHaveLength(6);
    });
  });

  describe("auth, commands and transport", () => {
    it("checks key, cmd and permissions in order", async () => {
      const expectError = async (params: Record<string, string>, data: string) => {
        const res = await call(emu, { format: "json", ...params });
        expect(res.status).toBe(200);
        expect(res.json.result, JSON.stringify(params)).toBe("error");
        expect(res.json.data, JSON.stringify(params)).toBe(data);
        return res;
      };
      await expectError({ cmd: "dns-list_records" }, "no_key");
      await expectError({ key: "", cmd: "dns-list_records" }, "no_key");
      await expectError({ Key: KEY, cmd: "dns-list_records" }, "no_key");
      const invalid = await expectError(
        { key: "ZZZZZZZZZZZZZZZZ", cmd: "dns-list_records" },
        "invalid_api_key",
      );
      expect(invalid.json.reason).toBe("The API key you provided does not exist.");
      await expectError({ key: KEY }, "no_cmd");
      await expectError({ key: DNS_KEY, cmd: "api-list_accessible_cmds" }, "this_key_cannot_access_this_cmd");
      await expectError({ key: DNS_KEY, cmd: "dns-update_record" }, "this_key_cannot_access_this_cmd");
      await expectError({ key: KEY, cmd: "dns-update_record" }, "no_such_cmd");
      await expectError({ key: KEY, cmd: "domain-list_domains" }, "no_such_cmd");
      await expectError({ key: DNS_KEY, cmd: "dns-list_records", account: "654321" }, "invalid_account");
    });

    it("lists accessible commands", async () => {
      const res = await call(emu, json({ cmd: "api-list_accessible_cmds" }));
      expect(res.json.result).toBe("success");
      expect(res.json.data.map((c: { cmd: string }) => c.cmd)).toEqual([
        "api-list_accessible_cmds",
        "dns-add_record",
        "dns-list_records",
        "dns-remove_record",
      ]);
      expect(res.json.data[0]).toEqual({
        cmd: "api-list_accessible_cmds",
        order: "see_docs",
        args: "see_docs",
        optargs: "see_docs",
      });
    });

    it("serves only / with GET or POST and json or tab", async () => {
      const notFound = await call(emu, json({ cmd: "dns-list_records" }), { path: "/api" });
      expect(notFound.status).toBe(404);
      expect(notFound.headers.get("content-type")).toMatch(/^text\/html/);
      const put = await fetch(emu.url, { method: "PUT", body: "x" });
      expect(put.status).toBe(405);
      await put.text();
      const xml = await call(emu, { key: KEY, cmd: "dns-list_records", format: "xml" });
      expect(xml.status).toBe(501);
      expect(xml.text).toBe("emulator: format not implemented");
      const upper = await call(emu, { key: KEY, cmd: "dns-list_records", format: "JSON" });
      expect(upper.json.result).toBe("success");
    });

    it("logs every request in order with the key redacted", async () => {
      await call(emu, json({ cmd: "dns-list_records", unique_id: "u-1" }));
      await add(emu, "log.example.com", "A", "1.2.3.4", { unique_id: "u-2" });
      await add(emu, "log.example.com", "A", "1.2.3");
      await call(emu, json({ cmd: "dns-list_records" }), { method: "MULTIPART" });
      const log = emu.requests;
      expect(log).toHaveLength(4);
      expect(log[0]).toMatchObject({
        cmd: "dns-list_records",
        method: "GET",
        contentType: "",
        params: { key: "***", cmd: "dns-list_records", format: "json", unique_id: "u-1" },
        uniqueId: "u-1",
        result: "success",
      });
      expect(log[0]?.data).toBeUndefined();
      expect(log[1]).toMatchObject({
        method: "POST",
        contentType: "application/x-www-form-urlencoded;charset=UTF-8",
        result: "success",
        data: "record_added",
        queryParamNames: [],
      });
      expect(log[2]).toMatchObject({ result: "error", data: "invalid_value" });
      expect(log[2]?.uniqueId).toBeUndefined();
      expect(log[3]?.contentType).toMatch(/^multipart\/form-data; boundary=/);
      expect(log[3]?.params["key"]).toBe("***");
      expect(JSON.stringify(log)).not.toContain(KEY);
      for (const entry of log) expect(entry.at).toBeGreaterThan(Date.now() - 10_000);
    });
  });

  describe("unique_id", () => {
    it("is used up by a success only, per key", async () => {
      const id = "7f1c0000-0000-4000-8000-000000000001";
      expect((await add(emu, "u.example.com", "A", "1.2.3.4", { unique_id: id })).json.data).toBe(
        "record_added",
      );
      // A replay is refused without executing the command again.
      expect((await add(emu, "u.example.com", "A", "1.2.3.5", { unique_id: id })).json).toEqual({
        result: "error",
        data: "unique_id_already_used",
      });
      expect(emu.records().filter((r) => r.record === "u.example.com")).toHaveLength(1);
      // The id belongs to KEY only.
      const other = await call(emu, {
        key: OTHER_KEY,
        format: "json",
        cmd: "dns-add_record",
        record: "u.example.com",
        type: "A",
        value: "1.2.3.6",
        unique_id: id,
      });
      expect(other.json.data).toBe("record_added");
      // Failures do not consume an id.
      const id2 = "retry-after-failure";
      expect((await add(emu, "u2.example.com", "A", "1.2.3", { unique_id: id2 })).json.data).toBe(
        "invalid_value",
      );
      expect((await add(emu, "u2.example.com", "A", "1.2.3.4", { unique_id: id2 })).json.data).toBe(
        "record_added",
      );
    });

    it("rejects ids longer than uniqueIdMaxLen", async () => {
      expect((await add(emu, "u.example.com", "A", "1.2.3.4", { unique_id: "x".repeat(64) })).json.data).toBe(
        "record_added",
      );
      expect((await add(emu, "u.example.com", "A", "1.2.3.5", { unique_id: "y".repeat(65) })).json.data).toBe(
        "unique_id_too_long",
      );
      emu.setQuirks({ uniqueIdMaxLen: 8 });
      expect((await call(emu, json({ cmd: "dns-list_records", unique_id: "123456789" }))).json.data).toBe(
        "unique_id_too_long",
      );
    });
  });

  describe("rate limits", () => {
    it("allows 10 adds per 5 minutes by default, counting successes only", async () => {
      for (let i = 0; i < 10; i++) {
        // Failures in between do not count.
        expect((await add(emu, "home.example.com", "A", "203.0.113.7")).json.data).toBe(
          "record_already_exists_remove_first",
        );
        expect((await add(emu, `r${i}.example.com`, "A", "192.0.2.1")).json.data).toBe("record_added");
      }
      expect((await add(emu, "r10.example.com", "A", "192.0.2.1")).json).toEqual({
        result: "error",
        data: "slow_down_bucko",
        reason: "dns-add_record limit of 10 per 300s reached",
      });
      // Listing and removing have their own counters.
      expect((await list(emu)).length).toBeGreaterThan(10);
      expect((await remove(emu, "r0.example.com", "A", "192.0.2.1")).json.data).toBe("record_removed");
      // Per key.
      const other = await call(emu, {
        key: OTHER_KEY,
        format: "json",
        cmd: "dns-add_record",
        record: "r10.example.com",
        type: "A",
        value: "192.0.2.1",
      });
      expect(other.json.data).toBe("record_added");
      emu.resetRateLimits();
      expect((await add(emu, "r11.example.com", "A", "192.0.2.1")).json.data).toBe("record_added");
    });

    it("uses configured limits and the data-tab detail placement", async () => {
      const e = await start({
        rateLimits: [{ cmd: "dns-list_records", windowSec: 60, max: 2 }],
        quirks: { errorDetailIn: "data-tab", shuffleKeyOrder: false },
      });
      await list(e);
      await list(e);
      const res = await call(e, json({ cmd: "dns-list_records" }));
      expect(res.json).toEqual({
        result: "error",
        data: "slow_down_bucko\tdns-list_records limit of 2 per 60s reached",
      });
      const tab = await call(e, { key: KEY, cmd: "dns-list_records" });
      expect(tab.text).toBe("error\nslow_down_bucko\tdns-list_records limit of 2 per 60s reached");
      // With custom limits only, adds are unlimited.
      for (let i = 0; i < 12; i++)
        expect((await add(e, `n${i}.example.com`, "A", "192.0.2.1")).json.data).toBe("record_added");
    });
  });

  describe("faults", () => {
    it("injects api errors for a command, a number of times, without consuming the unique_id", async () => {
      emu.addFault({
        cmd: "dns-add_record",
        times: 2,
        kind: "api_error",
        code: "internal_error_updating_zone",
        reason: "try later",
      });
      expect((await list(emu)).length).toBe(5);
      const first = await add(emu, "f.example.com", "A", "1.2.3.4", { unique_id: "same" });
      expect(first.json).toEqual({
        result: "error",
        data: "internal_error_updating_zone",
        reason: "try later",
      });
      expect((await add(emu, "f.example.com", "A", "1.2.3.4", { unique_id: "same" })).json.data).toBe(
        "internal_error_updating_zone",
      );
      expect((await add(emu, "f.example.com", "A", "1.2.3.4", { unique_id: "same" })).json.data).toBe(
        "record_added",
      );
      expect(emu.requests.map((r) => r.result)).toEqual(["success", "fault", "fault", "success"]);
      expect(emu.requests[1]?.data).toBe("internal_error_updating_zone");
    });

    it("injects HTTP errors, garbage and truncated JSON", async () => {
      emu.addFault({ kind: "http", status: 502, body: "<html>Bad Gateway</html>" });
      emu.addFault({ kind: "http", status: 500, body: "", contentType: "text/plain" });
      emu.addFault({ kind: "garbage" });
      emu.addFault({ kind: "truncated_json" });
      const bad = await call(emu, json({ cmd: "dns-list_records" }));
      expect(bad.status).toBe(502);
      expect(bad.text).toBe("<html>Bad Gateway</html>");
      expect(bad.headers.get("content-type")).toBe("text/html");
      const empty = await call(emu, json({ cmd: "dns-list_records" }));
      expect([empty.status, empty.text]).toEqual([500, ""]);
      const garbage = await call(emu, json({ cmd: "dns-list_records" }));
      expect(garbage.status).toBe(200);
      expect(garbage.headers.get("content-type")).toBe("text/html");
      expect(garbage.text).toMatch(/^<html>/);
      const truncated = await call(emu, json({ cmd: "dns-list_records" }));
      expect(truncated.text).toBe('{"result":"succ');
      expect(truncated.headers.get("content-type")).toBe("application/json;charset=UTF-8");
      expect((await list(emu)).length).toBe(5);
    });

    it("does not fire faults before auth passes", async () => {
      emu.addFault({ kind: "garbage" });
      expect((await call(emu, { format: "json", cmd: "dns-list_records" })).json.data).toBe("no_key");
      expect((await call(emu, json({ cmd: "dns-list_records" }))).headers.get("content-type")).toBe(
        "text/html",
      );
    });

    it("hangs until the client gives up, and close() still returns", async () => {
      const e = await start({ faults: [{ kind: "hang", times: Number.POSITIVE_INFINITY }] });
      const started = Date.now();
      await expect(
        call(e, json({ cmd: "dns-list_records" }), { signal: AbortSignal.timeout(150) }),
      ).rejects.toThrow();
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      // Leave one request hanging on an open socket: close() must destroy it.
      const pending = call(e, json({ cmd: "dns-list_records" })).catch((error: unknown) => error);
      await sleep(50);
      await e.close();
      expect(await pending).toBeInstanceOf(Error);
      expect(e.requests.map((r) => r.data)).toEqual(["hang", "hang"]);
    });

    it("resets the connection", async () => {
      emu.addFault({ cmd: "dns-remove_record", kind: "reset" });
      await expect(remove(emu, "home.example.com", "A", "203.0.113.7")).rejects.toThrow();
      expect(emu.records()).toHaveLength(6);
      expect((await remove(emu, "home.example.com", "A", "203.0.113.7")).json.data).toBe("record_removed");
    });
  });

  describe("timing", () => {
    it("delays responses by latencyMs after processing the request", async () => {
      const e = await start({ latencyMs: 120 });
      const started = Date.now();
      const pending = add(e, "slow.example.com", "A", "1.2.3.4", { unique_id: "slow-1" });
      await sleep(40);
      // The change is committed before the reply leaves: a client timeout here would not undo it.
      expect(e.records().some((r) => r.record === "slow.example.com")).toBe(true);
      expect((await pending).json.data).toBe("record_added");
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    });

    it("emulates consistency lag for list and for identical re-adds", async () => {
      emu.setQuirks({ consistencyLagMs: 250 });
      expect((await add(emu, "lag.example.com", "A", "1.2.3.4")).json.data).toBe("record_added");
      expect((await remove(emu, "home.example.com", "A", "203.0.113.7")).json.data).toBe("record_removed");
      let rows = await list(emu);
      expect(rows.some((r) => r.record === "lag.example.com")).toBe(false);
      expect(rows.some((r) => r.record === "home.example.com")).toBe(true);
      expect((await add(emu, "home.example.com", "A", "203.0.113.7")).json.data).toBe(
        "record_already_exists_remove_first",
      );
      expect(emu.records().some((r) => r.record === "home.example.com")).toBe(false);
      await sleep(300);
      rows = await list(emu);
      expect(rows.some((r) => r.record === "lag.example.com")).toBe(true);
      expect(rows.some((r) => r.record === "home.example.com")).toBe(false);
      expect((await add(emu, "home.example.com", "A", "203.0.113.7")).json.data).toBe("record_added");
    });
  });

  describe("test controls", () => {
    it("replaces rows with setRecords and returns copies from records()", async () => {
      const copy = emu.records();
      copy[0]!.value = "mutated";
      expect(emu.records()[0]?.value).toBe("ns1.dreamhost.com.");
      emu.setRecords([
        {
          account_id: "123456",
          zone: "fresh.com",
          record: "a.fresh.com",
          type: "A",
          value: "1.1.1.1",
          comment: "",
          editable: "1",
        },
        {
          accountId: "123456",
          zone: "example.com",
          record: "b.example.com",
          type: "A",
          value: "2.2.2.2",
          editable: "0",
        },
      ]);
      expect((await list(emu)).map((r) => r.record)).toEqual(["a.fresh.com", "b.example.com"]);
      // The zone of a seeded row exists from then on.
      expect((await add(emu, "c.fresh.com", "A", "3.3.3.3")).json.data).toBe("record_added");
    });
  });
});
