import { expect, it } from "vitest";
import { gcloud } from "../../emulators/services/gcloud.ts";
import { NAME } from "../../support/harness.ts";
import { providerTable, setup } from "../../support/provider-table.ts";

providerTable(gcloud);

it("Google Cloud DNS: one token exchange serves the whole run, and private zones are skipped", async (hooks) => {
  const { world, emu } = await setup(gcloud, hooks, { ipv6: false });
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.log.filter((entry) => entry.path.endsWith("/token"))).toHaveLength(1);
  expect(emu.log.some((entry) => entry.query.includes("pageToken"))).toBe(true);
  expect(emu.log.some((entry) => entry.path.includes("example-com-private"))).toBe(false);
  expect(emu.store.rows(NAME, "A")).toHaveLength(1);
});

it("gcloud: homing check proves the credentials with a read-only call", async (hooks) => {
  const { world, emu } = await setup(gcloud, hooks, { ipv6: false });
  const result = await world.run("check");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/provider gcloud \([^)]+\): ok, .*accepted/);
  expect(emu.mutations()).toEqual([]);
});
