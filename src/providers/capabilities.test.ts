import { describe, expect, it } from "vitest";
import { checkCapabilities, methodOf, requiredMethods } from "./capabilities.ts";
import type { DnsProvider } from "./provider.ts";

function provider(capabilities: DnsProvider["capabilities"], methods: Partial<DnsProvider>): DnsProvider {
  return {
    id: "p",
    label: "Fake",
    foreignRowHint: "",
    capabilities,
    verifyAccess: async () => "",
    ...methods,
  };
}

describe("capabilities", () => {
  it("names the methods each declaration needs", () => {
    expect(requiredMethods({ list: true, change: "add-remove" })).toEqual(["list", "add", "remove"]);
    expect(requiredMethods({ list: true, change: "rrset" })).toEqual(["list", "replace"]);
    expect(requiredMethods({ list: true, change: "in-place" })).toEqual(["list", "replace"]);
    expect(requiredMethods({ list: false, change: "update-url" })).toEqual(["lookup", "replaceMany"]);
  });

  it("refuses at creation a provider that lacks a method its strategy needs", () => {
    const lacking = provider({ list: true, change: "add-remove" }, { list: async () => [] });
    expect(() => checkCapabilities(lacking)).toThrow(/internal error: provider p \(Fake\).*no add\(\)/);
    const unknown = provider({ list: true, change: "magic" as never }, { list: async () => [] });
    expect(() => checkCapabilities(unknown)).toThrow(/unknown change strategy "magic"/);
  });

  it("accepts a complete provider and hands out its methods bound", async () => {
    const complete = provider(
      { list: false, change: "update-url" },
      { lookup: async () => [], replaceMany: async () => [] },
    );
    expect(() => checkCapabilities(complete)).not.toThrow();
    expect(await methodOf(complete, "lookup")([], { signal: AbortSignal.timeout(1000) })).toEqual([]);
    expect(() => methodOf(complete, "list")).toThrow(/no list\(\)/);
  });
});
