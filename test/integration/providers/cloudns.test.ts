import { expect, it } from "vitest";
import { cloudns } from "../../emulators/services/cloudns.ts";
import { IP1, IP3, NAME, ZONE } from "../../support/harness.ts";
import { providerTable } from "../../support/provider-table.ts";
import { startProviderWorld } from "../../support/provider-world.ts";

providerTable(cloudns);

it("ClouDNS: reads a zone over several pages and changes the record on the last one", async (hooks) => {
  const filler = Array.from({ length: 150 }, (_, i) => ({
    name: `host${i}.${ZONE}`,
    type: "TXT",
    value: `filler ${i}`,
  }));
  const { world, emu } = await startProviderWorld(cloudns, hooks, {
    rows: [...filler, { name: NAME, type: "A", value: IP3 }],
  });
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  const pages = emu.log
    .filter((entry) => entry.path.endsWith("records-paged.json"))
    .map((entry) => new URLSearchParams(entry.query))
    .filter((query) => query.get("domain-name") === ZONE)
    .map((query) => query.get("page"));
  // Listed for the plan, then again to confirm the change: two pages each time.
  expect(pages).toEqual(["1", "2", "1", "2"]);
  expect(emu.mutations().map((entry) => entry.path)).toEqual(["/dns/modify-record.json"]);
});

it("ClouDNS: a config with both auth_id and sub_auth_id is refused before any call", async (hooks) => {
  const { world, emu } = await startProviderWorld(cloudns, hooks, {
    config: (config) => ({ ...config, auth_id: "1" }),
  });
  const result = await world.run("run");
  expect(result.code).not.toBe(0);
  expect(`${result.stdout}\n${result.stderr}`).toMatch(/exactly one of auth_id and sub_auth_id/);
  expect(emu.log).toEqual([]);
});
