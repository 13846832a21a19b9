import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const TencentCloudSchema = v.strictObject({
  type: v.literal("tencentcloud"),
  secret_id: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("Tencent Cloud API SecretId (AKID…), not secret"),
  ),
  ...secretKeys("secret_key", "Tencent Cloud API SecretKey"),
  record_line: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description('DNSPod resolution line of the records homing owns (default "默认", the default line)'),
    ),
    "默认",
  ),
  // DNSPod's free plan takes TTLs from 600; paid plans go down to 1.
  ...restEntries({ endpoint: "https://dnspod.tencentcloudapi.com/", ttl: { min: 1, max: 604800 } }),
});

export const definition = defineProvider({
  type: "tencentcloud",
  service: "DNSPod (Tencent Cloud)",
  schema: TencentCloudSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
