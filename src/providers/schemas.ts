/**
 * Every provider's config schema, one entry per `type`. The config schema's provider variant, the
 * JSON Schema and the environment mapping all come from this list: adding a provider = one line
 * here and one case in registry.ts.
 */
import { CloudflareSchema } from "./cloudflare/schema.ts";
import { CustomSchema } from "./custom/schema.ts";
import { DreamHostSchema } from "./dreamhost/schema.ts";
import { DuckDnsSchema } from "./duckdns/schema.ts";
import { Dyndns2Schema } from "./dyndns2/schema.ts";
import { PowerDnsSchema } from "./powerdns/schema.ts";
import { Rfc2136Schema } from "./rfc2136/schema.ts";

export const PROVIDER_SCHEMAS = [
  DreamHostSchema,
  CloudflareSchema,
  PowerDnsSchema,
  Rfc2136Schema,
  Dyndns2Schema,
  DuckDnsSchema,
  CustomSchema,
] as const;
