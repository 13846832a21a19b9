/** The detection source contract as config reads it: strings, tables of every kind, and errors. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.ts";
import { PROVIDER_SCHEMAS } from "../providers/schemas.ts";
import { loadConfig } from "./load.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "homing-sources-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = `
[providers.dh]
type = "dreamhost"
api_key_file = "/etc/homing/dh.key"

[[records]]
name = "home.example.com"
provider = "dh"
ipv6 = true
`;

async function load(detect: string, records = "") {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.toml`);
  await writeFile(path, `${detect}\n${BASE}${records}`);
  return loadConfig({ providers: PROVIDER_SCHEMAS, flagPath: path, env: {}, cwd: dir, home: dir });
}

async function problems(detect: string, records = ""): Promise<string[]> {
  try {
    await load(detect, records);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("detection sources in the config", () => {
  it("accepts every string form and keeps it as written", async () => {
    const sources = [
      "cloudflare",
      "https://ip.example.net/",
      "interface",
      "interface:eth0",
      "upnp",
      "natpmp",
      "pcp",
      "fritzbox",
      "dns:cloudflare",
      "dns:opendns",
      "dns:google",
      "fixed:81.2.69.142",
    ];
    const { config } = await load(`[detect.ipv4]\nsources = ${JSON.stringify(sources)}`);
    expect(config.detect.ipv4.sources).toEqual(sources);
  });

  it("accepts { url = ... } as before and a table of every kind", async () => {
    const { config } = await load(`
[[detect.ipv6.sources]]
url = "https://ip.example.net/"
format = "json"
[[detect.ipv6.sources]]
kind = "http"
url = "https://ip2.example.net/"
[[detect.ipv6.sources]]
kind = "interface"
interface = "eth0"
[[detect.ipv6.sources]]
kind = "dns"
resolver = "cloudflare"
[[detect.ipv6.sources]]
kind = "upnp"
[[detect.ipv6.sources]]
kind = "fixed"
prefix = "2a01:4f8:1200::/56"
name = "isp"
`);
    expect(config.detect.ipv6.sources).toEqual([
      { url: "https://ip.example.net/", format: "json", field: "ip" },
      { kind: "http", url: "https://ip2.example.net/", format: "text", field: "ip" },
      { kind: "interface", interface: "eth0" },
      { kind: "dns", resolver: "cloudflare" },
      { kind: "upnp" },
      { kind: "fixed", prefix: "2a01:4f8:1200::/56", name: "isp" },
    ]);
  });

  it.each([
    ["upnpp", /unknown source "upnpp" \(did you mean "upnp"\?\)/],
    ["dns:cloudflair", /unknown DNS resolver "cloudflair" \(did you mean "dns:cloudflare"\?\)/],
    ["dns", /"dns" needs a resolver/],
    ["upnp:router", /"upnp" takes no argument/],
    ["interface:eth 0", /"eth 0" is not an interface name/],
    ["ipfy", /unknown source "ipfy" \(did you mean "ipify"\?\)/],
    ["ftp://x", /unknown source "ftp:\/\/x"/],
  ])("a bad string %s is refused clearly", async (text, message) => {
    const found = await problems(`[detect.ipv4]\nsources = ["${text}", "ipify", "ipinfo"]`);
    expect(found).toEqual([expect.stringMatching(/detect\.ipv4\.sources\[0\]: /)]);
    expect(found[0]).toMatch(message);
  });

  it("an unknown kind in a table names the kinds and suggests the closest", async () => {
    const found = await problems(`[[detect.ipv4.sources]]\nkind = "interfaces"\ninterface = "eth0"`);
    expect(found).toEqual([
      expect.stringMatching(
        /detect\.ipv4\.sources\[0\]\.kind: unknown source kind "interfaces" \(did you mean "interface"\?\); allowed values: http, interface, .*dns/,
      ),
    ]);
  });

  it("an unknown key in a kind's table lists that kind's keys only", async () => {
    const found = await problems(`[[detect.ipv4.sources]]\nkind = "interface"\ninterfce = "eth0"`);
    expect(found).toEqual([
      expect.stringMatching(
        /detect\.ipv4\.sources\[0\]\.interfce: unknown key \(did you mean "interface"\?\); allowed keys here: kind, interface, prefer, name$/,
      ),
    ]);
  });

  it("a bad value in a kind's table names the allowed values", async () => {
    const found = await problems(`[[detect.ipv4.sources]]\nkind = "dns"\nresolver = "quad9"`);
    expect(found).toEqual([
      expect.stringMatching(
        /detect\.ipv4\.sources\[0\]\.resolver: invalid value "quad9"; allowed values: cloudflare, opendns, google/,
      ),
    ]);
  });

  it("a kindless table is an http table: its keys are checked as before", async () => {
    const found = await problems(`[[detect.ipv4.sources]]\nurl = "https://x.example/"\nformt = "json"`);
    expect(found).toEqual([
      expect.stringMatching(/sources\[0\]\.formt: unknown key \(did you mean "format"\?\)/),
    ]);
  });

  it("a source that is neither string nor table is refused", async () => {
    const found = await problems(`[detect.ipv4]\nsources = [5]`);
    expect(found).toEqual([expect.stringMatching(/detect\.ipv4\.sources\[0\]: expected/)]);
  });
});

describe("ipv6_suffix", () => {
  it("is accepted as an interface identifier", async () => {
    const { config } = await load("", 'ipv6_suffix = "::1234:5678:9abc:def0"\n');
    expect(config.records[0]?.ipv6_suffix).toBe("::1234:5678:9abc:def0");
  });

  it.each(["2001:db8::1", "1234:5678", "::"])("%s is refused with what to write", async (suffix) => {
    const found = await problems("", `ipv6_suffix = "${suffix}"\n`);
    expect(found).toEqual([
      expect.stringMatching(
        /records\[0\]\.ipv6_suffix: expected an interface identifier like "::1234:5678:9abc:def0"/,
      ),
    ]);
  });

  it("needs ipv6 = true", async () => {
    const found = await problems(
      "",
      '\n[[records]]\nname = "nas.example.com"\nprovider = "dh"\nipv6_suffix = "::1"\n',
    );
    expect(found).toEqual([expect.stringMatching(/records\[1\]\.ipv6_suffix: is set but ipv6 is false/)]);
  });
});
