/**
 * Every provider's config schema, one entry per `type`. The config schema's provider variant, the
 * JSON Schema and the environment mapping all come from this list: adding a provider = one line
 * here and one case in registry.ts.
 */
import { DreamHostSchema } from "./dreamhost/schema.ts";

export const PROVIDER_SCHEMAS = [DreamHostSchema] as const;
