/**
 * The `interface` kind's config: its table schema and shorthand, light on purpose (valibot and the
 * pure address rule only), since the registry (index.ts) and so the config schema read it on every
 * run; the implementation, interface.ts, is loaded only when a config uses the kind.
 */
import * as v from "valibot";
import { parsePrefer } from "../../core/interface-address.ts";
import type { ShorthandResult } from "./index.ts";

/** Linux interface names: at most 15 characters (IFNAMSIZ - 1), no "/", no space, not starting with "-". */
const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$/;

export const InterfaceSourceSchema = v.strictObject({
  kind: v.literal("interface"),
  interface: v.optional(
    v.pipe(
      v.string(),
      v.regex(INTERFACE_NAME, 'expected a network interface name like "eth0" (see `ip link`)'),
      v.description("The network interface to read (default: every interface)"),
    ),
  ),
  prefer: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => !("error" in parsePrefer(text)),
        "expected a network (2a01:db8:1::/48), an interface identifier (::1234) or an address",
      ),
      v.description(
        'Rank first the address inside this network ("2a01:db8:1::/48"), with this interface identifier ("::1234"), or equal to it; never overrides what is refused',
      ),
    ),
  ),
  name: v.optional(v.pipe(v.string(), v.description("Name used in messages (default: the interface name)"))),
});

export type InterfaceSourceConfig = v.InferOutput<typeof InterfaceSourceSchema>;

/** `"interface"` (every interface) or `"interface:eth0"`; undefined for any other string. */
export function interfaceShorthand(argument: string | undefined): ShorthandResult {
  if (argument === undefined) return { ok: true, table: { kind: "interface" } };
  if (!INTERFACE_NAME.test(argument))
    return { ok: false, error: `"${argument}" is not an interface name (like eth0; see \`ip link\`)` };
  return { ok: true, table: { kind: "interface", interface: argument } };
}
