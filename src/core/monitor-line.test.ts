import { describe, expect, it } from "vitest";
import { parseMonitorLine } from "./monitor-line.ts";

describe("parseMonitorLine", () => {
  it("reads an IPv6 event with its flags", () => {
    expect(
      parseMonitorLine(
        "3: v0    inet6 2001:db8:1::10/64 scope global tentative dynamic \\       valid_lft 3600sec preferred_lft 1800sec",
      ),
    ).toEqual({
      deleted: false,
      interface: "v0",
      family: "ipv6",
      address: "2001:db8:1::10",
      scope: "global",
      flags: ["tentative", "dynamic"],
    });
  });
  it("reads a deleted IPv4 event and drops the label", () => {
    expect(
      parseMonitorLine(
        "Deleted 3: v0    inet 198.51.100.8/24 brd 198.51.100.255 scope global secondary v0\\       valid_lft forever preferred_lft forever",
      ),
    ).toEqual({
      deleted: true,
      interface: "v0",
      family: "ipv4",
      address: "198.51.100.8",
      scope: "global",
      flags: ["secondary"],
    });
  });
  it("reads a PPP address with a peer", () => {
    expect(
      parseMonitorLine(
        "7: ppp0    inet 81.2.69.142 peer 10.0.0.1/32 scope global ppp0\\       valid_lft forever preferred_lft forever",
      ),
    ).toMatchObject({
      interface: "ppp0",
      address: "81.2.69.142",
      flags: [],
    });
  });
  it("reads every line of the reference capture (ip -o -ts monitor address, Debian 12)", () => {
    const capture = CAPTURE;
    const lines = capture.split("\n").filter((line) => line.trim() !== "");
    const events = lines.map(parseMonitorLine);
    expect(events.every((e) => e !== undefined)).toBe(true);
    expect(events.filter((e) => e?.deleted)).toHaveLength(2);
    expect(events.find((e) => e?.flags.includes("temporary"))?.address).toBe(
      "2001:db8:1:0:59d1:829b:c680:27e9",
    );
  });
  it("ignores lines that are not address events", () => {
    expect(parseMonitorLine("")).toBeUndefined();
    expect(parseMonitorLine("netlink receive error No buffer space available (105)")).toBeUndefined();
  });
});

/** detection-captures/ip-o-ts-monitor-address.debian12.txt from the reference. */
const CAPTURE = `[2026-12-07T06:09:45.981279] 3: v0    inet6 2001:db8:1::10/64 scope global tentative dynamic \\       valid_lft 3600sec preferred_lft 1800sec
[2026-12-07T06:09:46.032887] 3: v0    inet6 2001:db8:1::20/64 scope global tentative mngtmpaddr noprefixroute \\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:46.087516] 3: v0    inet6 2001:db8:1::30/64 scope global nodad \\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:46.133392] 3: v0    inet6 2001:db8:1::40/64 scope global deprecated tentative \\       valid_lft forever preferred_lft 0sec
[2026-12-07T06:09:46.175538] 3: v0    inet 198.51.100.7/24 scope global v0\\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:46.189824] 3: v0    inet 198.51.100.8/24 scope global secondary v0\\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:46.387582] 2: v1    inet6 fe80::83:8aff:fec6:1a87/64 scope link \\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:46.547516] 3: v0    inet6 fe80::c437:f8ff:feff:8513/64 scope link \\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:47.027687] 3: v0    inet6 2001:db8:1::10/64 scope global dynamic \\       valid_lft 3599sec preferred_lft 1799sec
[2026-12-07T06:09:47.443494] 3: v0    inet6 2001:db8:1:0:59d1:829b:c680:27e9/64 scope global temporary dynamic \\       valid_lft 604799sec preferred_lft 85989sec
[2026-12-07T06:09:47.539620] 3: v0    inet6 2001:db8:1::40/64 scope global deprecated \\       valid_lft forever preferred_lft 0sec
[2026-12-07T06:09:47.667466] 3: v0    inet6 2001:db8:1::20/64 scope global mngtmpaddr noprefixroute \\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:49.232855] Deleted 3: v0    inet6 2001:db8:1::30/64 scope global nodad \\       valid_lft forever preferred_lft forever
[2026-12-07T06:09:49.241741] Deleted 3: v0    inet 198.51.100.8/24 scope global secondary v0\\       valid_lft forever preferred_lft forever`;
