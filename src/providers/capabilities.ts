/**
 * The capability model, read in one place: which methods a provider's declared `capabilities`
 * need, the check that they exist (at creation, so a provider that declares a strategy it does not
 * implement fails at once, not in the middle of a round), and the typed access the engine uses.
 */
import type { ChangeStrategy, DnsProvider, ProviderCapabilities, ProviderContext } from "./provider.ts";
import { createProvider } from "./registry.ts";

type Method = "list" | "lookup" | "add" | "remove" | "replace" | "replaceMany";

const CHANGE_METHODS: Record<ChangeStrategy, readonly Method[]> = {
  "in-place": ["replace"],
  rrset: ["replace"],
  "add-remove": ["add", "remove"],
  "update-url": ["replaceMany"],
};

/** The methods `capabilities` promise: the read (list or DNS lookup), then the change strategy's. */
export function requiredMethods(capabilities: ProviderCapabilities): Method[] {
  return [capabilities.list ? "list" : "lookup", ...CHANGE_METHODS[capabilities.change]];
}

function missing(provider: DnsProvider, method: Method): Error {
  const { list, change } = provider.capabilities;
  return new Error(
    `internal error: provider ${provider.id} (${provider.label}) declares capabilities { list: ${list}, change: "${change}" } but has no ${method}() method; this is a bug in homing, please report it`,
  );
}

/** Throws an internal error when a method the declared capabilities need is missing. */
export function checkCapabilities(provider: DnsProvider): void {
  if (!Object.hasOwn(CHANGE_METHODS, provider.capabilities.change)) {
    throw new Error(
      `internal error: provider ${provider.id} (${provider.label}) declares an unknown change strategy "${provider.capabilities.change}"; this is a bug in homing, please report it`,
    );
  }
  for (const method of requiredMethods(provider.capabilities)) {
    if (typeof provider[method] !== "function") throw missing(provider, method);
  }
}

/** `method` of `provider`, bound; an internal error when the provider lacks it. */
export function methodOf<M extends Method>(provider: DnsProvider, method: M): NonNullable<DnsProvider[M]> {
  const fn = provider[method];
  if (typeof fn !== "function") throw missing(provider, method);
  return fn.bind(provider) as NonNullable<DnsProvider[M]>;
}

/** `createProvider` plus the capability check: the path every provider is built through. */
export async function createCheckedProvider(
  id: string,
  config: Parameters<typeof createProvider>[1],
  context: ProviderContext,
): Promise<DnsProvider> {
  const provider = await createProvider(id, config, context);
  checkCapabilities(provider);
  return provider;
}
