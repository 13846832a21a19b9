import { expect, it } from "vitest";
import { infomaniak } from "../../emulators/services/infomaniak.ts";
import { providerTable, setup } from "../../support/provider-table.ts";

providerTable(infomaniak);

it("infomaniak: homing check proves the credentials with a read-only call", async (hooks) => {
  const { world, emu } = await setup(infomaniak, hooks, { ipv6: false });
  const result = await world.run("check");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/provider infomaniak \([^)]+\): ok, .*accepted/);
  expect(emu.mutations()).toEqual([]);
});
