import { expect, it } from "vitest";
import { inwx, inwxService } from "../../emulators/services/inwx.ts";
import { IP1, IP3, NAME } from "../../support/harness.ts";
import { providerTable } from "../../support/provider-table.ts";
import { startProviderWorld } from "../../support/provider-world.ts";

providerTable(inwx);

it("INWX: logs in again once when the session cookie stops working, and the change goes through", async (hooks) => {
  const service = inwxService({ expireOnce: true });
  const { world, emu } = await startProviderWorld(service, hooks, {
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(service.logins()).toBe(2);
});

it("INWX: an account with two-factor authentication fails with a pointer to the DynDNS preset", async (hooks) => {
  const { world, emu } = await startProviderWorld(inwxService({ tfa: true }), hooks);
  const result = await world.run("run");
  expect(result.code).toBe(1);
  expect(`${result.stdout}\n${result.stderr}`).toMatch(/two-factor[^\n]*preset = "inwx"/);
  expect(emu.mutations()).toEqual([]);
});
