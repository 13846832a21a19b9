/**
 * A kit provider built straight from its catalog definition against a running emulator, without
 * the CLI: for a provider's extra scenarios (its quirks) that call `list`, `verifyAccess`, `add` or
 * `replace` directly and read the emulator's store and log.
 */

import * as v from "valibot";
import { expect, it } from "vitest";
import { Secret } from "../../src/core/secret.ts";
import { createLogger } from "../../src/platform/log.ts";
import { PROVIDERS } from "../../src/providers/catalog.ts";
import type { RestProvider } from "../../src/providers/kit/rest.ts";
import type { ProviderContext } from "../../src/providers/provider.ts";
import { createProvider } from "../../src/providers/registry.ts";
import { type Emulator, type ServiceModule, startEmulator } from "../emulators/kit/emulator.ts";

export async function directProvider(
  module: ServiceModule,
  emu: Emulator,
  extra: Record<string, unknown> = {},
): Promise<RestProvider> {
  const definition = PROVIDERS.find((p) => p.type === module.type);
  if (!definition) throw new Error(`no catalog entry of type ${module.type}`);
  const config = v.parse(definition.schema, { type: module.type, ...module.config(emu.endpoint), ...extra });
  const context: ProviderContext = {
    logger: createLogger({ level: "error", format: "text", write: () => {} }),
    sleep: async () => {},
    random: () => 0,
    secret: async (key) => new Secret(emu.secrets[key] ?? "", `a test (${key})`),
  };
  // Every service built here is a kit REST provider: list and replace are there.
  return (await createProvider(module.type, config as never, context)) as RestProvider;
}

export const signal = () => AbortSignal.timeout(20_000);

/** `homing check`'s call: one read-only request that proves the credentials, and what it learned. */
export function verifyScenario(module: ServiceModule, said: RegExp): void {
  it(`${module.label}: verifyAccess proves the credentials with read-only calls`, async (hooks) => {
    const emu = await startEmulator(module);
    hooks.onTestFinished(() => emu.close());
    const provider = await directProvider(module, emu);
    expect(await provider.verifyAccess({ signal: signal(), names: [] })).toMatch(said);
    expect(emu.mutations()).toEqual([]);
  });
}
