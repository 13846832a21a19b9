/**
 * The router sources through the real CLI (`ip netns exec <client> node bin/homing detect --json`)
 * against the real Debian miniupnpd (miniupnpd-nftables) in network namespaces this file creates:
 * upnp, natpmp and pcp each alone and all three in one quorum report the router's WAN address,
 * and each is refused clearly when the router's own WAN address is private. The "public" WAN
 * address 11.22.33.44 exists only inside the router namespace (miniupnpd treats the RFC 5737
 * ranges as private, reference §3.4); the client's only route leads to the router, so no packet
 * leaves the machine. Skips, saying why, where namespaces or miniupnpd are not available.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LAN_CLIENT,
  LAN_GATEWAY,
  type RouterWorld,
  routerWorldUnavailable,
  startRouterWorld,
  sweepStaleNamespaces,
} from "../support/router-netns.ts";

const unavailable = routerWorldUnavailable();
if (unavailable) console.log(`router-sources.test.ts: skipped: ${unavailable}`);

const PUBLIC_WAN = "11.22.33.44";
const PRIVATE_WAN = "10.99.0.2";

interface SourceJson {
  source: string;
  kind: string;
  where?: string;
  verdict: string;
  address?: string;
  reason?: string;
  hint?: string;
}
interface DetectJson {
  detection: Array<{
    family: string;
    status: string;
    address?: string;
    reason?: string;
    sources: SourceJson[];
  }>;
}

const homes: string[] = [];
afterAll(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** A config whose only record is IPv4 and whose IPv4 sources are `sources` (TOML array text). */
function config(sources: string, quorum: number): { home: string; path: string } {
  const home = mkdtempSync(join(tmpdir(), "homing-router-cli-"));
  homes.push(home);
  const path = join(home, "homing.toml");
  writeFileSync(
    path,
    [
      `state_dir = "${join(home, "state")}"`,
      "[detect]",
      'timeout = "8s"',
      "[detect.ipv4]",
      `sources = ${sources}`,
      `quorum = ${quorum}`,
      "[providers.dh]",
      'type = "dreamhost"',
      'endpoint = "http://127.0.0.1:9/"',
      'api_key = "ABCDEFGH12345678"',
      "[[records]]",
      'name = "home.example.com"',
      'provider = "dh"',
      "ipv4 = true",
      "ipv6 = false",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { home, path };
}

async function detect(world: RouterWorld, sources: string, quorum: number) {
  const { home, path } = config(sources, quorum);
  const result = await world.runCli(["detect", "--json", "-c", path], home);
  let report: DetectJson | undefined;
  try {
    report = JSON.parse(result.stdout) as DetectJson;
  } catch {
    throw new Error(`homing detect printed no JSON (exit ${result.code}): ${result.stdout}${result.stderr}`);
  }
  return { result, ipv4: report.detection.find((d) => d.family === "ipv4") };
}

describe.skipIf(unavailable)("router sources against miniupnpd on a public WAN address", () => {
  let world: RouterWorld;
  beforeAll(async () => {
    sweepStaleNamespaces();
    world = await startRouterWorld({ wanAddress: PUBLIC_WAN });
  }, 30_000);
  afterAll(async () => {
    await world?.stop();
  });

  it.each([
    ["upnp", '["upnp"]'],
    ["natpmp", '["natpmp"]'],
    ["pcp", '["pcp"]'],
  ])("%s alone (quorum 1) reports the router's WAN address", async (kind, sources) => {
    const { result, ipv4 } = await detect(world, sources, 1);
    expect(result.code).toBe(0);
    expect(ipv4).toMatchObject({ status: "known", address: PUBLIC_WAN });
    expect(ipv4?.sources).toEqual([
      expect.objectContaining({ source: kind, kind, verdict: "agreed", address: PUBLIC_WAN }),
    ]);
    expect(result.stderr).toBe("");
    expect(world.log()).not.toMatch(/error/i);
  });

  it("all three agree in one quorum of 2", async () => {
    const { result, ipv4 } = await detect(world, '["upnp", "natpmp", "pcp"]', 2);
    expect(result.code).toBe(0);
    expect(ipv4).toMatchObject({ status: "known", address: PUBLIC_WAN });
    const agreed = ipv4?.sources.filter((s) => s.address === PUBLIC_WAN).map((s) => s.kind);
    expect(agreed?.length).toBeGreaterThanOrEqual(2);
    for (const source of ipv4?.sources ?? []) expect(["agreed", "not needed"]).toContain(source.verdict);
  });

  it("the table forms: a description URL skips SSDP, a gateway address skips the route lookup", async () => {
    const { result, ipv4 } = await detect(
      world,
      `[{ kind = "upnp", gateway = "http://${LAN_GATEWAY}:5000/rootDesc.xml", name = "box-upnp" }, { kind = "natpmp", gateway = "${LAN_GATEWAY}", name = "box-pmp" }, { kind = "pcp", gateway = "${LAN_GATEWAY}", name = "box-pcp" }]`,
      3,
    );
    expect(result.code).toBe(0);
    expect(ipv4).toMatchObject({ status: "known", address: PUBLIC_WAN });
    expect(ipv4?.sources.map((s) => [s.source, s.verdict])).toEqual([
      ["box-upnp", "agreed"],
      ["box-pmp", "agreed"],
      ["box-pcp", "agreed"],
    ]);
  });

  it("upnp searches from a given local address (interface = ...)", async () => {
    const { result, ipv4 } = await detect(world, `[{ kind = "upnp", interface = "${LAN_CLIENT}" }]`, 1);
    expect(result.code).toBe(0);
    expect(ipv4).toMatchObject({ status: "known", address: PUBLIC_WAN });
  });

  it("the human report names each router source and where it asked", async () => {
    const { home, path } = config('["upnp", "natpmp", "pcp"]', 3);
    const result = await world.runCli(["detect", "-c", path], home);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(PUBLIC_WAN);
    expect(result.stdout).toMatch(/upnp\s+upnp\s+agreed/);
    expect(result.stdout).toMatch(/natpmp\s+natpmp\s+agreed/);
    expect(result.stdout).toMatch(/pcp\s+pcp\s+agreed/);
  });
});

describe.skipIf(unavailable)("router sources against miniupnpd on a private WAN address", () => {
  let world: RouterWorld;
  beforeAll(async () => {
    sweepStaleNamespaces();
    world = await startRouterWorld({ wanAddress: PRIVATE_WAN });
  }, 30_000);
  afterAll(async () => {
    await world?.stop();
  });

  it.each([
    ["upnp", /reported an empty address: the router does not know its external address yet/],
    ["natpmp", /answered result 3 \(Network Failure\)/],
    ["pcp", /answered result 8 \(NO_RESOURCES\)/],
  ])("%s is refused, with the reason", async (kind, reason) => {
    const { result, ipv4 } = await detect(world, `["${kind}"]`, 1);
    expect(result.code).not.toBe(0);
    expect(ipv4?.status).toBe("unavailable");
    const [source] = ipv4?.sources ?? [];
    expect(source).toMatchObject({ kind, verdict: "rejected" });
    expect(source?.reason).toMatch(reason);
    expect(source?.hint).toMatch(/private/);
    expect(JSON.stringify(ipv4)).not.toContain(PRIVATE_WAN);
  });

  it("all three in one quorum: refused, nothing known", async () => {
    const { result, ipv4 } = await detect(world, '["upnp", "natpmp", "pcp"]', 2);
    expect(result.code).not.toBe(0);
    expect(ipv4?.status).toBe("unavailable");
    expect(ipv4?.sources.map((s) => s.verdict)).toEqual(["rejected", "rejected", "rejected"]);
  });
});
