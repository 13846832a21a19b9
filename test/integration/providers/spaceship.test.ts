import { expect, it } from "vitest";
import type { ServiceModule } from "../../emulators/kit/emulator.ts";
import { ZoneStore } from "../../emulators/kit/store.ts";
import { spaceship } from "../../emulators/services/spaceship.ts";
import { IP1, IP3, NAME } from "../../support/harness.ts";
import { providerTable, setup } from "../../support/provider-table.ts";

providerTable(spaceship);

it("spaceship: homing check proves the credentials with a read-only call", async (hooks) => {
  const { world, emu } = await setup(spaceship, hooks, { ipv6: false });
  const result = await world.run("check");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/provider spaceship \([^)]+\): ok, .*accepted/);
  expect(emu.mutations()).toEqual([]);
});

it("spaceship: if PUT with force adds beside the old address instead of replacing it, homing deletes the old one by value", async (hooks) => {
  // A Spaceship whose PUT only adds (the API docs do not promise that `force` replaces the set).
  const adding: ServiceModule = {
    ...spaceship,
    routes: spaceship.routes.map((route) =>
      route.method !== "PUT"
        ? route
        : {
            ...route,
            handle(request, { domain = "" }, store) {
              const zone = store.zone(domain);
              if (!zone) return spaceship.error(404, `SOA record for domain ${domain} not found.`);
              const { items = [] } = (request.json ?? {}) as {
                items?: Array<{ name: string; type: string; address: string }>;
              };
              for (const i of items) {
                const name = ZoneStore.fqdn(zone, i.name);
                if (!store.rows(name, i.type).some((r) => r.value === i.address))
                  store.add(zone, { name, type: i.type, value: i.address, ttl: 3600 });
              }
              return { status: 204, text: "" };
            },
          },
    ),
  };
  const { world, emu } = await setup(adding, hooks, {
    ipv6: false,
    rows: [{ name: NAME, type: "A", value: IP3 }],
  });
  const result = await world.run("run");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  expect(emu.mutations().map((entry) => entry.method)).toEqual(["PUT", "DELETE"]);
  for (const snapshot of emu.store.timeline)
    expect(snapshot.get(`${NAME} A`)?.length ?? 0).toBeGreaterThan(0);
});
