import * as v from "valibot";
import { duration, secretKeys } from "../../config/schema-parts.ts";
import { defineProvider } from "../kit/define.ts";
import { resolverSetting } from "../update-url.ts";

/**
 * How a service takes both address families:
 * - combined: one `myip=<v4>,<v6>` (No-IP, Strato, Dyn; on Dyn a lone address clears the other family);
 * - myipv6: `myip=<v4>` and `myipv6=<v6>`; the family that does not change is sent as the preset's
 *   `unchangedFamily` ("no" at Dynu, "preserve" at deSEC, its current address at INWX);
 * - separate: one request per family, the address in `myip` (OVH, DNS-O-Matic, ChangeIP, HE…).
 */
export const DUAL_STACK_MODES = ["combined", "myipv6", "separate"] as const;
export type DualStackMode = (typeof DUAL_STACK_MODES)[number];

/** A dyndns2 return code the client understands (see client.ts). */
export type Dyndns2Code =
  | "good"
  | "nochg"
  | "badauth"
  | "badagent"
  | "!donator"
  | "notfqdn"
  | "nohost"
  | "!yours"
  | "numhost"
  | "abuse"
  | "badsys"
  | "dnserr"
  | "interval"
  | "911";

export interface Dyndns2Preset {
  label: string;
  server: string;
  /** The update URL for IPv6-only requests, where the service splits them by host (nsupdate.info). */
  serverIpv6?: string;
  dualStack: DualStackMode;
  /** Whether the service takes IPv6 addresses (AAAA records). */
  ipv6: boolean;
  /** Fixed query parameters the service wants. */
  params: Record<string, string>;
  /** Where the user gets the update credentials, for messages. */
  credentials: string;
  /**
   * The login is the hostname being updated (Hurricane Electric, nsupdate.info, deSEC): without a
   * `username` in the config, each hostname goes in its own request with itself as the username.
   */
  loginIsHostname?: boolean;
  /** The username when the config gives none (dynv6 ignores it: "none"). */
  username?: string;
  /** myipv6 mode: what the family that does not change is sent as (default "no"); "repeat": its address. */
  unchangedFamily?: "no" | "preserve" | "repeat";
  /** How an empty HTTP 204 reads: Domeneshop's success, selfHOST's "no change". Unset: not an answer. */
  noContent?: "updated" | "unchanged";
  /** HTTP statuses that mean a return code when the body holds none (deSEC, Domeneshop: 404 = nohost). */
  statuses?: Record<number, Dyndns2Code>;
  /**
   * Reply lines in a service's own words: [case-insensitive regular expression, the dyndns2 code it
   * means] (Infomaniak `successfully_changed`, Zoneedit's XML-ish lines, EasyDNS `NOERROR`).
   */
  replies?: ReadonlyArray<readonly [string, Dyndns2Code]>;
}

/*
 * Services that speak dyndns2, with their documented update URL. Sources: the dyndns2 family table
 * and per-service notes (ddclient examples and protocol table, inadyn plugins, ddns-updater
 * providers; the service's own docs where they are named) summarised at the top of
 * test/emulators/dyndns2.ts. `dualStack: "separate"` where no source says how the service takes both
 * families: one address per request is what every dyndns2 server understands. `ipv6: false` where a
 * source says (or strongly suggests) the service has IPv4 updates only.
 *
 * Left out: HE tunnelbroker (its "hostname" is a tunnel id and the update moves the tunnel's IPv4
 * endpoint: no DNS name homing could look up or publish), Google Domains (closed in 2023),
 * Key-Systems/DomainDiscount24 and regfish (password or token in the URL, not dyndns2),
 * PowerDNS-Admin (self-hosted: use `server`).
 */
export const DYNDNS2_PRESETS = {
  noip: {
    label: "No-IP",
    server: "https://dynupdate.no-ip.com/nic/update",
    dualStack: "combined",
    ipv6: true,
    params: {},
    credentials:
      "create a DDNS key for the hostname at https://my.noip.com/dynamic-dns and use its username and password",
  },
  dynu: {
    label: "Dynu",
    server: "https://api.dynu.com/nic/update",
    dualStack: "myipv6",
    ipv6: true,
    params: {},
    credentials:
      "use your Dynu username and your IP update password (Control Panel, My Account, Username/Password)",
  },
  dnsomatic: {
    label: "DNS-O-Matic",
    server: "https://updates.dnsomatic.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your DNS-O-Matic (OpenDNS) account email and password",
  },
  ovh: {
    label: "OVH DynHost",
    server: "https://www.ovh.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: { system: "dyndns" },
    credentials:
      "create a DynHost login in the OVH manager (Domains, your domain, DynHost, Manage access) and use it with its password",
  },
  changeip: {
    label: "ChangeIP",
    server: "https://nic.changeip.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your ChangeIP username and password",
  },
  strato: {
    label: "Strato",
    server: "https://dyndns.strato.com/nic/update",
    dualStack: "combined",
    ipv6: true,
    params: {},
    credentials:
      "activate DynDNS for the subdomain in the Strato customer area and use the domain as username with its DynDNS password",
  },
  dyn: {
    label: "Dyn",
    server: "https://members.dyndns.org/nic/update",
    dualStack: "combined",
    ipv6: true,
    params: {},
    credentials: "use your Dyn username and an updater client key (Account, Updater Client Key)",
  },
  opendns: {
    // OpenDNS registers a network's IPv4 address; it has nothing to do with AAAA.
    label: "OpenDNS",
    server: "https://updates.opendns.com/nic/update",
    dualStack: "separate",
    ipv6: false,
    params: {},
    credentials: "use your OpenDNS account email and password; the hostname is the network's label",
  },
  he: {
    // IPv4 and IPv6 in separate calls (ddclient); Basic auth with the FQDN as username (§22).
    label: "Hurricane Electric",
    server: "https://dyn.dns.he.net/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    loginIsHostname: true,
    credentials:
      'at dns.he.net edit the A/AAAA record, tick "Enable entry for dynamic dns", generate a DDNS key and use it as the password (the username is the hostname itself; give the records of one provider the same key)',
  },
  selfhost: {
    // Status-code driven (ddns-updater): 204 = no change, 409 = zone not found, 401 = auth.
    label: "selfHOST",
    server: "https://carol.selfhost.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    noContent: "unchanged",
    statuses: { 409: "nohost" },
    credentials: "use the DynDNS account's username and password from the selfHOST customer area",
  },
  desec: {
    // Sources differ on the path: "/" (ddns-updater, inadyn) or "/nic/update" (ddclient); deSEC
    // serves both, and "/nic/update" keeps the dyndns2 path every other preset uses. deSEC documents
    // myipv4/myipv6 with "preserve" for a family to keep (an empty or missing value deletes the
    // record), and myip as an alias of myipv4. Username: the name (ddns-updater sends the FQDN).
    label: "deSEC",
    server: "https://update.dedyn.io/nic/update",
    dualStack: "myipv6",
    unchangedFamily: "preserve",
    ipv6: true,
    params: {},
    loginIsHostname: true,
    statuses: { 404: "nohost" },
    credentials:
      "use a deSEC token (the dynDNS password shown at signup, or one from https://desec.io/tokens) as the password; the username is the domain name (default: each hostname)",
  },
  dynv6: {
    // ddclient: protocol dyndns2, server dynv6.com, login "none", password = the HTTP token.
    label: "dynv6",
    server: "https://dynv6.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    username: "none",
    credentials:
      "use the zone's HTTP token (dynv6, Keys, HTTP Tokens) as the password; the username is not used",
  },
  inwx: {
    // myip and myipv6; an omitted or empty myip sets 127.0.0.1 and an omitted myipv6 deletes the
    // AAAA (ddclient, INWX behaviour 2024): always send both families' current addresses.
    label: "INWX",
    server: "https://dyndns.inwx.com/nic/update",
    dualStack: "myipv6",
    unchangedFamily: "repeat",
    ipv6: true,
    params: {},
    credentials: "create a DynDNS account at INWX (Nameserver, DynDNS) and use its username and password",
  },
  infomaniak: {
    // Replies successfully_changed / no_change (current) or good / nochg (older); errors with HTTP 400.
    label: "Infomaniak",
    server: "https://infomaniak.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    replies: [
      ["^successfully_changed\\b", "good"],
      ["^no_change\\b", "nochg"],
    ],
    credentials: "create a dynamic DNS user in the Infomaniak Manager (your domain, Dynamic DNS) and use it",
  },
  spdyn: {
    label: "Securepoint spDYN",
    server: "https://update.spdyn.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your spDYN username and password, or the hostname and its update token",
  },
  nsupdate: {
    // inadyn: the IPv4 and the IPv6 update go to ipv4./ipv6.nsupdate.info; login = the FQDN.
    label: "nsupdate.info",
    server: "https://ipv4.nsupdate.info/nic/update",
    serverIpv6: "https://ipv6.nsupdate.info/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    loginIsHostname: true,
    credentials:
      "use the host's update secret from nsupdate.info (your host, show configuration) as the password; the username is the hostname itself",
  },
  loopia: {
    // Sources differ: ddns-updater uses https://dyndns.loopia.se/, inadyn
    // https://dns.loopia.se/XDynDNSServer/XDynDNS.php. The former is what Loopia's support wiki
    // (cited by ddns-updater) names and is the more recent of the two.
    label: "Loopia",
    server: "https://dyndns.loopia.se/",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your Loopia customer zone username and password (or a DynDNS-specific login)",
  },
  joker: {
    label: "Joker.com",
    server: "https://svc.joker.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials:
      "enable Dynamic DNS for the domain in the Joker.com DNS panel and use the credentials it shows",
  },
  allinkl: {
    label: "all-inkl.com",
    server: "https://dyndns.kasserver.com/",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "create a DDNS user in the KAS (Tools, DDNS settings) and use its login and password",
  },
  ddnss: {
    // The dyndns2 path (ddclient); ddns-updater and inadyn use the native upd.php instead.
    label: "DDNSS",
    server: "https://ddnss.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your DDNSS username and password (or update key as the password)",
  },
  luadns: {
    label: "LuaDNS",
    server: "https://app.luadns.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your LuaDNS account email and an API key (Account Settings, API Keys) as the password",
  },
  nicru: {
    label: "NIC.RU",
    server: "https://api.nic.ru/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use the dynamic DNS login and password from the NIC.RU DNS-hosting panel",
  },
  websupport: {
    label: "WebSupport",
    server: "https://dyndns.websupport.sk/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use the DynDNS identifier and secret from the WebSupport administration",
  },
  variomedia: {
    label: "Variomedia",
    server: "https://dyndns.variomedia.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your Variomedia customer login (or the DynDNS username) and its password",
  },
  simply: {
    label: "Simply.com",
    server: "https://ddns.simply.com/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your Simply.com account number and the API key (Account, API) as the password",
  },
  schokokeks: {
    label: "schokokeks.org",
    server: "https://dyndns.schokokeks.org/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials:
      "create a DynDNS account in the schokokeks.org admin (DNS, DynDNS) and use its username and password",
  },
  udmedia: {
    label: "udmedia",
    server: "https://www.udmedia.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use the DynDNS username and password from the udmedia customer area",
  },
  dyndnsit: {
    label: "dyndns.it",
    server: "https://update.dyndns.it/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your dyndns.it username and password",
  },
  dyfi: {
    // dy.fi publishes IPv4 addresses only.
    label: "dy.fi",
    server: "https://www.dy.fi/nic/update",
    dualStack: "separate",
    ipv6: false,
    params: {},
    credentials: "use your dy.fi account email and password",
  },
  dode: {
    label: "do.de",
    server: "https://ddns.do.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use the DDNS username and password of the domain from the do.de customer area",
  },
  domopoli: {
    label: "domopoli",
    server: "https://dyndns.domopoli.de/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your domopoli username and password",
  },
  pubyun: {
    // 3322.org (pubyun): IPv4 updates only.
    label: "3322.org (pubyun)",
    server: "https://members.3322.org/dyndns/update",
    dualStack: "separate",
    ipv6: false,
    params: {},
    credentials: "use your 3322.org (pubyun) username and password",
  },
  oray: {
    // Oray (Peanut Hull): IPv4 updates only.
    label: "Oray",
    server: "https://ddns.oray.com/ph/update",
    dualStack: "separate",
    ipv6: false,
    params: {},
    credentials: "use your Oray (Peanut Hull) account name and password",
  },
  ipv64: {
    // ipv64.net/nic/update takes both families (inadyn also knows ipv4./ipv6. hosts for detection).
    label: "ipv64.net",
    server: "https://ipv64.net/nic/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use any username and your ipv64.net domain update token (dashboard) as the password",
  },
  gigahost: {
    label: "Gigahost",
    server: "https://api.gigahost.no/api/v0/dns/dyndns",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your Gigahost control panel username and password",
  },
  nowdns: {
    label: "Now-DNS",
    server: "https://now-dns.com/update",
    dualStack: "separate",
    ipv6: true,
    params: {},
    credentials: "use your Now-DNS account email and password",
  },
  domeneshop: {
    // The dyndns endpoint of Domeneshop's API: 204 No Content on success, 404 for an unknown
    // hostname; myip may hold both families comma-separated (Domeneshop API docs, via ddns-updater).
    label: "Domeneshop",
    server: "https://api.domeneshop.no/v0/dyndns/update",
    dualStack: "combined",
    ipv6: true,
    params: {},
    noContent: "updated",
    statuses: { 404: "nohost" },
    credentials:
      "create API credentials at https://domene.shop/admin?view=api and use the token as username, the secret as password",
  },
  easydns: {
    // dyn/generic.php answers NOERROR / NOACCESS / NOSERVICE / ILLEGAL INPUT / TOOSOON (ddclient's
    // easydns handler; not checked against the service here), dyndns2 codes are understood too.
    label: "EasyDNS",
    server: "https://api.cp.easydns.com/dyn/generic.php",
    dualStack: "separate",
    ipv6: true,
    params: {},
    replies: [
      ["^NOERROR\\b", "good"],
      ["^NOACCESS\\b", "badauth"],
      ["^NOSERVICE\\b", "nohost"],
      ["^ILLEGAL INPUT\\b", "notfqdn"],
      ["^TOOSOON\\b", "interval"],
    ],
    credentials:
      "use your EasyDNS username and the dynamic DNS token (domain, DynDNS settings) as the password",
  },
  zoneedit: {
    // api.cp.zoneedit.com/dyn/generic.php (ddns-updater) answers XML-ish lines
    // (`<SUCCESS CODE="200" …>`, `success_code="200"`); 201/707 = nothing to update, 702 = less than
    // ten minutes since the last update, 708 = failed login, 701/709 = zone or hostname unknown.
    // Only IPv4 replies are known from the sources: treated as IPv4-only.
    label: "Zoneedit",
    server: "https://api.cp.zoneedit.com/dyn/generic.php",
    dualStack: "separate",
    ipv6: false,
    params: {},
    replies: [
      ['success[ _]code="?200\\b', "good"],
      ['(success|error)[ _]code="?(201|707)\\b', "nochg"],
      ['error[ _]code="?702\\b', "interval"],
      ['error[ _]code="?708\\b', "badauth"],
      ['error[ _]code="?(701|709)\\b', "nohost"],
    ],
    credentials:
      'use your Zoneedit username and the "dynamic authentication token" (Domains, DNS settings) as the password',
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
  endpoint: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL like https://example.net/nic/update"),
      v.description("The same as server: the update URL (every HTTP provider takes endpoint)"),
    ),
  ),
  server_ipv6: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL like https://ipv6.example.net/nic/update"),
      v.description(
        "Update URL for IPv6 addresses, where the service splits them by host (default: the preset's, else server)",
      ),
    ),
  ),
  username: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        "Update username (sent with HTTP basic auth); required unless the preset knows it (he, nsupdate, desec: each hostname; dynv6: none)",
      ),
    ),
  ),
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
    { service: "dyndns2 (any server)", ipv6: true, change: "update-url", setup: ["server", "username"] },
    ...Object.entries(DYNDNS2_PRESETS).map(([preset, entry]: [string, Dyndns2Preset]) => ({
      service: entry.label,
      preset,
      ipv6: entry.ipv6,
      change: "update-url" as const,
      // A preset that knows the login (the hostname, or a fixed one) needs no username.
      setup: entry.loginIsHostname || entry.username !== undefined ? [] : ["username"],
      credentials: entry.credentials,
    })),
  ],
  load: async () => {
    const { Dyndns2Provider } = await import("./provider.ts");
    return { create: (id, config, context) => Dyndns2Provider.create(id, config, context) };
  },
});
