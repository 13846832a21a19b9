import { Resolver } from "node:dns/promises";
import { describe, expect, it } from "vitest";
import { describeBadServer } from "./resolve.ts";

/** Where node:dns sends queries once given `server` ("127.0.0.1:5353", "[::1]:53"), or why it refused. */
function nodeServer(server: string): string {
  try {
    const resolver = new Resolver();
    resolver.setServers([server]);
    return resolver.getServers()[0] ?? "none";
  } catch (error) {
    return `refused: ${(error as NodeJS.ErrnoException).code}`;
  }
}

describe("describeBadServer checks a resolver setting without node:dns", () => {
  // [setting, accepted, where node:dns then sends queries]
  const accepted: Array<[string, string]> = [
    ["127.0.0.1", "127.0.0.1"],
    ["127.0.0.1:5353", "127.0.0.1:5353"],
    ["1.1.1.1:53", "1.1.1.1"],
    ["127.0.0.1:00053", "127.0.0.1"],
    ["127.0.0.1:65535", "127.0.0.1:65535"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["[::1]:5353", "[::1]:5353"],
    ["[2606:4700:4700::1111]:53", "2606:4700:4700::1111"],
    ["2606:4700:4700::1111", "2606:4700:4700::1111"],
    ["::1:53", "::0.1.0.83"], // the IPv6 address ::1:53 (no port), as c-ares prints it
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["[127.0.0.1]:5353", "127.0.0.1:5353"],
    // A zone id is accepted as before (getServers does not print it).
    ["fe80::1%eth0", "fe80::1"],
    ["[fe80::1%eth0]:5353", "[fe80::1]:5353"],
  ];

  it.each(accepted)("accepts %j, as node:dns does (%s)", (server, where) => {
    expect(describeBadServer(server)).toBeUndefined();
    expect(nodeServer(server)).toBe(where);
  });

  const refusedByBoth = [
    "localhost",
    "localhost:53",
    "dns.google",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4 ",
    " 1.2.3.4",
    "",
    ":53",
    "127.0.0.1:",
    "127.0.0.1:abc",
    "1.2.3.4:53:53",
    "[]",
    "[::1",
    "http://1.1.1.1",
  ];

  it.each(refusedByBoth)("refuses %j, as node:dns does", (server) => {
    expect(describeBadServer(server)).toMatch(/is not an IP address with an optional port/);
    expect(nodeServer(server)).toMatch(/^refused: /);
  });

  // node:dns takes these, but each is a mistake: a port that wraps around, junk after the address.
  const refusedHere: Array<[string, string]> = [
    ["127.0.0.1:70000", "127.0.0.1:4464"],
    ["127.0.0.1:65536", "127.0.0.1"],
    ["[::1]:70000", "[::1]:4464"],
    ["[::1]:0", "::1"],
    ["[::1]x", "::1"],
    ["[::1]:", "::1"],
  ];

  it("refuses an IPv4 address with leading zeros (octal to some parsers), as src/core/ip.ts does", () => {
    expect(describeBadServer("01.2.3.4")).toBeDefined();
    expect(describeBadServer("127.0.0.01:53")).toBeDefined();
  });

  it.each(refusedHere)("refuses %j, which node:dns would quietly read as %s", (server, where) => {
    expect(describeBadServer(server)).toMatch(/is not an IP address with an optional port 1-65535/);
    expect(nodeServer(server)).toBe(where);
  });

  // Never handed to node:dns here: Node 20's setServers aborts the process on it.
  it('refuses "127.0.0.1:0", which would abort the process inside node:dns', () => {
    expect(describeBadServer("127.0.0.1:0")).toBeDefined();
  });
});
