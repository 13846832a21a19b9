import { expect, it } from "vitest";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { scaleway } from "../../emulators/services/scaleway.ts";
import { directProvider, signal, verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(scaleway);
verifyScenario(scaleway, /Scaleway accepted the secret key \(0 DNS zones/);

it("Scaleway: a name in a delegated sub-zone is written there, as one set change", async (hooks) => {
  const store = new ZoneStore();
  for (const name of ["a.test", "scw-quirk.net", "lab.scw-quirk.net"]) store.addZone(name);
  const lab = store.zone("lab.scw-quirk.net");
  if (!lab) throw new Error("no zone");
  store.add(lab, { name: "nas.lab.scw-quirk.net", type: "A", value: "81.2.69.1", ttl: 600 });
  store.add(lab, { name: "nas.lab.scw-quirk.net", type: "A", value: "81.2.69.9", ttl: 600 });
  const emu = await startEmulator(scaleway, { store });
  hooks.onTestFinished(() => emu.close());
  const provider = await directProvider(scaleway, emu);
  const rows = await provider.list(["nas.lab.scw-quirk.net"], { signal: signal() });
  expect(rows.map((row) => row.value)).toEqual(["81.2.69.1", "81.2.69.9"]);
  if (!provider.replace) throw new Error("no replace");
  await provider.replace(
    { name: "nas.lab.scw-quirk.net", type: "A", add: "81.2.69.2", remove: rows },
    { signal: signal() },
  );
  expect(store.rows("nas.lab.scw-quirk.net", "A").map((r) => `${r.value} ${r.ttl}`)).toEqual([
    "81.2.69.2 600",
  ]);
  expect(emu.mutations().map((entry) => entry.path)).toEqual([
    "/domain/v2beta1/dns-zones/lab.scw-quirk.net/records",
  ]);
});
