import { expect, it } from "vitest";
import { loopia } from "../../emulators/services/loopia.ts";
import { IP1, NAME } from "../../support/harness.ts";
import { providerTable } from "../../support/provider-table.ts";
import { startProviderWorld } from "../../support/provider-world.ts";
import { canarySecret } from "../../support/update-url-world.ts";

providerTable(loopia);

it("Loopia: adds the subdomain before the first record at a new name, with a password XML must escape", async (hooks) => {
  const module = { ...loopia, secrets: () => ({ password: `<p&ss'"${canarySecret()}>` }) };
  const { world, emu } = await startProviderWorld(module, hooks);
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(emu.mutations().length).toBe(2);
});
