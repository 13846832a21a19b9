import { expect, it } from "vitest";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { namecom, namecomCore } from "../../emulators/services/namecom.ts";
import { directProvider, signal, verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(namecom);
verifyScenario(namecom, /Name.com accepted the token of homing-user \(0 domains/);
// The Core API (/core/v1) takes the same paths and fields: the same table through that base.
providerTable(namecomCore);

it("Name.com: reads every page of domains and records, and the apex host left out of replies is the apex", async (hooks) => {
  const store = new ZoneStore();
  for (const name of ["a.test", "b.test", "c.test", "d.test", "namecom-quirk.net"]) store.addZone(name);
  const zone = store.zone("namecom-quirk.net");
  if (!zone) throw new Error("no zone");
  store.add(zone, { name: "namecom-quirk.net", type: "A", value: "81.2.69.1", ttl: 300 });
  for (const label of ["a", "b", "c"])
    store.add(zone, { name: `${label}.namecom-quirk.net`, type: "TXT", value: label, ttl: 300 });
  store.add(zone, { name: "www.namecom-quirk.net", type: "AAAA", value: "2001:db8::1", ttl: 300 });
  const emu = await startEmulator(namecom, { store });
  hooks.onTestFinished(() => emu.close());
  const provider = await directProvider(namecom, emu);
  const rows = await provider.list(["namecom-quirk.net", "www.namecom-quirk.net"], { signal: signal() });
  expect(rows.map((row) => `${row.name} ${row.type} ${row.value}`)).toEqual([
    "namecom-quirk.net A 81.2.69.1",
    "www.namecom-quirk.net AAAA 2001:db8::1",
  ]);
  expect(emu.log.some((entry) => entry.path === "/v4/domains" && entry.query.includes("page=3"))).toBe(true);
  expect(emu.log.some((entry) => entry.path.endsWith("/records") && entry.query.includes("page=3"))).toBe(
    true,
  );
});
