import { expect, it } from "vitest";
import { PartialListError } from "../../../src/errors.ts";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { dnsElsewhere, domeneshop } from "../../emulators/services/domeneshop.ts";
import { directProvider, signal, verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(domeneshop);
verifyScenario(domeneshop, /Domeneshop accepted the token and secret \(0 domains/);

it("Domeneshop: a domain whose DNS is served elsewhere is not a zone, and fails its names alone", async (hooks) => {
  const store = new ZoneStore();
  store.addZone("domeneshop-quirk.net");
  store.addZone("elsewhere-quirk.net");
  dnsElsewhere.add("elsewhere-quirk.net");
  const zone = store.zone("domeneshop-quirk.net");
  if (!zone) throw new Error("no zone");
  store.add(zone, { name: "domeneshop-quirk.net", type: "A", value: "81.2.69.1", ttl: 3600 });
  const emu = await startEmulator(domeneshop, { store });
  hooks.onTestFinished(() => emu.close());
  const provider = await directProvider(domeneshop, emu);
  const failure = await provider
    .list(["domeneshop-quirk.net", "home.elsewhere-quirk.net"], { signal: signal() })
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(PartialListError);
  const partial = failure as PartialListError;
  expect(partial.rows.map((row) => `${row.name} ${row.value}`)).toEqual(["domeneshop-quirk.net 81.2.69.1"]);
  expect(String(partial.failed.get("home.elsewhere-quirk.net"))).toMatch(
    /no zone.*use Domeneshop's DNS service/,
  );
});
