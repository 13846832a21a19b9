/**
 * A kit provider built straight from its catalog definition against a running emulator, without
 * the CLI: for a provider's extra scenarios (its quirks) that call `list`, `verifyAccess`, `add` or
 * `replace` directly and read the emulator's store and log.
 */
import * as v from "valibot";
import { Secret } from "../../src/core/secret.ts";
import { createLogger } from "../../src/platform/log.ts";
import { PROVIDERS } from "../../src/providers/catalog.ts";
import type { DnsProvider, ProviderContext } from "../../src/providers/provider.ts";
import { createProvider } from "../../src/providers/registry.ts";
import type { Emulator, ServiceModule } from "../emulators/kit/emulator.ts";

export async function directProvider(
  module: ServiceModule,
  emu: Emulator,
  extra: Record<string, unknown> = {},
): Promise<DnsProvider> {
  const definition = PROVIDERS.find((p) => p.type === module.type);
  if (!definition) throw new Error(`no catalog entry of type ${module.type}`);
  const config = v.parse(definition.schema, { type: module.type, ...module.config(emu.endpoint), ...extra });
  const context: ProviderContext = {
    logger: createLogger({ level: "error", format: "text", write: () => {} }),
    sleep: async () => {},
    random: () => 0,
    secret: async (key) => new Secret(emu.secrets[key] ?? "", `a test (${key})`),
  };
  return createProvider(module.type, config as never, context);
}

export const signal = () => AbortSignal.timeout(20_000);
