import { expect, it } from "vitest";
import { ovh } from "../../emulators/services/ovh.ts";
import { IP1, IP2, NAME, ZONE } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(ovh);

it("signs with OVH's clock and applies every change with a zone refresh", async (hooks) => {
  const { world, emu } = await setup(ovh, hooks, { ipv6: false });
  const created = await world.run("run");
  expect(created.code, output(created)).toBe(0);
  expect(emu.log.filter((entry) => entry.path === "/1.0/auth/time")).toHaveLength(1);
  const refreshed = () => emu.mutations().at(-1)?.path;
  expect(refreshed()).toBe(`/1.0/domain/zone/${ZONE}/refresh`);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  world.setIpv4(IP2);
  const changed = await world.run("run");
  expect(changed.code, output(changed)).toBe(0);
  expect(emu.mutations().some((entry) => entry.method === "PUT")).toBe(true);
  expect(refreshed()).toBe(`/1.0/domain/zone/${ZONE}/refresh`);
});
