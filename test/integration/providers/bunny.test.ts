import { expect, it } from "vitest";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { bunny } from "../../emulators/services/bunny.ts";
import { directProvider, signal, verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(bunny);
verifyScenario(bunny, /Bunny DNS accepted the API key \(0 DNS zones/);

it("Bunny DNS: reads every page of zones, and names record types by their numbers", async (hooks) => {
  const store = new ZoneStore();
  for (const name of ["a.test", "b.test", "c.test", "bunny-quirk.net"]) store.addZone(name);
  const zone = store.zone("bunny-quirk.net");
  if (!zone) throw new Error("no zone");
  store.add(zone, { name: "home.bunny-quirk.net", type: "CNAME", value: "x.bunny-quirk.net", ttl: 300 });
  store.add(zone, { name: "home.bunny-quirk.net", type: "AAAA", value: "2001:db8::1", ttl: 300 });
  const emu = await startEmulator(bunny, { store });
  hooks.onTestFinished(() => emu.close());
  const provider = await directProvider(bunny, emu);
  const rows = await provider.list(["home.bunny-quirk.net"], { signal: signal() });
  expect(rows.map((row) => `${row.type} ${row.value} ${row.owned}`)).toEqual([
    "CNAME x.bunny-quirk.net false",
    "AAAA 2001:db8::1 true",
  ]);
  expect(emu.log.some((entry) => entry.path === "/dnszone" && entry.query.includes("page=2"))).toBe(true);
});
