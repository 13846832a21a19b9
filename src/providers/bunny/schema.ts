import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const BunnySchema = v.strictObject({
  type: v.literal("bunny"),
  ...secretKeys("api_key", "bunny.net account API key"),
  ...restEntries({ endpoint: "https://api.bunny.net/", ttl: { min: 15, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "bunny",
  service: "Bunny DNS",
  schema: BunnySchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
