import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const LoopiaSchema = v.strictObject({
  type: v.literal("loopia"),
  username: v.pipe(v.string(), v.minLength(1), v.description("Loopia API user, e.g. homing@loopiaapi")),
  ...secretKeys("password", "Loopia API user's password"),
  // LEGO's minimum TTL is 300 (reference §29b).
  ...restEntries({ endpoint: "https://api.loopia.se/RPCSERV", ttl: { min: 300, max: 86400 } }),
});

export const definition = defineProvider({
  type: "loopia",
  service: "Loopia",
  schema: LoopiaSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
