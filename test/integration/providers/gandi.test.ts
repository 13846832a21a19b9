import { expect, it } from "vitest";
import { gandi } from "../../emulators/services/gandi.ts";
import { NAME } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";
import { canarySecret } from "../../support/update-url-world.ts";

providerTable(gandi);

it("takes a legacy API key (sent as Authorization: Apikey) when no token is set", async (hooks) => {
  const legacy = { ...gandi, secrets: () => ({ api_key: canarySecret() }) };
  const { world, emu } = await setup(legacy, hooks, { ipv6: false });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(0);
  expect(emu.store.rows(NAME, "A").length).toBe(1);
});
