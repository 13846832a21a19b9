import type { Secret } from "../core/secret.ts";
import { PROVIDERS } from "./catalog.ts";
import type { ProviderDefinition } from "./kit/define.ts";
import { type DnsProvider, lazyFingerprint, type ProviderContext } from "./provider.ts";
import type { ProviderConfig } from "./provider-config.ts";

const BY_TYPE = new Map<string, ProviderDefinition>(
  PROVIDERS.map((definition) => [definition.type, definition as unknown as ProviderDefinition]),
);

/**
 * Builds the adapter for one `[providers.<id>]` table from the catalog's definition. Each provider is
 * loaded only when a config uses it: a DreamHost cron run never loads the DNS wire code, TSIG or
 * node:crypto. A provider that does not compute its own fingerprint gets one over its table and
 * every secret it read, so every provider's halts end when its config changes.
 */
export async function createProvider(
  id: string,
  config: ProviderConfig,
  context: ProviderContext,
): Promise<DnsProvider> {
  const definition = BY_TYPE.get(config.type);
  if (!definition) throw new Error(`no provider of type "${config.type}" is registered`);
  const read: Secret[] = [];
  const tracked: ProviderContext = {
    ...context,
    secret: async (key) => {
      const secret = await context.secret(key);
      read.push(secret);
      return secret;
    },
  };
  const module = await definition.load();
  const provider = await module.create(id, config as never, tracked);
  if ("fingerprint" in provider) return provider;
  const fingerprint = lazyFingerprint(config, () => read.map((secret) => secret.reveal()));
  return Object.defineProperty(provider, "fingerprint", { get: fingerprint, enumerable: false });
}
