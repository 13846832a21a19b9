import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";
import { resolverSetting } from "../update-url.ts";

export const DuckDnsSchema = v.strictObject({
  type: v.literal("duckdns"),
  ...secretKeys("token", "DuckDNS account token"),
  endpoint: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"),
      v.description("Update URL"),
    ),
    "https://www.duckdns.org/update",
  ),
  resolver: resolverSetting,
  timeout: duration("30s", "Deadline of each update request"),
});

export type DuckDnsConfig = v.InferOutput<typeof DuckDnsSchema>;

export const definition = defineProvider({
  type: "duckdns",
  service: "DuckDNS",
  schema: DuckDnsSchema,
  ipv6: true,
  change: "update-url",
  load: async () => {
    const { DuckDnsProvider } = await import("./provider.ts");
    return { create: (id, config, context) => DuckDnsProvider.create(id, config, context) };
  },
});
