import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";
import { resolverSetting } from "../update-url.ts";

export const NamecheapSchema = v.strictObject({
  type: v.literal("namecheap"),
  ...secretKeys(
    "password",
    "Namecheap Dynamic DNS password of the domain (32 hex characters, Advanced DNS → Dynamic DNS)",
  ),
  domain: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        "The registered domain, e.g. example.co.uk (default: the last two labels of each record name)",
      ),
    ),
  ),
  endpoint: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"),
      v.description("Update URL (default: the service's own)"),
    ),
    "https://dynamicdns.park-your-domain.com/update",
  ),
  resolver: resolverSetting,
  timeout: duration("30s", "Deadline of each update request"),
});

export const definition = defineProvider({
  type: "namecheap",
  service: "Namecheap (Dynamic DNS)",
  schema: NamecheapSchema,
  ipv6: false,
  change: "update-url",
  load: () => import("./provider.ts"),
});
