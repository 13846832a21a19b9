import { expect, it } from "vitest";
import { PartialListError } from "../../../src/errors.ts";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { disabledDomains, linode } from "../../emulators/services/linode.ts";
import { directProvider, signal, verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(linode);
verifyScenario(linode, /Linode accepted the token \(0 domains visible\)/);

it("Linode: finds domains with X-Filter, reads every page of records, and fails a disabled domain alone", async (hooks) => {
  const store = new ZoneStore();
  for (const name of ["a.test", "b.test", "linode-quirk.net", "off.linode-quirk.net"]) store.addZone(name);
  const zone = store.zone("linode-quirk.net");
  if (!zone) throw new Error("no zone");
  for (const [index, value] of ["81.2.69.1", "81.2.69.2", "81.2.69.3", "81.2.69.4", "81.2.69.5"].entries())
    store.add(zone, { name: `h${index}.linode-quirk.net`, type: "A", value, ttl: 300 });
  disabledDomains.add("off.linode-quirk.net");
  const emu = await startEmulator(linode, { store });
  hooks.onTestFinished(() => emu.close());
  const provider = await directProvider(linode, emu);
  const failure = await provider
    .list(["h4.linode-quirk.net", "home.off.linode-quirk.net"], { signal: signal() })
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(PartialListError);
  const partial = failure as PartialListError;
  expect(partial.rows.map((row) => row.value)).toEqual(["81.2.69.5"]);
  expect(String(partial.failed.get("home.off.linode-quirk.net"))).toMatch(/disabled/);
  const pages = emu.log.filter((entry) => entry.path.endsWith("/records")).map((entry) => entry.query);
  expect(pages.some((query) => query.includes("page=3"))).toBe(true);
  // The domain list is never read whole: one filtered lookup per candidate, longest first.
  expect(emu.log.filter((entry) => entry.path === "/v4/domains")).toHaveLength(4);
});
