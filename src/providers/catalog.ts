/**
 * Every provider homing has, registered once. This list feeds the config schema and the JSON Schema
 * (`PROVIDER_SCHEMAS`), the registry with its lazy `import()` (`createProvider`), `homing
 * providers`, the README's provider table and the behaviour tests. Adding a provider = its folder
 * with a `definition` in `schema.ts`, plus one line here.
 */
import { definition as alidns } from "./alidns/schema.ts";
import { definition as cloudflare } from "./cloudflare/schema.ts";
import { definition as custom } from "./custom/schema.ts";
import { definition as dreamhost } from "./dreamhost/schema.ts";
import { definition as duckdns } from "./duckdns/schema.ts";
import { definition as dyndns2 } from "./dyndns2/schema.ts";
import { definition as ovh } from "./ovh/schema.ts";
import { definition as porkbun } from "./porkbun/schema.ts";
import { definition as powerdns } from "./powerdns/schema.ts";
import { definition as rfc2136 } from "./rfc2136/schema.ts";
import { definition as route53 } from "./route53/schema.ts";
import { definition as tencentcloud } from "./tencentcloud/schema.ts";

export const PROVIDERS = [
  dreamhost,
  cloudflare,
  powerdns,
  rfc2136,
  dyndns2,
  duckdns,
  custom,
  porkbun,
  route53,
  ovh,
  alidns,
  tencentcloud,
] as const;

export type ProviderType = (typeof PROVIDERS)[number]["type"];
