import { describe, expect, it } from "vitest";
import { readAnnouncement } from "./announcements.ts";

// Captured from miniupnpd 2.3.1 after a WAN address change (reference detection-captures/listen.txt).
describe("router announcements", () => {
  it("reads miniupnpd's NAT-PMP and PCP announcements", () => {
    expect(readAnnouncement(Buffer.from("00800000000000030b16212c", "hex"), "192.168.77.1")).toEqual({
      protocol: "NAT-PMP",
      from: "192.168.77.1",
      address: "11.22.33.44",
      epoch: 3,
    });
    expect(
      readAnnouncement(
        Buffer.from("028000000000000000000000000000000000000000000000", "hex"),
        "192.168.77.1",
      ),
    ).toEqual({ protocol: "PCP", from: "192.168.77.1", epoch: 0 });
  });

  it("carries no address when the result is not 0, and ignores anything else", () => {
    expect(readAnnouncement(Buffer.from("008000030000001000000000", "hex"), "g")).toEqual({
      protocol: "NAT-PMP",
      from: "g",
      epoch: 16,
    });
    expect(readAnnouncement(Buffer.from("0000", "hex"), "g")).toBeUndefined();
    expect(
      readAnnouncement(Buffer.from("028100000000000000000000000000000000000000000000", "hex"), "g"),
    ).toBeUndefined();
    expect(readAnnouncement(Buffer.alloc(11), "g")).toBeUndefined();
  });
});
