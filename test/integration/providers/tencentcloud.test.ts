import { expect, it } from "vitest";
import { otherLine, tencentcloud } from "../../emulators/services/tencentcloud.ts";
import { IP1, IP2, IP3, NAME } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(tencentcloud);

it("owns only the rows on its resolution line, and changes them in place with ModifyRecord", async (hooks) => {
  const { world, emu } = await setup(tencentcloud, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  const [telecom] = emu.store.rows(NAME, "A");
  otherLine.add(telecom?.id ?? "");
  hooks.onTestFinished(() => {
    otherLine.delete(telecom?.id ?? "");
  });
  const created = await world.run("run");
  expect(created.code, output(created)).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3, IP1]);
  world.setIpv4(IP2);
  const changed = await world.run("run");
  expect(changed.code, output(changed)).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3, IP2]);
  expect(emu.mutations().map((entry) => entry.method)).toHaveLength(2);
});
