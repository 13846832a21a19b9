import { expect, it } from "vitest";
import { netcup, netcupService } from "../../emulators/services/netcup.ts";
import { IP1, IP3, NAME } from "../../support/harness.ts";
import { providerTable } from "../../support/provider-table.ts";
import { startProviderWorld } from "../../support/provider-world.ts";

providerTable(netcup);

it("Netcup: logs in again once when the session expires, and the change goes through", async (hooks) => {
  const service = netcupService({ expireOnce: true });
  const { world, emu } = await startProviderWorld(service, hooks, {
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  const result = await world.run("run", ["-vv"]);
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(service.logins()).toBe(2);
});

it("Netcup: takes the endpoint without the ?JSON query too", async (hooks) => {
  const { world, emu } = await startProviderWorld(netcupService(), hooks, {
    config: (config) => ({ ...config, endpoint: String(config.endpoint).replace(/\?JSON$/, "") }),
  });
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(emu.log.every((entry) => entry.query === "")).toBe(true);
});
