import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

export const InwxSchema = v.strictObject({
  type: v.literal("inwx"),
  username: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("INWX account user name (the login of the web interface)"),
  ),
  ...secretKeys("password", "INWX account password"),
  // JSON-RPC variant of the DomRobot API (the XML-RPC one is /xmlrpc/); OTE sandbox:
  // https://api.ote.domrobot.com/jsonrpc/. INWX's minimum TTL is 300 (INWX docs, reference §16b).
  ...restEntries({ endpoint: "https://api.domrobot.com/jsonrpc/", ttl: { min: 300, max: 86400 } }),
});

export const definition = defineProvider({
  type: "inwx",
  service: "INWX",
  schema: InwxSchema,
  ipv6: true,
  change: "in-place",
  load: () => import("./provider.ts"),
});
