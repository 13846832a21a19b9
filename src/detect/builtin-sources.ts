import type { IpFamily } from "../core/ip.ts";
import type { SourceFormat } from "../core/source-body.ts";

export interface SourceDefinition {
  name: string;
  url: Record<IpFamily, string>;
  format: SourceFormat;
  field?: string;
}

/**
 * Built-in detection sources. The defaults (cloudflare, ipify, ipinfo) are run by three different
 * operators, so a quorum of two means two independent parties agree. icanhazip is run by Cloudflare
 * since 2021, so it is offered but not a default next to "cloudflare".
 */
export const BUILTIN_SOURCES: readonly SourceDefinition[] = [
  {
    name: "cloudflare",
    url: { ipv4: "https://1.1.1.1/cdn-cgi/trace", ipv6: "https://[2606:4700:4700::1111]/cdn-cgi/trace" },
    format: "trace",
  },
  { name: "ipify", url: { ipv4: "https://api.ipify.org/", ipv6: "https://api6.ipify.org/" }, format: "text" },
  {
    name: "icanhazip",
    url: { ipv4: "https://ipv4.icanhazip.com/", ipv6: "https://ipv6.icanhazip.com/" },
    format: "text",
  },
  { name: "ipinfo", url: { ipv4: "https://ipinfo.io/ip", ipv6: "https://v6.ipinfo.io/ip" }, format: "text" },
  {
    name: "ipinfo-json",
    url: { ipv4: "https://ipinfo.io/json", ipv6: "https://v6.ipinfo.io/json" },
    format: "json",
    field: "ip",
  },
];

export const BUILTIN_SOURCE_NAMES: readonly string[] = [
  ...BUILTIN_SOURCES.map((source) => source.name),
  "cloudflare-trace",
];

export function builtinSource(name: string): SourceDefinition | undefined {
  const wanted = name === "cloudflare-trace" ? "cloudflare" : name;
  return BUILTIN_SOURCES.find((source) => source.name === wanted);
}
