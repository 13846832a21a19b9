import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceListing } from "../src/cli/providers.ts";
import { PROVIDERS } from "../src/providers/catalog.ts";
import { providerTable, tableIn, unpadded } from "./provider-docs.ts";

const ROOT = join(import.meta.dirname, "..");

describe("the README's provider table", () => {
  it("is the one generated from the catalog (run npm run docs after changing a provider)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(unpadded(tableIn(readme))).toBe(unpadded(providerTable()));
  });

  it("links a docs page for every provider type, with a minimal config and its errors", () => {
    for (const { type } of PROVIDERS) {
      const path = join(ROOT, "docs", "providers", `${type}.md`);
      expect(existsSync(path), `docs/providers/${type}.md is missing`).toBe(true);
      const text = readFileSync(path, "utf8");
      expect(text, `docs/providers/${type}.md has no config example`).toContain(`type = "${type}"`);
    }
  });

  it("has the behaviour table or an integration test of its own for every provider type", () => {
    // DreamHost, the first provider, is what update.test.ts and most others run against.
    const own: Record<string, string> = { rfc2136: "rfc2136-bind", dreamhost: "update" };
    for (const { type } of PROVIDERS) {
      const table = join(ROOT, "test", "integration", "providers", `${type}.test.ts`);
      const legacy = join(ROOT, "test", "integration", `${own[type] ?? type}.test.ts`);
      expect(existsSync(table) || existsSync(legacy), `no integration test for ${type}`).toBe(true);
      if (existsSync(table))
        expect(
          existsSync(join(ROOT, "test", "emulators", "services", `${type}.ts`)),
          `no emulator module for ${type}`,
        ).toBe(true);
    }
  });

  it("lists every service once", () => {
    const keys = serviceListing().map((entry) => `${entry.type}/${entry.preset ?? ""}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
