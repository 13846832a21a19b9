import { describe, expect, it } from "vitest";
import type { IpFamily } from "../core/ip.ts";
import { shownUrl } from "../http/shown-url.ts";
import { detectFamily } from "./detect.ts";
import { type DetectionSource, type SourceAnswer, SourceRefusal } from "./sources/source.ts";

describe("shownUrl", () => {
  it.each([
    ["https://api.ipify.org/", "https://api.ipify.org/"],
    ["http://127.0.0.1:38080/ip", "http://127.0.0.1:38080/ip"],
    ["http://127.0.0.1:38080/v4/echo", "http://127.0.0.1:38080/v4/echo"],
    [
      "https://ip.example.net/v4?key=s3cret&format=text",
      "https://ip.example.net/v4?key=[redacted]&format=[redacted]",
    ],
    ["https://user:pa55word@ip.example.net/ip#frag", "https://ip.example.net/ip"],
    ["https://[2606:4700:4700::1111]/cdn-cgi/trace", "https://[2606:4700:4700::1111]/cdn-cgi/trace"],
  ])("%s shows as %s", (input, shown) => {
    expect(shownUrl(new URL(input))).toBe(shown);
  });
});

const V4 = "81.2.69.142";
const V4_OTHER = "81.2.69.160";

/** A fake source of any kind: answers (or throws) after `delayMs`, honouring the signal. */
function fake(
  kind: string,
  name: string,
  reply: SourceAnswer | Error | "hang",
  options: { delayMs?: number; asked?: IpFamily[] } = {},
): DetectionSource {
  return {
    kind,
    name,
    where: kind === "http" ? `https://${name}.example/` : `${name} on the LAN`,
    ask(family, { signal }) {
      options.asked?.push(family);
      return new Promise((resolve, reject) => {
        const timer =
          reply === "hang"
            ? undefined
            : setTimeout(
                () => (reply instanceof Error ? reject(reply) : resolve(reply)),
                options.delayMs ?? 0,
              );
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
    },
  };
}

const answer = (address: string, evidence = "seen"): SourceAnswer => ({ address, evidence });

describe("detectFamily with sources of several kinds in one quorum", () => {
  it("a router, an interface and an echo service agree", async () => {
    const asked: IpFamily[] = [];
    const result = await detectFamily("ipv4", {
      sources: [
        fake("upnp", "upnp", answer(V4, "UPnP at 192.168.1.1"), { asked }),
        fake("interface", "ppp0", answer(V4), { asked }),
        fake("http", "echo", answer(V4), { asked }),
      ],
      quorum: 3,
      timeoutMs: 1000,
    });
    expect(result).toMatchObject({ status: "known", address: V4 });
    expect(result.sources).toEqual([
      expect.objectContaining({
        source: "upnp",
        kind: "upnp",
        where: "upnp on the LAN",
        verdict: "agreed",
        evidence: "UPnP at 192.168.1.1",
      }),
      expect.objectContaining({ source: "ppp0", kind: "interface", verdict: "agreed", address: V4 }),
      expect.objectContaining({
        source: "echo",
        kind: "http",
        url: "https://echo.example/",
        verdict: "agreed",
      }),
    ]);
    expect(result.sources[2]).not.toHaveProperty("where");
    expect(asked).toEqual(["ipv4", "ipv4", "ipv4"]);
  });

  it("disagreement between kinds is as strict as between echo services", async () => {
    const result = await detectFamily("ipv4", {
      sources: [fake("upnp", "upnp", answer(V4)), fake("dns", "dns", answer(V4_OTHER))],
      quorum: 1,
      timeoutMs: 1000,
    });
    expect(result).toMatchObject({
      status: "unavailable",
      reason: expect.stringMatching(/the sources disagree/),
    });
    expect(result.sources.map((s) => s.verdict)).toEqual(["answered", "answered"]);
  });

  it("a minority kind is outvoted and marked", async () => {
    const result = await detectFamily("ipv4", {
      sources: [
        fake("natpmp", "natpmp", answer(V4_OTHER)),
        fake("http", "a", answer(V4), { delayMs: 20 }),
        fake("dns", "b", answer(V4), { delayMs: 20 }),
      ],
      quorum: 2,
      timeoutMs: 1000,
    });
    expect(result).toMatchObject({ status: "known", address: V4 });
    expect(result.sources.map((s) => s.verdict)).toEqual(["minority", "agreed", "agreed"]);
  });

  it("a SourceRefusal is 'rejected' with its reason and hint; any other error is 'failed'", async () => {
    const result = await detectFamily("ipv6", {
      sources: [
        fake("interface", "eth0", new SourceRefusal("only a temporary address", "use a stable one")),
        fake("upnp", "upnp", new Error("no router answered")),
        fake("http", "a", answer("2a01:4f8:1:2::10")),
      ],
      quorum: 1,
      timeoutMs: 1000,
    });
    expect(result).toMatchObject({ status: "known", address: "2a01:4f8:1:2::10" });
    expect(result.sources[0]).toMatchObject({
      verdict: "rejected",
      reason: "only a temporary address",
      hint: "use a stable one",
    });
    expect(result.sources[1]).toMatchObject({ verdict: "failed", reason: "no router answered" });
  });

  it.each([
    ["192.168.1.20", "ipv4", /not public: private network/],
    ["100.64.3.4", "ipv4", /carrier-grade NAT/],
    ["2a01:4f8::1", "ipv4", /is an IPv6 address, expected IPv4/],
    ["fd00::1", "ipv6", /not public/],
    ["fe80::1", "ipv6", /not public/],
    ["not an address", "ipv4", /is not an IP address/],
  ] as const)(
    "every kind's answer %s passes the one public-address check (%s)",
    async (text, family, reason) => {
      const result = await detectFamily(family, {
        sources: [fake("interface", "eth0", answer(text))],
        quorum: 1,
        timeoutMs: 1000,
      });
      expect(result.status).toBe("unavailable");
      expect(result.sources[0]).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(reason) });
    },
  );

  it("CGNAT from a router keeps the hint", async () => {
    const result = await detectFamily("ipv4", {
      sources: [fake("upnp", "upnp", answer("100.64.3.4"))],
      quorum: 1,
      timeoutMs: 1000,
    });
    expect(result.sources[0]?.hint).toMatch(/CGNAT/);
  });

  it("a hung source of any kind does not stall a quorum, and is cut at its deadline otherwise", async () => {
    const quick = await detectFamily("ipv4", {
      sources: [fake("upnp", "hung", "hang"), fake("http", "a", answer(V4)), fake("http", "b", answer(V4))],
      quorum: 2,
      timeoutMs: 60_000,
    });
    expect(quick).toMatchObject({ status: "known", address: V4 });
    expect(quick.sources[0]?.verdict).toBe("not needed");

    // A source that ignores its signal is still cut: detect keeps its own deadline.
    const deaf: DetectionSource = { kind: "pcp", name: "deaf", where: "-", ask: () => new Promise(() => {}) };
    const started = Date.now();
    const slow = await detectFamily("ipv4", { sources: [deaf], quorum: 1, timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(slow.sources[0]).toMatchObject({
      verdict: "failed",
      reason: expect.stringMatching(/no answer within/),
    });
  });
});

describe("detectFamily with prefixes (records with ipv6_suffix)", () => {
  const prefix = (address: string, length: number): SourceAnswer => ({
    prefix: { address, length },
    evidence: "delegated",
  });

  it("a router's /56 and an echo address in its first /64 agree on the /64", async () => {
    const result = await detectFamily("ipv6", {
      sources: [
        fake("fritzbox", "fritz", prefix("2a01:4f8:1200::", 56)),
        fake("http", "a", answer("2a01:4f8:1200::99")),
      ],
      quorum: 2,
      timeoutMs: 1000,
      need: { address: false, prefix: true },
    });
    expect(result).toEqual(expect.objectContaining({ status: "known", prefix: "2a01:4f8:1200::/64" }));
    expect(result.sources.map((s) => s.verdict)).toEqual(["agreed", "agreed"]);
    expect(result.sources[0]?.prefix).toBe("2a01:4f8:1200::/56");
  });

  it("prefixes that name different /64s disagree", async () => {
    const result = await detectFamily("ipv6", {
      sources: [
        fake("fixed", "a", prefix("2a01:4f8:1200::", 56)),
        fake("http", "b", answer("2a01:4f8:1200:1::99")),
      ],
      quorum: 1,
      timeoutMs: 1000,
      need: { address: false, prefix: true },
    });
    expect(result).toMatchObject({ status: "unavailable", reason: expect.stringMatching(/disagree/) });
  });

  it("a prefix-only answer when only the address is needed is rejected with the reason", async () => {
    const result = await detectFamily("ipv6", {
      sources: [fake("fixed", "a", prefix("2a01:4f8:1200::", 56))],
      quorum: 1,
      timeoutMs: 1000,
    });
    expect(result.sources[0]).toMatchObject({
      verdict: "rejected",
      reason: expect.stringMatching(/ipv6_suffix/),
    });
  });

  it.each([
    [prefix("2a01:4f8:1200::", 80), /longer than \/64/],
    [prefix("fd00:1::", 48), /the prefix fd00:1:: is not public/],
  ])("a prefix %j is refused", async (reply, reason) => {
    const result = await detectFamily("ipv6", {
      sources: [fake("fixed", "a", reply)],
      quorum: 1,
      timeoutMs: 1000,
      need: { address: false, prefix: true },
    });
    expect(result.sources[0]).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(reason) });
  });

  it("a prefix for IPv4 is refused", async () => {
    const result = await detectFamily("ipv4", {
      sources: [fake("fixed", "a", prefix("2a01:4f8:1200::", 56))],
      quorum: 1,
      timeoutMs: 1000,
      need: { address: true, prefix: true },
    });
    expect(result.sources[0]).toMatchObject({
      verdict: "rejected",
      reason: expect.stringMatching(/IPv6 only/),
    });
  });

  it("needing both: the address and the /64 are decided together", async () => {
    const result = await detectFamily("ipv6", {
      sources: [
        fake("http", "a", answer("2a01:4f8:1:2::10")),
        fake("interface", "eth0", answer("2a01:4f8:1:2::10")),
      ],
      quorum: 2,
      timeoutMs: 1000,
      need: { address: true, prefix: true },
    });
    expect(result).toMatchObject({
      status: "known",
      address: "2a01:4f8:1:2::10",
      prefix: "2a01:4f8:1:2::/64",
    });
  });
});
