import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const MythicBeastsSchema = v.strictObject({
  type: v.literal("mythicbeasts"),
  key_id: v.pipe(v.string(), v.minLength(1), v.description("Mythic Beasts API key ID")),
  ...secretKeys("secret", "Mythic Beasts API key secret"),
  token_endpoint: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"),
      v.description("OAuth2 token endpoint (default https://auth.mythic-beasts.com/login)"),
    ),
    "https://auth.mythic-beasts.com/login",
  ),
  ...restEntries({ endpoint: "https://api.mythic-beasts.com/dns/v2/" }),
});

export const definition = defineProvider({
  type: "mythicbeasts",
  service: "Mythic Beasts",
  schema: MythicBeastsSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
