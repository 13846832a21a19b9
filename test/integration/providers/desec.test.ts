import { expect, it } from "vitest";
import { desec, minimumTtl } from "../../emulators/services/desec.ts";
import { NAME } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(desec);

it("raises a ttl below the domain's minimum_ttl to it, and pages the listing by cursor", async (hooks) => {
  const { world, emu } = await setup(desec, hooks, { ipv6: false });
  minimumTtl.set(emu.store, 300);
  world.provider.ttl = 60;
  await world.writeConfig();
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.ttl)).toEqual([300]);
  expect(output(result)).toMatch(/minimum_ttl/);
  expect(emu.log.some((entry) => /cursor=\d/.test(entry.query))).toBe(true);
});
