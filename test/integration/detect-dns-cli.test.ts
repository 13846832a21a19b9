/**
 * The `dns` source kind through the real CLI (`node bin/homing detect --json -c CFG`), against real
 * BIND and Knot on loopback, each source's `server` pointing at them: the address in consensus with
 * the source's kind and evidence, IPv6 asked over [::1], a private answer refused by detect's public
 * check, a wrong-class and a non-address answer refused with their reasons, and config mistakes
 * refused before anything is asked. Needs the source registry of the detect-core branch (kind tables
 * in config, `kind` in the JSON).
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DnsServer,
  serverAvailable,
  startBind,
  startKnot,
  stopAllServers,
} from "../support/dns-servers.ts";
import { hasIpv6Loopback, IP1, IP6_1, makeTempDir, runCli } from "../support/harness.ts";

const bindOk = serverAvailable("bind");
const knotOk = serverAvailable("knot");
const PRIVATE = "10.20.30.40";

interface DetectJson {
  detection: Array<{
    family: string;
    status: string;
    address?: string;
    reason?: string;
    sources: Array<{
      source: string;
      kind: string;
      where?: string;
      verdict: string;
      address?: string;
      evidence?: string;
      reason?: string;
      hint?: string;
    }>;
  }>;
}

let ipv6 = false;
let good: DnsServer | undefined;
let bad: DnsServer | undefined;
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir("homing-detect-dns-");
  ipv6 = await hasIpv6Loopback();
  if (!ipv6) console.warn("SKIPPING the IPv6 case: this host cannot listen on [::1]");
  await Promise.all([
    bindOk &&
      startBind({
        keys: [],
        ipv6,
        zones: [
          { name: "myip.opendns.com", records: [`@ IN A ${IP1}`, `@ IN AAAA ${IP6_1}`] },
          { name: "o-o.myaddr.l.google.com", records: [`@ IN TXT "${IP1}"`] },
          { name: "whoami.cloudflare", class: "CH", records: [`@ CH TXT "${IP1}"`] },
        ],
      }).then((server) => (good = server)),
    knotOk &&
      startKnot({
        keys: [],
        zones: [
          { name: "myip.opendns.com", records: [`@ IN A ${PRIVATE}`] },
          { name: "o-o.myaddr.l.google.com", records: ['@ IN TXT "hello from the test"'] },
          { name: "whoami.cloudflare", records: [`@ IN TXT "${IP1}"`] },
        ],
      }).then((server) => (bad = server)),
  ]);
});

afterAll(async () => {
  await stopAllServers();
  await rm(dir, { recursive: true, force: true });
});

let configs = 0;

/** Writes a config whose [detect.<family>] sources are `sources` (TOML inline tables or strings). */
async function config(family: "ipv4" | "ipv6", sources: string[], quorum: number): Promise<string> {
  const path = join(dir, `homing-${++configs}.toml`);
  const text = [
    `state_dir = ${JSON.stringify(join(dir, "state"))}`,
    "",
    "[detect]",
    'timeout = "3s"',
    "",
    `[detect.${family}]`,
    `sources = [\n  ${sources.join(",\n  ")},\n]`,
    `quorum = ${quorum}`,
    "",
    "[providers.dh]",
    'type = "dreamhost"',
    'endpoint = "http://127.0.0.1:9/"',
    "",
    "[[records]]",
    'name = "home.example.com"',
    'provider = "dh"',
    `ipv4 = ${family === "ipv4"}`,
    `ipv6 = ${family === "ipv6"}`,
  ].join("\n");
  await writeFile(path, `${text}\n`);
  return path;
}

const table = (resolver: string, server: string) =>
  `{ kind = "dns", resolver = "${resolver}", server = "${server}" }`;

async function detect(path: string) {
  const result = await runCli(["detect", "--json", "-c", path], dir);
  return { ...result, json: result.stdout ? (JSON.parse(result.stdout) as DetectJson) : undefined };
}

describe.skipIf(!bindOk)("through homing detect, against BIND", () => {
  it("three DNS sources of three operators agree on the IPv4 address", async () => {
    const server = (good as DnsServer).address;
    const path = await config(
      "ipv4",
      ["cloudflare", "opendns", "google"].map((resolver) => table(resolver, server)),
      3,
    );
    const result = await detect(path);
    expect(result.code, result.stderr).toBe(0);
    const [family] = result.json?.detection ?? [];
    expect(family).toMatchObject({ family: "ipv4", status: "known", address: IP1 });
    expect(family?.sources.map((s) => [s.source, s.kind, s.verdict, s.address])).toEqual([
      ["dns:cloudflare", "dns", "agreed", IP1],
      ["dns:opendns", "dns", "agreed", IP1],
      ["dns:google", "dns", "agreed", IP1],
    ]);
    expect(family?.sources[0]?.where).toBe(`whoami.cloudflare TXT CH at ${server}`);
    expect(family?.sources[0]?.evidence).toBe(`whoami.cloudflare TXT CH from ${server} over UDP`);
  });

  it("the IPv6 address is asked over IPv6, at [::1]", async () => {
    if (!ipv6) return;
    const path = await config("ipv6", [table("opendns", (good as DnsServer).address6 as string)], 1);
    const result = await detect(path);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json?.detection[0]).toMatchObject({ family: "ipv6", status: "known", address: IP6_1 });
  });

  it("an IPv4 server under [detect.ipv6] is refused with a hint, not asked", async () => {
    const path = await config("ipv6", [table("opendns", (good as DnsServer).address)], 1);
    const result = await detect(path);
    expect(result.code).toBe(1);
    expect(result.json?.detection[0]?.sources[0]).toMatchObject({
      verdict: "rejected",
      reason: `server ${(good as DnsServer).address} is not an IPv6 address, so it cannot see this host's IPv6 address`,
      hint: "give an IPv6 server to the dns source under [detect.ipv6]",
    });
  });
});

describe.skipIf(!bindOk || !knotOk)("refusals through homing detect", () => {
  it("a private answer, a wrong-class name and a non-address are each refused with a reason; no quorum", async () => {
    const server = (bad as DnsServer).address;
    const path = await config(
      "ipv4",
      [
        table("opendns", server),
        table("cloudflare", server),
        table("google", server),
        table("opendns", (good as DnsServer).address),
      ],
      2,
    );
    const result = await detect(path);
    expect(result.code).toBe(1);
    const [family] = result.json?.detection ?? [];
    expect(family?.status).toBe("unavailable");
    const sources = family?.sources ?? [];
    expect(sources.map((s) => s.verdict)).toEqual(["rejected", "rejected", "rejected", "answered"]);
    expect(sources[0]?.reason).toMatch(
      new RegExp(`^the answer ${PRIVATE.replaceAll(".", "\\.")} is not public`),
    );
    expect(sources[1]?.reason).toBe("the server refused the query whoami.cloudflare TXT CH (REFUSED)");
    expect(sources[1]?.hint).toMatch(/`server`/);
    expect(sources[2]?.reason).toBe('the answer "hello from the test" is not an IP address');
  });
});

describe("config mistakes are refused before anything is asked", () => {
  it("an unknown resolver in the shorthand, with a suggestion", async () => {
    const path = await config("ipv4", ['"dns:gogle"'], 1);
    const result = await runCli(["detect", "-c", path], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown DNS resolver "gogle" \(did you mean "dns:google"\?\)/);
  });

  it("a server given as a host name (it would go through the system resolver)", async () => {
    const path = await config("ipv4", [table("opendns", "resolver1.opendns.com")], 1);
    const result = await runCli(["detect", "-c", path], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/a host name is not accepted/);
  });

  it("an unknown resolver in a table", async () => {
    const path = await config("ipv4", ['{ kind = "dns", resolver = "quad9" }'], 1);
    const result = await runCli(["detect", "-c", path], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/resolver/);
    expect(result.stderr).toMatch(/cloudflare/);
  });
});
