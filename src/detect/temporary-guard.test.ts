import { describe, expect, it } from "vitest";
import { FOREVER, type InterfaceAddress } from "../core/interface-address.ts";
import { temporaryGuard } from "./temporary-guard.ts";

const TEMP = "2a00:1450:4001:81b:59d1:829b:c680:27e9";
const STABLE = "2a00:1450:4001:81b::20";

const host: InterfaceAddress[] = [
  {
    interface: "wlan0",
    family: "ipv6",
    address: TEMP,
    prefixLength: 64,
    scope: "global",
    flags: ["temporary", "dynamic"],
    preferredLifetime: 80_000,
    validLifetime: 600_000,
  },
  {
    interface: "wlan0",
    family: "ipv6",
    address: STABLE,
    prefixLength: 64,
    scope: "global",
    flags: ["mngtmpaddr"],
    preferredLifetime: FOREVER,
    validLifetime: FOREVER,
  },
  {
    interface: "eth1",
    family: "ipv6",
    address: "2a01:4f8::1",
    prefixLength: 64,
    scope: "global",
    flags: [],
    preferredLifetime: FOREVER,
    validLifetime: FOREVER,
  },
];
const ask = { signal: new AbortController().signal, timeoutMs: 1000 };

describe("the echo guard", () => {
  it("keeps an answer that is not a temporary address of this host", async () => {
    const guard = temporaryGuard("refuse", { read: async () => host });
    expect(await guard("2a00:1450::99", ask)).toEqual({ kind: "keep" });
    expect(await guard(STABLE, ask)).toEqual({ kind: "keep" });
  });
  it("refuses a temporary address by default, naming the interface and the fix", async () => {
    const guard = temporaryGuard("refuse", { read: async () => host });
    const verdict = await guard(TEMP, ask);
    expect(verdict).toMatchObject({ kind: "refuse" });
    if (verdict.kind !== "refuse") return;
    expect(verdict.reason).toContain(`${TEMP} is a temporary (privacy) IPv6 address of this host (wlan0)`);
    expect(verdict.hint).toContain('temporary = "replace"');
  });
  it("replaces it with the same interface's stable address when allowed", async () => {
    const guard = temporaryGuard("replace", { read: async () => host });
    expect(await guard(TEMP, ask)).toMatchObject({
      kind: "replace",
      address: STABLE,
      note: expect.stringContaining("wlan0, mngtmpaddr"),
    });
  });
  it("refuses when the interface has no stable address to use instead", async () => {
    const guard = temporaryGuard("replace", { read: async () => host.filter((e) => e.address !== STABLE) });
    expect(await guard(TEMP, ask)).toMatchObject({
      kind: "refuse",
      reason: expect.stringContaining("no stable address"),
    });
  });
  it("keeps answers when the addresses cannot be read, and reads them once per detection", async () => {
    let reads = 0;
    const errors: unknown[] = [];
    const guard = temporaryGuard("refuse", {
      read: async () => {
        reads++;
        throw new Error("no ip");
      },
      onUnreadable: (error) => errors.push(error),
    });
    expect(await guard(TEMP, ask)).toEqual({ kind: "keep" });
    expect(await guard(TEMP, ask)).toEqual({ kind: "keep" });
    expect(reads).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
