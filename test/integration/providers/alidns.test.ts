import { expect, it } from "vitest";
import { alidns, otherLine } from "../../emulators/services/alidns.ts";
import { IP1, IP2, IP3, NAME } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(alidns);

it("changes a record in place with UpdateDomainRecord, and sends nothing for an unchanged value", async (hooks) => {
  const { world, emu } = await setup(alidns, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: IP1 }],
  });
  const same = await world.run("run", ["--force"]);
  expect(same.code, output(same)).toBe(0);
  expect(emu.mutations(), "an identical value is never sent (DomainRecordDuplicate)").toEqual([]);
  world.setIpv4(IP2);
  const changed = await world.run("run");
  expect(changed.code, output(changed)).toBe(0);
  expect(emu.mutations().map((entry) => new URLSearchParams(entry.query).get("Action"))).toEqual([
    "UpdateDomainRecord",
  ]);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
});

it("leaves rows on another resolution line alone", async (hooks) => {
  const { world, emu } = await setup(alidns, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  const [telecom] = emu.store.rows(NAME, "A");
  otherLine.add(telecom?.id ?? "");
  hooks.onTestFinished(() => {
    otherLine.delete(telecom?.id ?? "");
  });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3, IP1]);
});
