import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const AlidnsSchema = v.strictObject({
  type: v.literal("alidns"),
  access_key_id: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("Alibaba Cloud AccessKey ID (LTAI…), not secret"),
  ),
  ...secretKeys("access_key_secret", "Alibaba Cloud AccessKey secret"),
  // 600 is the smallest TTL of Alibaba Cloud DNS's free edition; paid editions go down to 1.
  ...restEntries({ endpoint: "https://alidns.aliyuncs.com/", ttl: { min: 1, max: 86400 } }),
});

export const definition = defineProvider({
  type: "alidns",
  service: "Alibaba Cloud DNS",
  schema: AlidnsSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
