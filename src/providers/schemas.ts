/**
 * Every provider's config schema, one entry per `type`, in the order of the catalog. The config
 * schema's provider variant, the JSON Schema and the environment mapping all come from this list.
 */
import { PROVIDERS } from "./catalog.ts";

type Schemas<T extends readonly { schema: unknown }[]> = { [K in keyof T]: T[K]["schema"] };

export const PROVIDER_SCHEMAS = PROVIDERS.map((definition) => definition.schema) as unknown as Schemas<
  typeof PROVIDERS
>;
