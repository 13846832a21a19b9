import type { ProviderConfig } from "../config/schema.ts";
import { DreamHostProvider } from "./dreamhost/provider.ts";
import type { DnsProvider, ProviderContext } from "./provider.ts";

/** Builds the adapter for one `[providers.<id>]` table. */
export async function createProvider(
  id: string,
  config: ProviderConfig,
  context: ProviderContext,
): Promise<DnsProvider> {
  switch (config.type) {
    case "dreamhost":
      return DreamHostProvider.create(id, config, context);
  }
}
