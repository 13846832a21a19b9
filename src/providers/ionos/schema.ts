import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const IonosSchema = v.strictObject({
  type: v.literal("ionos"),
  ...secretKeys("api_key", "IONOS API key as <public prefix>.<secret>"),
  ...restEntries({ endpoint: "https://api.hosting.ionos.com/dns/v1/", ttl: { min: 60, max: 86400 } }),
});

export const definition = defineProvider({
  type: "ionos",
  service: "IONOS",
  schema: IonosSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
