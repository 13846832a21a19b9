/**
 * The registry of detection source kinds (minimal version on the router-sources branch; the
 * detect-core branch has the full registry, and these entries merge into it): each kind once,
 * with its table schema and a lazy import of its implementation.
 */
import { FRITZBOX_TABLE, NATPMP_TABLE, PCP_TABLE, UPNP_TABLE } from "./router-tables.ts";

export const ROUTER_SOURCE_KINDS = [
  { kind: "upnp", table: UPNP_TABLE, load: () => import("./upnp.ts") },
  { kind: "natpmp", table: NATPMP_TABLE, load: () => import("./natpmp.ts") },
  { kind: "pcp", table: PCP_TABLE, load: () => import("./pcp.ts") },
  { kind: "fritzbox", table: FRITZBOX_TABLE, load: () => import("./fritzbox.ts") },
] as const;
