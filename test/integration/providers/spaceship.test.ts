import { expect, it } from "vitest";
import { spaceship } from "../../emulators/services/spaceship.ts";
import { providerTable, setup } from "../../support/provider-table.ts";

providerTable(spaceship);

it("spaceship: homing check proves the credentials with a read-only call", async (hooks) => {
  const { world, emu } = await setup(spaceship, hooks, { ipv6: false });
  const result = await world.run("check");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/provider spaceship \([^)]+\): ok, .*accepted/);
  expect(emu.mutations()).toEqual([]);
});
