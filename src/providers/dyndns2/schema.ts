import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";
import { resolverSetting } from "../update-url.ts";

/**
 * How a service takes both address families:
 * - combined: one `myip=<v4>,<v6>` (No-IP, Strato, Dyn; on Dyn a lone address clears the other family);
 * - myipv6: `myip=<v4>` and `myipv6=<v6>`, "no" leaving a family as it is (Dynu);
 * - separate: one request per family, the address in `myip` (OVH, DNS-O-Matic, ChangeIP).
 */
export const DUAL_STACK_MODES = ["combined", "myipv6", "separate"] as const;
export type DualStackMode = (typeof DUAL_STACK_MODES)[number];

export interface Dyndns2Preset {
  label: string;
  server: string;
  dualStack: DualStackMode;
  /** Fixed query parameters the service wants. */
  params: Record<string, string>;
  /** Where the user gets the update credentials, for messages. */
  credentials: string;
}

/** Services that speak dyndns2, with their documented update URL (sources at the top of test/emulators/dyndns2.ts). */
export const DYNDNS2_PRESETS = {
  noip: {
    label: "No-IP",
    server: "https://dynupdate.no-ip.com/nic/update",
    dualStack: "combined",
    params: {},
    credentials:
      "create a DDNS key for the hostname at https://my.noip.com/dynamic-dns and use its username and password",
  },
  dynu: {
    label: "Dynu",
    server: "https://api.dynu.com/nic/update",
    dualStack: "myipv6",
    params: {},
    credentials:
      "use your Dynu username and your IP update password (Control Panel, My Account, Username/Password)",
  },
  dnsomatic: {
    label: "DNS-O-Matic",
    server: "https://updates.dnsomatic.com/nic/update",
    dualStack: "separate",
    params: {},
    credentials: "use your DNS-O-Matic (OpenDNS) account email and password",
  },
  ovh: {
    label: "OVH DynHost",
    server: "https://www.ovh.com/nic/update",
    dualStack: "separate",
    params: { system: "dyndns" },
    credentials:
      "create a DynHost login in the OVH manager (Domains, your domain, DynHost, Manage access) and use it with its password",
  },
  changeip: {
    label: "ChangeIP",
    server: "https://nic.changeip.com/nic/update",
    dualStack: "separate",
    params: {},
    credentials: "use your ChangeIP username and password",
  },
  strato: {
    label: "Strato",
    server: "https://dyndns.strato.com/nic/update",
    dualStack: "combined",
    params: {},
    credentials:
      "activate DynDNS for the subdomain in the Strato customer area and use the domain as username with its DynDNS password",
  },
  dyn: {
    label: "Dyn",
    server: "https://members.dyndns.org/nic/update",
    dualStack: "combined",
    params: {},
    credentials: "use your Dyn username and an updater client key (Account, Updater Client Key)",
  },
} as const satisfies Record<string, Dyndns2Preset>;

export type Dyndns2PresetName = keyof typeof DYNDNS2_PRESETS;

export const Dyndns2Schema = v.strictObject({
  type: v.literal("dyndns2"),
  preset: v.optional(
    v.pipe(
      v.picklist(Object.keys(DYNDNS2_PRESETS) as Dyndns2PresetName[]),
      v.description("A known service: its update URL and how it takes IPv4 plus IPv6 (set preset or server)"),
    ),
  ),
  server: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL like https://example.net/nic/update"),
      v.description("Update URL (default: the preset's), e.g. https://dyndns.example.net/nic/update"),
    ),
  ),
  username: v.pipe(v.string(), v.minLength(1), v.description("Update username (sent with HTTP basic auth)")),
  ...secretKeys("password", "update password"),
  dual_stack: v.optional(
    v.pipe(
      v.picklist(DUAL_STACK_MODES),
      v.description(
        'How IPv4 and IPv6 travel (default: the preset\'s, else "combined"): "combined" myip=v4,v6; "myipv6" a separate myipv6 parameter; "separate" one request per family',
      ),
    ),
  ),
  resolver: resolverSetting,
  timeout: duration("30s", "Deadline of each update request"),
});

export type Dyndns2Config = v.InferOutput<typeof Dyndns2Schema>;

export const definition = defineProvider({
  type: "dyndns2",
  service: "dyndns2 (any server)",
  schema: Dyndns2Schema,
  ipv6: true,
  change: "update-url",
  services: [
    { service: "dyndns2 (any server)", ipv6: true, change: "update-url" },
    ...Object.entries(DYNDNS2_PRESETS).map(([preset, entry]) => ({
      service: entry.label,
      preset,
      ipv6: "ipv6" in entry ? (entry as { ipv6: boolean }).ipv6 : true,
      change: "update-url" as const,
    })),
  ],
  load: async () => {
    const { Dyndns2Provider } = await import("./provider.ts");
    return { create: (id, config, context) => Dyndns2Provider.create(id, config, context) };
  },
});
