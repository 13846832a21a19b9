import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";
import { resolverSetting } from "../update-url.ts";

export const CUSTOM_METHODS = ["GET", "POST", "PUT", "PATCH"] as const;

export const CustomSchema = v.strictObject({
  type: v.literal("custom"),
  label: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description("Name of the service in messages (default: the URL's host)"),
    ),
  ),
  method: v.optional(v.pipe(v.picklist(CUSTOM_METHODS), v.description("HTTP method")), "GET"),
  url: v.pipe(
    v.string(),
    v.regex(
      /^https?:\/\//,
      "expected an http(s) URL template like https://example.net/update?host={name}&ip={ip}",
    ),
    v.description(
      "Update URL template; {name} {ip} {type} {ipv4} {ipv6} {secret} are replaced (URL-encoded)",
    ),
  ),
  body: v.optional(
    v.pipe(
      v.string(),
      v.description("Request body template (POST, PUT, PATCH); placeholders are replaced as is"),
    ),
  ),
  headers: v.optional(
    v.pipe(
      v.record(v.string(), v.string()),
      v.description(
        'Extra request headers; values are templates, e.g. { Authorization = "Bearer {secret}" }',
      ),
    ),
    {},
  ),
  ...secretKeys("secret", "secret substituted for {secret} (and the basic-auth password with username)"),
  username: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description("Send HTTP basic auth with this username and the secret"),
    ),
  ),
  success_status: v.optional(
    v.pipe(
      v.array(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599))),
      v.minLength(1),
      v.description("HTTP statuses that mean success (default: any 2xx)"),
    ),
  ),
  success_body: v.optional(
    v.pipe(
      v.string(),
      v.description('Regular expression the reply body must match too, e.g. "^(OK|good|nochg)"'),
    ),
  ),
  resolver: resolverSetting,
  timeout: duration("30s", "Deadline of each update request"),
});

export type CustomConfig = v.InferOutput<typeof CustomSchema>;

export const definition = defineProvider({
  type: "custom",
  service: "Custom update URL",
  schema: CustomSchema,
  secretsOptional: true,
  ipv6: true,
  owns: "whatever your URL templates set",
  change: "update-url",
  load: async () => {
    const { CustomProvider } = await import("./provider.ts");
    return { create: (id, config, context) => CustomProvider.create(id, config, context) };
  },
});
