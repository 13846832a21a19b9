import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../../platform/log.ts";
import { createSources, parseSourceString, SOURCE_KINDS, sourceTable } from "./index.ts";

describe("parseSourceString", () => {
  it.each([
    ["cloudflare", { kind: "http", builtin: "cloudflare" }],
    ["cloudflare-trace", { kind: "http", builtin: "cloudflare-trace" }],
    ["https://ip.example.net/", { kind: "http", url: "https://ip.example.net/" }],
    ["HTTP://127.0.0.1:8080/ip", { kind: "http", url: "HTTP://127.0.0.1:8080/ip" }],
    ["interface", { kind: "interface" }],
    ["interface:eth0", { kind: "interface", interface: "eth0" }],
    ["interface:enp0s31f6", { kind: "interface", interface: "enp0s31f6" }],
    ["upnp", { kind: "upnp" }],
    ["natpmp", { kind: "natpmp" }],
    ["pcp", { kind: "pcp" }],
    ["fritzbox", { kind: "fritzbox" }],
    ["dns:cloudflare", { kind: "dns", resolver: "cloudflare" }],
    ["dns:opendns", { kind: "dns", resolver: "opendns" }],
    ["dns:google", { kind: "dns", resolver: "google" }],
    ["fixed:81.2.69.142", { kind: "fixed", address: "81.2.69.142" }],
  ])("%s is %j", (text, table) => {
    expect(parseSourceString(text)).toEqual({ ok: true, table });
  });

  it.each([
    ["upnpp", /unknown source "upnpp" \(did you mean "upnp"\?\)/],
    ["natpnp", /did you mean "natpmp"/],
    ["interfaces", /did you mean "interface"/],
    ["dns:googel", /did you mean "dns:google"/],
    ["dns", /"dns" needs a resolver/],
    ["pcp:1.2.3.4", /"pcp" takes no argument/],
    ["interface:", /"" is not an interface name/],
    ["interface:a-name-longer-than-15", /not an interface name/],
    ["http", /unknown source "http"/],
    ["fixed", /"fixed" needs an address/],
    ["zzzzzzzz", /^unknown source "zzzzzzzz"; use a built-in name .*interface:<name>.*dns:cloudflare/],
  ])("%s is refused: %s", (text, message) => {
    const result = parseSourceString(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe("sourceTable", () => {
  it("gives every config form its kind", () => {
    expect(sourceTable("ipify")).toEqual({ kind: "http", builtin: "ipify" });
    expect(sourceTable({ url: "https://x.example/", format: "text", field: "ip" })).toEqual({
      kind: "http",
      url: "https://x.example/",
      format: "text",
      field: "ip",
    });
    expect(sourceTable({ kind: "dns", resolver: "google" })).toEqual({ kind: "dns", resolver: "google" });
  });
});

describe("the registry", () => {
  it("lists each kind once", () => {
    const kinds = SOURCE_KINDS.map((entry) => entry.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
  });

  it("loads only the kinds a config uses, once each", async () => {
    const spies = SOURCE_KINDS.map((entry) => vi.spyOn(entry, "load"));
    try {
      const logger = createLogger({ level: "error", format: "text", write: () => {} });
      const sources = await createSources(["cloudflare", "ipify", "https://ip.example.net/"], {
        logger,
        family: "ipv6",
      });
      expect(sources.map((s) => [s.kind, s.name, s.where])).toEqual([
        ["http", "cloudflare", "https://[2606:4700:4700::1111]/cdn-cgi/trace"],
        ["http", "ipify", "https://api6.ipify.org/"],
        ["http", "ip.example.net", "https://ip.example.net/"],
      ]);
      const loaded = SOURCE_KINDS.filter((_, index) => (spies[index]?.mock.calls.length ?? 0) > 0);
      expect(loaded.map((entry) => entry.kind)).toEqual(["http"]);
      expect(spies[0]?.mock.calls.length).toBe(1);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("a source whose kind cannot be built fails when asked, and the others are built", async () => {
    const logger = createLogger({ level: "error", format: "text", write: () => {} });
    const [broken, fixed] = await createSources(
      [{ kind: "fixed", prefix: "no-slash" }, "fixed:81.2.69.142"],
      { logger, family: "ipv4" },
    );
    const signal = new AbortController().signal;
    await expect(broken?.ask("ipv4", { signal, timeoutMs: 100 })).rejects.toThrow(/not like/);
    await expect(fixed?.ask("ipv4", { signal, timeoutMs: 100 })).resolves.toMatchObject({
      address: "81.2.69.142",
    });
  });
});
