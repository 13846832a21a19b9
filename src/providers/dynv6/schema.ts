import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

// dynv6's API takes no TTL (none of the clients in the reference sends one), so no `ttl` key.
const { ttl: _ttl, ...entries } = restEntries({ endpoint: "https://dynv6.com/api/v2/" });

export const Dynv6Schema = v.strictObject({
  type: v.literal("dynv6"),
  ...secretKeys("token", "dynv6 HTTP token (Keys → HTTP Tokens), sent as a Bearer token"),
  ...entries,
});

export const definition = defineProvider({
  type: "dynv6",
  service: "dynv6",
  schema: Dynv6Schema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
