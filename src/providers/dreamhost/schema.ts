import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";

export const DreamHostSchema = v.strictObject({
  type: v.literal("dreamhost"),
  ...secretKeys("api_key", "DreamHost API key"),
  endpoint: v.optional(v.pipe(v.string(), v.description("API endpoint")), "https://api.dreamhost.com/"),
  account: v.optional(
    v.pipe(v.string(), v.description("DreamHost account number, for keys that see several accounts")),
  ),
  comment: v.optional(
    v.pipe(v.string(), v.maxLength(100), v.description("Comment stored on records homing adds")),
    "homing",
  ),
  timeout: duration("30s", "Deadline of each API call"),
});

export type DreamHostConfig = v.InferOutput<typeof DreamHostSchema>;

export const definition = defineProvider({
  type: "dreamhost",
  service: "DreamHost",
  schema: DreamHostSchema,
  credentials:
    'create an API key at https://panel.dreamhost.com/?tree=home.api with the "All dns functions" (dns-*) permissions',
  ipv6: true,
  owns: "every editable A and AAAA row at the name",
  change: "add-remove",
  load: async () => {
    const { DreamHostProvider } = await import("./provider.ts");
    return { create: (id, config, context) => DreamHostProvider.create(id, config, context) };
  },
});
