import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";
import { resolverSetting } from "../update-url.ts";

const url = (fallback: string, what: string) =>
  v.optional(
    v.pipe(v.string(), v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"), v.description(what)),
    fallback,
  );

export const FreednsSchema = v.strictObject({
  type: v.literal("freedns"),
  ...secretKeys("token", "FreeDNS v2 update token of the record (the part after /u/ in its sync URL)"),
  endpoint: url(
    "https://sync.afraid.org/u/",
    "IPv4 update URL, before the token (default: the service's own)",
  ),
  endpoint_ipv6: url(
    "https://v6.sync.afraid.org/u/",
    "IPv6 update URL, before the token (default: the service's own)",
  ),
  resolver: resolverSetting,
  timeout: duration("30s", "Deadline of each update request"),
});

export const definition = defineProvider({
  type: "freedns",
  service: "FreeDNS (afraid.org)",
  schema: FreednsSchema,
  ipv6: true,
  change: "update-url",
  load: () => import("./provider.ts"),
});
