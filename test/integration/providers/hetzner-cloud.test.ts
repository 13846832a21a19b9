import { expect, it } from "vitest";
import { actionPlans, hetznerCloud } from "../../emulators/services/hetzner-cloud.ts";
import { IP3, NAME } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(hetznerCloud);

it("polls an action that stays running until it succeeds", async (hooks) => {
  const { world, emu } = await setup(hetznerCloud, hooks, { ipv6: false });
  actionPlans.set(emu.store, { polls: 3 });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(0);
  expect(emu.store.rows(NAME, "A").length).toBe(1);
  expect(
    emu.log.filter((entry) => entry.path.includes("/actions/") && entry.method === "GET").length,
  ).toBeGreaterThanOrEqual(3);
});

it("fails the change when its action ends in error, naming the reason, and removes nothing", async (hooks) => {
  const { world, emu } = await setup(hetznerCloud, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  actionPlans.set(emu.store, { polls: 1, error: "zone is locked by a running migration" });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(1);
  expect(output(result)).toMatch(/ended in error[^\n]*zone is locked/);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3]);
});
