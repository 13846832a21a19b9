/**
 * The `dns` source kind against real DNS servers on loopback: BIND 9 (which can serve the CHAOS-class
 * `whoami.cloudflare` from a class-CH view) and Knot DNS (class IN only), each serving the three
 * "what is my address" names with the server address overridden (`server = "127.0.0.1:PORT"`).
 * Servers cannot echo the asker's address, so each zone holds the answer the real service would
 * give; servers for IPv6 listen on [::1] and hold IPv6 answers. A "bad" Knot serves what the source
 * must refuse. Through the CLI: detect-dns-cli.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IpFamily } from "../../src/core/ip.ts";
import { create } from "../../src/detect/sources/dns.ts";
import type { DnsResolver } from "../../src/detect/sources/dns-table.ts";
import { SourceRefusal } from "../../src/detect/sources/source.ts";
import {
  type DnsServer,
  dig,
  serverAvailable,
  startBind,
  startKnot,
  stopAllServers,
  type ZoneSpec,
} from "../support/dns-servers.ts";
import { hasIpv6Loopback, IP1, IP6_1 } from "../support/harness.ts";

const bindOk = serverAvailable("bind");
const knotOk = serverAvailable("knot");
let ipv6 = false;

const PRIVATE = "10.20.30.40";

/** The three names with the answers a real service gives to a host at `v4` / `v6`. */
function goodZones(address: string, withChaos: boolean): ZoneSpec[] {
  const zones: ZoneSpec[] = [
    {
      name: "myip.opendns.com",
      records: [`@ IN A ${IP1}`, `@ IN AAAA ${IP6_1}`],
    },
    {
      name: "o-o.myaddr.l.google.com",
      // What a resolver with ECS passes on: the note beside the address (ns1 itself sends only the address).
      records: [`@ IN TXT "${address}"`, `@ IN TXT "edns0-client-subnet ${IP1.replace(/\d+$/, "0")}/24"`],
    },
  ];
  if (withChaos) zones.push({ name: "whoami.cloudflare", class: "CH", records: [`@ CH TXT "${address}"`] });
  return zones;
}

let bind4: DnsServer | undefined;
let bind6: DnsServer | undefined;
let knot: DnsServer | undefined;
let bad: DnsServer | undefined;

beforeAll(async () => {
  ipv6 = await hasIpv6Loopback();
  if (!ipv6) console.warn("SKIPPING the IPv6 cases: this host cannot listen on [::1]");
  const starts: Array<Promise<unknown>> = [];
  if (bindOk) {
    starts.push(startBind({ keys: [], zones: goodZones(IP1, true) }).then((s) => (bind4 = s)));
    if (ipv6) {
      starts.push(
        startBind({ keys: [], ipv6: true, zones: goodZones(IP6_1, true) }).then((s) => (bind6 = s)),
      );
    }
  }
  if (knotOk) {
    starts.push(startKnot({ keys: [], ipv6, zones: goodZones(IP1, false) }).then((s) => (knot = s)));
    starts.push(
      startKnot({
        keys: [],
        zones: [
          { name: "myip.opendns.com", records: [`@ IN A ${PRIVATE}`] },
          { name: "o-o.myaddr.l.google.com", records: ['@ IN TXT "hello from the test"'] },
          // The right name in the wrong class: a CH query finds nothing here.
          { name: "whoami.cloudflare", records: [`@ IN TXT "${IP1}"`] },
        ],
      }).then((s) => (bad = s)),
    );
  }
  await Promise.all(starts);
});

afterAll(stopAllServers);

function ask(resolver: DnsResolver, server: string, family: IpFamily, timeoutMs = 3000) {
  return create({ kind: "dns", resolver, server }).ask(family, {
    signal: new AbortController().signal,
    timeoutMs,
  });
}

async function refusalOf(promise: Promise<unknown>): Promise<SourceRefusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceRefusal);
  return error as SourceRefusal;
}

describe.skipIf(!bindOk)("BIND 9 on loopback", () => {
  it("serves the test names the way the services do (checked with dig)", () => {
    const server = bind4 as DnsServer;
    expect(dig(server, "myip.opendns.com", "A")).toEqual([IP1]);
  });

  it.each([
    ["cloudflare", "whoami.cloudflare TXT CH"],
    ["opendns", "myip.opendns.com A IN"],
    ["google", "o-o.myaddr.l.google.com TXT IN"],
  ] as const)("%s over IPv4: the address, with evidence", async (resolver, query) => {
    const server = bind4 as DnsServer;
    const answer = await ask(resolver, server.address, "ipv4");
    expect(answer).toEqual({ address: IP1, evidence: `${query} from ${server.address} over UDP` });
  });

  it.each(["cloudflare", "opendns", "google"] as const)(
    "%s over IPv6 asks [::1] and gets the IPv6 address",
    async (resolver) => {
      if (!ipv6) return;
      const server = bind6 as DnsServer;
      const answer = await ask(resolver, server.address6 as string, "ipv6");
      expect(answer.address).toBe(IP6_1);
      expect(answer.evidence).toMatch(/from \[::1\]:\d+ over UDP$/);
    },
  );

  it("an IPv4 answer over IPv6 (a server that saw another path) is refused", async () => {
    if (!ipv6) return;
    // A server on [::1] whose TXT holds an IPv4 address.
    const twin = await startBind({ keys: [], ipv6: true, zones: goodZones(IP1, true) });
    const refusal = await refusalOf(ask("cloudflare", twin.address6 as string, "ipv6"));
    expect(refusal.message).toBe(`the answer ${IP1} is an IPv4 address, but the query went over IPv6`);
    await twin.stop();
  });
});

describe.skipIf(!knotOk)("Knot DNS on loopback (class IN names)", () => {
  it.each([
    ["opendns", "ipv4", IP1],
    ["google", "ipv4", IP1],
    ["opendns", "ipv6", IP6_1],
  ] as const)("%s over %s", async (resolver, family, expected) => {
    if (family === "ipv6" && !ipv6) return;
    const server = knot as DnsServer;
    const address = family === "ipv4" ? server.address : (server.address6 as string);
    expect((await ask(resolver, address, family)).address).toBe(expected);
  });

  it("a TXT answer that is not an address is refused, quoting it", async () => {
    const refusal = await refusalOf(ask("google", (bad as DnsServer).address, "ipv4"));
    expect(refusal.message).toBe('the answer "hello from the test" is not an IP address');
  });

  it("whoami.cloudflare served in class IN does not answer the CH query", async () => {
    const refusal = await refusalOf(ask("cloudflare", (bad as DnsServer).address, "ipv4"));
    expect(refusal.message).toBe("the server refused the query whoami.cloudflare TXT CH (REFUSED)");
    expect(refusal.hint).toMatch(/`server`/);
  });

  it("a private address is passed on as the answer (detect's public check refuses it, see the CLI test)", async () => {
    expect((await ask("opendns", (bad as DnsServer).address, "ipv4")).address).toBe(PRIVATE);
  });

  it("a stopped server is a failure within the deadline, not a refusal", async () => {
    const gone = await startKnot({
      keys: [],
      zones: [{ name: "myip.opendns.com", records: [`@ IN A ${IP1}`] }],
    });
    await gone.stop();
    const started = Date.now();
    const error = await ask("opendns", gone.address, "ipv4", 500).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(SourceRefusal);
  });
});
