import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { namecheap } from "../../emulators/services/namecheap.ts";
import { hasIpv6Loopback, IP1, IP3, NAME } from "../../support/harness.ts";
import { output, updateUrlTable, urlSetup } from "../../support/update-url-table.ts";

updateUrlTable(namecheap);
const hostIpv6 = await hasIpv6Loopback();

it.skipIf(!hostIpv6)(
  "namecheap: a record with ipv6 = true fails with the fix, and its IPv4 is still set",
  async (hooks) => {
    const { world, emu } = await urlSetup(namecheap, hooks, {
      ipv6: true,
      records: [{ name: NAME, ipv6: true }],
    });
    const result = await world.run("run");
    expect(output(result)).toMatch(
      /IPv4 only: set ipv6 = false on the \[\[records\]\] entry of home\.example\.com/,
    );
    expect(result.code, output(result)).toBe(1);
    expect(emu.log).toHaveLength(1);
    expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  },
);

it("namecheap: a password that is not 32 hex characters is a config error that does not echo it", async (hooks) => {
  const { world, emu } = await urlSetup(namecheap, hooks, { ipv6: false });
  await writeFile(join(world.dir, "password"), "hunter2-account-password\n", { mode: 0o600 });
  const result = await world.run("run");
  expect(result.code, output(result)).not.toBe(0);
  expect(output(result)).toMatch(/password: expected the domain's Dynamic DNS password, 32 hexadecimal/);
  expect(output(result)).not.toContain("hunter2");
  expect(emu.log).toEqual([]);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3]);
});
