import { describe, expect, it } from "vitest";
import type { Config } from "../config/schema.ts";
import type { RoundReport } from "../engine/round.ts";
import { hostReply, narrowConfig } from "./push.ts";

const config = {
  records: [
    { name: "a.example.com", provider: "dh", ipv4: true, ipv6: true },
    { name: "b.example.com", provider: "dh", ipv4: true, ipv6: false },
    { name: "nas.example.com", provider: "dh", ipv4: false, ipv6: true, ipv6_suffix: "::1" },
  ],
} as unknown as Config;

describe("narrowConfig", () => {
  it("keeps only the pushed names and the families the push carries", () => {
    const names = new Set(["a.example.com", "nas.example.com"]);
    expect(narrowConfig(config, names, { ipv4: "81.2.69.142" }).records).toEqual([
      { name: "a.example.com", provider: "dh", ipv4: true, ipv6: false },
    ]);
    expect(narrowConfig(config, names, { prefix: "2a00:1450:4001:800::/56" }).records).toEqual([
      { name: "nas.example.com", provider: "dh", ipv4: false, ipv6: true, ipv6_suffix: "::1" },
    ]);
  });
});

describe("hostReply", () => {
  const report = (records: object[]) => ({ records }) as unknown as RoundReport;
  it("answers good when anything changed, nochg when nothing did, 911 when anything failed", () => {
    const updated = { name: "a.example.com", type: "A", status: "updated", address: "81.2.69.142" };
    const same = { name: "a.example.com", type: "AAAA", status: "unchanged", address: "2a00::1" };
    expect(hostReply("A.example.com", report([same, updated]))).toBe("good 81.2.69.142,2a00::1");
    expect(hostReply("a.example.com", report([same]))).toBe("nochg 2a00::1");
    expect(hostReply("a.example.com", report([{ ...same, status: "failed" }]))).toBe("911");
    expect(hostReply("b.example.com", report([same]))).toBe("911");
  });
});
