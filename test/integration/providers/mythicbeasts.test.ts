import { expect, it } from "vitest";
import { mythicbeasts } from "../../emulators/services/mythicbeasts.ts";
import { IP1, NAME } from "../../support/harness.ts";
import { providerTable, setup } from "../../support/provider-table.ts";

providerTable(mythicbeasts);

it("Mythic Beasts: one token per run, and each write (a reply with counts only) checked by a fresh list", async (hooks) => {
  const { world, emu } = await setup(mythicbeasts, hooks, { ipv6: false });
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.log.filter((entry) => entry.path === "/login")).toHaveLength(1);
  const put = emu.log.findIndex((entry) => entry.method === "PUT");
  expect(put).toBeGreaterThan(0);
  expect(
    emu.log.slice(put + 1).some((entry) => entry.method === "GET" && entry.path.endsWith("/records")),
  ).toBe(true);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
});

it("mythicbeasts: homing check proves the credentials with a read-only call", async (hooks) => {
  const { world, emu } = await setup(mythicbeasts, hooks, { ipv6: false });
  const result = await world.run("check");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/provider mythicbeasts \([^)]+\): ok, .*accepted/);
  expect(emu.mutations()).toEqual([]);
});
