import { expect, it } from "vitest";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { vultr } from "../../emulators/services/vultr.ts";
import { directProvider, signal, verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(vultr);
verifyScenario(vultr, /Vultr accepted the API key/);

it("Vultr: an apex record changed by PATCH (204, no body) is confirmed by a fresh listing", async (hooks) => {
  const store = new ZoneStore();
  const zone = store.addZone("vultr-quirk.net");
  store.add(zone, { name: "vultr-quirk.net", type: "A", value: "81.2.69.1", ttl: 300 });
  const emu = await startEmulator(vultr, { store });
  hooks.onTestFinished(() => emu.close());
  const provider = await directProvider(vultr, emu);
  const [row] = await provider.list(["vultr-quirk.net"], { signal: signal() });
  expect(row).toMatchObject({ name: "vultr-quirk.net", type: "A", value: "81.2.69.1" });
  if (!row || !provider.replace) throw new Error("no row or no replace");
  await provider.replace(
    { name: "vultr-quirk.net", type: "A", add: "81.2.69.2", remove: [row] },
    { signal: signal() },
  );
  expect(store.rows("vultr-quirk.net", "A").map((r) => r.value)).toEqual(["81.2.69.2"]);
  const after = emu.log.slice(emu.log.findIndex((entry) => entry.method === "PATCH"));
  expect(after.map((entry) => entry.method)).toEqual(["PATCH", "GET"]);
});

it("Vultr: a 403 for a source address outside the key's Access Control says what to allow", async (hooks) => {
  const emu = await startEmulator(vultr);
  hooks.onTestFinished(() => emu.close());
  emu.inject({ fault: { status: 403, message: "Unauthorized IP address: 81.2.69.142" } });
  const provider = await directProvider(vultr, emu);
  const failure = await provider.verifyAccess({ signal: signal() }).catch((error: unknown) => String(error));
  expect(failure).toMatch(
    /did not allow the credentials.*Unauthorized IP address: 81\.2\.69\.142.*Access Control/,
  );
});
