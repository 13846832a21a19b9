import type * as v from "valibot";
import type { PROVIDER_SCHEMAS } from "./schemas.ts";

/**
 * One `[providers.<id>]` table, typed by its provider's schema. Config sees only `ProviderTable`
 * (a `type` and keys); the composition root narrows a table it validated with PROVIDER_SCHEMAS to
 * this before handing it to `createProvider`.
 */
export type ProviderConfig = v.InferOutput<(typeof PROVIDER_SCHEMAS)[number]>;
