/**
 * `homing providers [--json]` and `homing init --provider`, through the real CLI: the listing is
 * the catalog's, and a starter config for a kit provider works once its secrets and names are filled in.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceListing } from "../../src/cli/providers.ts";
import { startEmulator } from "../emulators/kit/emulator.ts";
import { ZoneStore } from "../emulators/kit/store.ts";
import { porkbun } from "../emulators/services/porkbun.ts";
import { makeTempDir, runCli } from "../support/harness.ts";

const CHANGES = ["in-place", "rrset", "add-remove", "update-url"];

describe("homing providers", () => {
  it("--json prints one object per service with the contract's fields", async () => {
    const dir = await makeTempDir();
    const result = await runCli(["providers", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    const listing = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(listing).toEqual(serviceListing());
    for (const entry of listing) {
      expect(typeof entry.service).toBe("string");
      expect(typeof entry.type).toBe("string");
      expect(Array.isArray(entry.secrets)).toBe(true);
      expect(Array.isArray(entry.required)).toBe(true);
      expect(typeof entry.ipv6).toBe("boolean");
      expect(CHANGES).toContain(entry.change);
      if (entry.preset !== undefined) expect(entry.type).toBe("dyndns2");
    }
    expect(listing.find((entry) => entry.type === "porkbun")).toMatchObject({
      service: "Porkbun",
      secrets: ["api_key", "secret_api_key"],
      ipv6: true,
      change: "in-place",
    });
  });

  it("prints a table naming every service, and refuses flags it does not take", async () => {
    const dir = await makeTempDir();
    const result = await runCli(["providers"], dir);
    expect(result.code).toBe(0);
    for (const entry of serviceListing()) expect(result.stdout).toContain(entry.service);
    const wrong = await runCli(["providers", "--force"], dir);
    expect(wrong.code).toBe(2);
  });
});

describe("homing init --provider", () => {
  it("writes a starter that works once its secrets and name are filled in", async ({ onTestFinished }) => {
    const dir = await makeTempDir();
    const target = join(dir, "homing.toml");
    const init = await runCli(["init", target, "--provider", "porkbun"], dir);
    expect(init.code, init.stderr).toBe(0);
    const store = new ZoneStore();
    store.addZone("example.com");
    const emu = await startEmulator(porkbun, { store });
    onTestFinished(() => emu.close());
    let text = await readFile(target, "utf8");
    expect(text).toContain('type = "porkbun"');
    for (const [key, value] of Object.entries(emu.secrets)) {
      const file = join(dir, key);
      await writeFile(file, value, { mode: 0o600 });
      text = text.replace(new RegExp(`${key}_file = ".*"`), `${key}_file = ${JSON.stringify(file)}`);
    }
    text = text.replace(/^# endpoint = .*$/m, `endpoint = ${JSON.stringify(emu.endpoint)}`);
    text = text.replace(/^sources = .*$/m, 'sources = ["https://127.0.0.1:9/"]');
    text = text.replace(/^sources = .*$/gm, (line) =>
      line.includes("127.0.0.1") ? line : 'sources = ["https://[::1]:9/"]',
    );
    text = text.replace(/^quorum = 2$/gm, "quorum = 1");
    await writeFile(target, text);
    const check = await runCli(["check", "-c", target], dir);
    expect(check.stdout + check.stderr, check.stdout + check.stderr).toMatch(/Porkbun accepted the API keys/);
  });

  it("takes a dyndns2 preset id, and names the listing for an unknown one", async () => {
    const dir = await makeTempDir();
    const ok = await runCli(["init", join(dir, "a.toml"), "--provider", "noip"], dir);
    expect(ok.code, ok.stderr).toBe(0);
    const text = await readFile(join(dir, "a.toml"), "utf8");
    expect(text).toContain('type = "dyndns2"');
    expect(text).toContain('preset = "noip"');
    const bad = await runCli(["init", join(dir, "b.toml"), "--provider", "nope"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("homing providers");
  });
});
