import { expect, it } from "vitest";
import { refusedNames, route53 } from "../../emulators/services/route53.ts";
import { IP1, NAME, ZONE } from "../../support/harness.ts";
import { output, providerTable, setup } from "../../support/provider-table.ts";

providerTable(route53);

it("reports a refused change batch (InvalidChangeBatch) with Route 53's own words", async (hooks) => {
  const { world, emu } = await setup(route53, hooks, { ipv6: false });
  refusedNames.add(NAME);
  hooks.onTestFinished(() => {
    refusedNames.delete(NAME);
  });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(1);
  expect(output(result)).toMatch(
    /Route 53 refused to set home\.example\.com A[^\n]*InvalidChangeBatch[^\n]*is not permitted in zone example\.com/,
  );
  expect(emu.store.rows(NAME, "A")).toEqual([]);
});

it("turns SignatureDoesNotMatch into an auth error that names the key and the clock", async (hooks) => {
  const secrets = route53.secrets();
  const { world, emu } = await setup(route53, hooks, {
    ipv6: false,
    emulatorSecrets: { ...secrets, secret_access_key: "another-secret-key" },
  });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(1);
  expect(output(result)).toMatch(/SignatureDoesNotMatch[^\n]*secret_access_key[^\n]*clock/);
  expect(emu.mutations()).toEqual([]);
});

it("with zone_id and zone configured, asks nothing to find the zone", async (hooks) => {
  const { world, emu } = await setup(route53, hooks, { ipv6: false });
  const zone = emu.store.zone(ZONE);
  Object.assign(world.provider, { zone: ZONE, zone_id: `/hostedzone/Z${zone?.id}` });
  await world.writeConfig();
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(emu.log.filter((entry) => entry.path.endsWith("/hostedzonesbyname"))).toEqual([]);
});

it("leaves an alias record set alone and says why", async (hooks) => {
  const { world, emu } = await setup(route53, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: "ALIAS d111111abcdef8.cloudfront.net." }],
  });
  const result = await world.run("run");
  expect(result.code, output(result)).toBe(1);
  expect(output(result)).toMatch(/alias to d111111abcdef8\.cloudfront\.net/);
  expect(emu.mutations()).toEqual([]);
});
