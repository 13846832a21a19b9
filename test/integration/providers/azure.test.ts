import { expect, it } from "vitest";
import { azure } from "../../emulators/services/azure.ts";
import { IP1, IP3, NAME } from "../../support/harness.ts";
import { providerTable, setup } from "../../support/provider-table.ts";

providerTable(azure);

it("Azure DNS: a set changed between list and write (412 on If-Match) is not overwritten, and the next run succeeds", async (hooks) => {
  const { world, emu } = await setup(azure, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  emu.inject({
    fault: { status: 412, message: "The etag provided does not match" },
    match: (r) => r.method === "PUT",
    times: 1,
  });
  const stale = await world.run("run");
  expect(stale.code).toBe(1);
  expect(`${stale.stdout}\n${stale.stderr}`).toMatch(/changed since homing listed it/);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3]);
  const put = emu.log.find((entry) => entry.method === "PUT");
  expect(put?.fault).toBe("412");
  const next = await world.run("run");
  expect(next.code, `${next.stdout}\n${next.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(emu.log.filter((entry) => entry.path.endsWith("/oauth2/v2.0/token")).length).toBeLessThanOrEqual(2);
});

it("azure: homing check proves the credentials with a read-only call", async (hooks) => {
  const { world, emu } = await setup(azure, hooks, { ipv6: false });
  const result = await world.run("check");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/provider azure \([^)]+\): ok, .*accepted/);
  expect(emu.mutations()).toEqual([]);
});
