/**
 * One emulator plus a CLI world for a provider's extra scenarios (a quirk the behaviour table does
 * not cover: a session that expires, an endpoint written another way). The table's own setup,
 * reduced: a zone `ZONE` with the given rows, the module's secrets in files, one record.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Emulator, type ServiceModule, startEmulator } from "../emulators/kit/emulator.ts";
import { ZoneStore } from "../emulators/kit/store.ts";
import { IP1, NAME, type TestHooks, ZONE } from "./harness.ts";
import { startUpdateUrlWorld, type UpdateUrlWorld } from "./update-url-world.ts";

export async function startProviderWorld(
  module: ServiceModule,
  hooks: TestHooks,
  options: {
    rows?: Array<{ name: string; type: string; value: string }>;
    /** Changes to the provider's config keys. */
    config?: (config: Record<string, string | number | boolean>) => Record<string, string | number | boolean>;
  } = {},
): Promise<{ world: UpdateUrlWorld; emu: Emulator }> {
  const secrets = module.secrets();
  const store = new ZoneStore();
  const zone = store.addZone(ZONE);
  for (const row of options.rows ?? []) store.add(zone, { ...row, ttl: 300 });
  const emu = await startEmulator(module, { secrets, store });
  hooks.onTestFinished(() => emu.close());
  const config = module.config(emu.endpoint);
  const world = await startUpdateUrlWorld(
    {
      providerId: module.type,
      type: module.type,
      secret: "unused",
      provider: ({ dir }) => ({
        ...(options.config ? options.config(config) : config),
        ...Object.fromEntries(Object.keys(secrets).map((key) => [`${key}_file`, join(dir, key)])),
      }),
      records: [{ name: NAME, ipv4: true, ipv6: false }],
      ipv4: IP1,
      lookup: () => undefined,
    },
    hooks,
  );
  for (const [key, value] of Object.entries(secrets))
    await writeFile(join(world.dir, key), `${value}\n`, { mode: 0o600 });
  return { world, emu };
}
