import type { DnsProvider, ProviderContext } from "./provider.ts";
import type { ProviderConfig } from "./provider-config.ts";

/**
 * Builds the adapter for one `[providers.<id>]` table. Each provider is loaded only when a config
 * uses it: a DreamHost cron run never loads the DNS wire code, TSIG or node:crypto.
 */
export async function createProvider(
  id: string,
  config: ProviderConfig,
  context: ProviderContext,
): Promise<DnsProvider> {
  switch (config.type) {
    case "dreamhost":
      return (await import("./dreamhost/provider.ts")).DreamHostProvider.create(id, config, context);
    case "cloudflare":
      return (await import("./cloudflare/provider.ts")).CloudflareProvider.create(id, config, context);
    case "powerdns":
      return (await import("./powerdns/provider.ts")).PowerDnsProvider.create(id, config, context);
    case "rfc2136":
      return (await import("./rfc2136/provider.ts")).Rfc2136Provider.create(id, config, context);
    case "dyndns2":
      return (await import("./dyndns2/provider.ts")).Dyndns2Provider.create(id, config, context);
    case "duckdns":
      return (await import("./duckdns/provider.ts")).DuckDnsProvider.create(id, config, context);
    case "custom":
      return (await import("./custom/provider.ts")).CustomProvider.create(id, config, context);
  }
}
