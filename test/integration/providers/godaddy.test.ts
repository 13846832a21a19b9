import { expect, it } from "vitest";
import { accessDenied, godaddy } from "../../emulators/services/godaddy.ts";
import { NAME } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(godaddy);

it("explains GoDaddy's 403 ACCESS_DENIED for small accounts, and changes nothing", async (hooks) => {
  const { world, emu, secrets } = await setup(godaddy, hooks, { ipv6: false });
  accessDenied.add(secrets.api_key ?? "");
  hooks.onTestFinished(() => {
    accessDenied.delete(secrets.api_key ?? "");
  });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(1);
  expect(output(result)).toMatch(/ACCESS_DENIED/);
  expect(output(result)).toMatch(/10 or more domains/);
  expect(emu.mutations()).toEqual([]);
  expect(emu.store.rows(NAME, "A")).toEqual([]);
});

it("lists a zone of more than one page (offset and limit)", async (hooks) => {
  const { world, emu } = await setup(godaddy, hooks, { ipv6: false });
  const zone = emu.store.zone("example.com");
  if (!zone) throw new Error("no zone");
  for (let i = 0; i < 520; i++)
    emu.store.add(zone, { name: `t${i}.example.com`, type: "TXT", value: `v${i}`, ttl: 600 });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(0);
  expect(emu.log.some((entry) => entry.query.includes("offset=500"))).toBe(true);
  expect(emu.store.rows(NAME, "A").length).toBe(1);
});
