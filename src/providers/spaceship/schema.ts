import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const SpaceshipSchema = v.strictObject({
  type: v.literal("spaceship"),
  ...secretKeys("api_key", "Spaceship API key"),
  ...secretKeys("api_secret", "Spaceship API secret"),
  // ddns-updater validates 60…3600 (§25); Spaceship's own panel offers the same range.
  ...restEntries({ endpoint: "https://spaceship.dev/api/v1/", ttl: { min: 60, max: 3600 } }),
});

export const definition = defineProvider({
  type: "spaceship",
  service: "Spaceship",
  schema: SpaceshipSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
