/**
 * Every provider homing has, registered once. This list feeds the config schema and the JSON Schema
 * (`PROVIDER_SCHEMAS`), the registry with its lazy `import()` (`createProvider`), `homing
 * providers`, the README's provider table and the behaviour tests. Adding a provider = its folder
 * with a `definition` in `schema.ts`, plus one line here.
 */
import { definition as alidns } from "./alidns/schema.ts";
import { definition as azure } from "./azure/schema.ts";
import { definition as bunny } from "./bunny/schema.ts";
import { definition as cloudflare } from "./cloudflare/schema.ts";
import { definition as cloudns } from "./cloudns/schema.ts";
import { definition as custom } from "./custom/schema.ts";
import { definition as desec } from "./desec/schema.ts";
import { definition as digitalocean } from "./digitalocean/schema.ts";
import { definition as domeneshop } from "./domeneshop/schema.ts";
import { definition as dreamhost } from "./dreamhost/schema.ts";
import { definition as duckdns } from "./duckdns/schema.ts";
import { definition as dyndns2 } from "./dyndns2/schema.ts";
import { definition as dynv6 } from "./dynv6/schema.ts";
import { definition as freedns } from "./freedns/schema.ts";
import { definition as gandi } from "./gandi/schema.ts";
import { definition as gcloud } from "./gcloud/schema.ts";
import { definition as godaddy } from "./godaddy/schema.ts";
import { definition as hetzner } from "./hetzner/schema.ts";
import { definition as hetznerCloud } from "./hetzner-cloud/schema.ts";
import { definition as infomaniak } from "./infomaniak/schema.ts";
import { definition as inwx } from "./inwx/schema.ts";
import { definition as ionos } from "./ionos/schema.ts";
import { definition as linode } from "./linode/schema.ts";
import { definition as loopia } from "./loopia/schema.ts";
import { definition as mythicbeasts } from "./mythicbeasts/schema.ts";
import { definition as namecheap } from "./namecheap/schema.ts";
import { definition as namecom } from "./namecom/schema.ts";
import { definition as namesilo } from "./namesilo/schema.ts";
import { definition as netcup } from "./netcup/schema.ts";
import { definition as njalla } from "./njalla/schema.ts";
import { definition as ovh } from "./ovh/schema.ts";
import { definition as porkbun } from "./porkbun/schema.ts";
import { definition as powerdns } from "./powerdns/schema.ts";
import { definition as rfc2136 } from "./rfc2136/schema.ts";
import { definition as route53 } from "./route53/schema.ts";
import { definition as scaleway } from "./scaleway/schema.ts";
import { definition as spaceship } from "./spaceship/schema.ts";
import { definition as tencentcloud } from "./tencentcloud/schema.ts";
import { definition as vultr } from "./vultr/schema.ts";

/** Oldest first, then the most-asked-first order. */
export const PROVIDERS = [
  dreamhost,
  cloudflare,
  powerdns,
  rfc2136,
  dyndns2,
  duckdns,
  custom,
  porkbun,
  namecheap,
  godaddy,
  gandi,
  hetzner,
  hetznerCloud,
  desec,
  digitalocean,
  linode,
  route53,
  netcup,
  ionos,
  dynv6,
  freedns,
  vultr,
  namecom,
  inwx,
  infomaniak,
  scaleway,
  namesilo,
  njalla,
  cloudns,
  gcloud,
  ovh,
  spaceship,
  bunny,
  mythicbeasts,
  domeneshop,
  loopia,
  azure,
  alidns,
  tencentcloud,
] as const;

export type ProviderType = (typeof PROVIDERS)[number]["type"];
