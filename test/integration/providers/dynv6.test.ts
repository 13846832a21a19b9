import { expect, it } from "vitest";
import { startEmulator } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { dynv6 } from "../../emulators/services/dynv6.ts";
import { IP1, IP2, ZONE } from "../../support/harness.ts";
import { providerTable } from "../../support/provider-table.ts";
import { startUpdateUrlWorld } from "../../support/update-url-world.ts";

providerTable(dynv6);

it("dynv6: the apex address is the zone's ipv4address, set with PATCH /zones/{id}", async (hooks) => {
  const store = new ZoneStore();
  store.addZone(ZONE);
  const emu = await startEmulator(dynv6, { store });
  hooks.onTestFinished(() => emu.close());
  const world = await startUpdateUrlWorld(
    {
      providerId: "dynv6",
      type: "dynv6",
      secret: emu.secrets.token as string,
      provider: ({ secretPath }) => ({ endpoint: emu.endpoint, token_file: secretPath }),
      records: [{ name: ZONE }],
      ipv4: IP1,
      lookup: () => undefined,
    },
    hooks,
  );
  const first = await world.run("run");
  expect(first.code, first.stderr).toBe(0);
  world.setIpv4(IP2);
  const second = await world.run("run");
  expect(second.code, second.stderr).toBe(0);
  expect(store.rows(ZONE, "A").map((row) => row.value)).toEqual([IP2]);
  expect(emu.mutations().map((entry) => `${entry.method} ${entry.path}`)).toEqual([
    `PATCH /api/v2/zones/${store.zone(ZONE)?.id}`,
    `PATCH /api/v2/zones/${store.zone(ZONE)?.id}`,
  ]);
});
