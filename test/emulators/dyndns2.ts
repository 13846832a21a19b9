/**
 * A local emulator of the dyndns2 update protocol ("Remote Access API", `GET /nic/update`), with
 * per-service behaviour presets, so the dyndns2 provider is tested against what the services
 * document rather than against itself.
 *
 * Facts it implements, with their sources:
 * - Request: GET /nic/update?hostname=a,b&myip=…, HTTP basic auth, a well-formed User-Agent (Dyn
 *   "Perform Update", https://help.dyn.com/remote-access-api/perform-update/; No-IP
 *   https://www.noip.com/integrate/request). Up to 20 hostnames per request, one return code per
 *   hostname and line in order; account- or system-wide codes are given once (Dyn "Return Codes",
 *   https://help.dyn.com/return-codes/). Without myip the server takes the connection's address.
 * - Codes: good/nochg followed by the address(es); badauth, !donator, notfqdn, nohost, numhost,
 *   abuse, badagent, dnserr, 911 (Dyn return codes; No-IP https://www.noip.com/integrate/response:
 *   911 = "retry the update no sooner than 30 minutes", badagent/nohost/abuse = stop until the user
 *   acts). Repeated nochg updates get a host blocked (Dyn: "repeated instances of nochg updates will
 *   result in the host being blocked"; No-IP: "Excessive nochg responses may result in your client
 *   being blocked") — here: `abuseAfterNochg` no-change updates in a row, then `abuse`.
 * - Dual stack: No-IP takes `myip=<v4>,<v6>` and answers both addresses comma-separated
 *   (https://www.noip.com/integrate/response); on dyn.com a lone address clears the other family
 *   (openwrt/packages#17875), which only `myip=v4,v6` avoids; Strato takes `myip=v4,v6` (community
 *   router configs; no public spec found); Dynu takes `myip` and `myipv6`, "no" leaving a family
 *   unchanged (https://www.dynu.com/DynamicDNS/IP-Update-Protocol and its wget page); OVH DynHost
 *   wants `system=dyndns` (ddclient, OVH guides) and takes one address per request.
 * - badagent for a missing User-Agent (Dyn/No-IP: clients without one "risk being blocked").
 * - The further dyndns2 services (/work reference "DNS provider API reference", §35 and the
 *   per-service sections; it cites ddclient's dyndns2 examples and protocol table, inadyn's plugins
 *   and ddns-updater's providers): their update paths, and per service
 *   - Hurricane Electric: Basic auth with the FQDN as username and a per-record key; IPv4 and IPv6 in
 *     separate calls;
 *   - nsupdate.info: the IPv4 update at ipv4.nsupdate.info, the IPv6 one at ipv6.nsupdate.info (here:
 *     the path prefix /ipv6), login = the FQDN;
 *   - deSEC: paths "/" (ddns-updater, inadyn) and "/nic/update" (ddclient) both served; myipv4 (alias
 *     myip) and myipv6, "preserve" keeps a family, an empty or missing value deletes the record
 *     (modelled for myipv6; a missing IPv4 takes the connection's address); 401 bad auth, 404 unknown
 *     host; no login ("users are identified by the update password alone", ddclient);
 *   - dynv6: login "none", the password (HTTP token) identifies the account;
 *   - INWX: myip and myipv6; an omitted or empty myip sets 127.0.0.1, an omitted myipv6 deletes the
 *     AAAA (ddclient, INWX behaviour June 2024);
 *   - Infomaniak: `successfully_changed <ip>` / `no_change <ip>`, errors with HTTP 400;
 *   - selfHOST: 204 for no change, 401 bad auth, 409 zone not found;
 *   - Domeneshop: 204 No Content on success, 404 unknown hostname, 401 bad auth (HTTP semantics;
 *     its error body is JSON per its docs), myip with both families comma-separated;
 *   - Loopia: "/" (ddns-updater) and /XDynDNSServer/XDynDNS.php (inadyn) both served;
 *   - Zoneedit (api.cp.zoneedit.com/dyn/generic.php): XML-ish lines, `<SUCCESS CODE="200" …>`,
 *     CODE="201" no change, `<ERROR CODE="708" …>` failed login, 709 invalid hostname;
 *   - EasyDNS (dyn/generic.php): NOERROR, NOACCESS, NOSERVICE (ddclient's handler; unverified);
 *   - services with IPv4 updates only (OpenDNS, dy.fi, 3322.org, Oray, Zoneedit) refuse an IPv6
 *     address (400 here: no source says how).
 *   Everything else answers plain dyndns2, one address per request (`separate`).
 *
 * The request log keeps every request with credentials replaced by "***".
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { parseAddress } from "../../src/core/ip.ts";

export type DualStack = "combined" | "myipv6" | "separate";

/** A reply in the service's own words: `{ip}` is replaced by the address(es), `{host}` by the hostname. */
export interface ReplyTemplate {
  status?: number;
  body: string;
}

export interface Dyndns2Behaviour {
  /** How the server reads address parameters (see the header comment). */
  dualStack: DualStack;
  /** The paths it serves updates at (default ["/nic/update"]); the first is the emulator's `url`. */
  paths?: string[];
  /** IPv6 updates go to another host (nsupdate.info), modelled as the path prefix "/ipv6"; each takes only its family. */
  familyHosts?: boolean;
  /** IPv4 updates only: an IPv6 address is refused. */
  ipv4Only?: boolean;
  /** The login is the hostname: one hostname per request, the account's username is that host (HE, nsupdate.info). */
  hostLogin?: boolean;
  /** The username is not checked: the password alone identifies the account (dynv6, deSEC). */
  anyUsername?: boolean;
  /** myipv6 mode: parameters carrying the IPv4 address (default ["myip"]; deSEC also "myipv4"). */
  ipv4Params?: string[];
  /** myipv6 mode: the value that leaves a family as it is (Dynu "no", deSEC "preserve"); undefined: none. */
  keepToken?: string | undefined;
  /** myipv6 mode: a missing IPv4 parameter takes the connection's address, or sets 127.0.0.1 (INWX). */
  missingIpv4?: "remote" | "loopback";
  /** myipv6 mode: a missing myipv6 keeps the AAAA, or deletes it (INWX, deSEC). */
  missingIpv6?: "keep" | "delete";
  /** Replies in the service's words instead of the plain dyndns2 line, per return code. */
  replies?: Partial<Record<string, ReplyTemplate>>;
  /** A request carrying one family clears the other (dyn.com). */
  singleFamilyClears: boolean;
  /** After this many no-change updates in a row a host is blocked (`abuse`); undefined: never. */
  abuseAfterNochg: number | undefined;
  /** Parameters the service insists on, answered with `badsys` when wrong (OVH: system=dyndns). */
  requiredParams: Record<string, string>;
  /** Answer `good <address>` (true) or a bare `good`. */
  replyAddresses: boolean;
  /**
   * One reply line for the whole request, whatever the number of hostnames: the first refusal, or the
   * first success (some servers answer once; the line then names no hostname).
   */
  singleAnswer?: boolean;
}

/** A plain dyndns2 service (one address per request unless said otherwise) at `paths`. */
function plain(paths: string[] = ["/nic/update"], extra: Partial<Dyndns2Behaviour> = {}): Dyndns2Behaviour {
  return {
    dualStack: "separate",
    singleFamilyClears: false,
    abuseAfterNochg: undefined,
    requiredParams: {},
    replyAddresses: true,
    paths,
    ...extra,
  };
}

export const DYNDNS2_BEHAVIOURS: Record<string, Dyndns2Behaviour> = {
  noip: {
    dualStack: "combined",
    singleFamilyClears: false,
    abuseAfterNochg: 3,
    requiredParams: {},
    replyAddresses: true,
  },
  dyn: {
    dualStack: "combined",
    singleFamilyClears: true,
    abuseAfterNochg: 3,
    requiredParams: {},
    replyAddresses: true,
  },
  strato: {
    dualStack: "combined",
    singleFamilyClears: false,
    abuseAfterNochg: undefined,
    requiredParams: {},
    replyAddresses: true,
  },
  dynu: {
    dualStack: "myipv6",
    singleFamilyClears: false,
    abuseAfterNochg: undefined,
    requiredParams: {},
    replyAddresses: true,
    keepToken: "no",
  },
  ovh: {
    dualStack: "separate",
    singleFamilyClears: false,
    abuseAfterNochg: undefined,
    requiredParams: { system: "dyndns" },
    replyAddresses: true,
  },
  dnsomatic: plain(),
  changeip: plain(),
  opendns: plain(["/nic/update"], { ipv4Only: true }),
  he: plain(["/nic/update"], { hostLogin: true }),
  selfhost: plain(["/nic/update"], {
    replies: {
      nochg: { status: 204, body: "" },
      badauth: { status: 401, body: "" },
      nohost: { status: 409, body: "" },
    },
  }),
  desec: plain(["/nic/update", "/"], {
    dualStack: "myipv6",
    anyUsername: true,
    ipv4Params: ["myipv4", "myip"],
    keepToken: "preserve",
    missingIpv6: "delete",
    replies: {
      badauth: { status: 401, body: "Invalid username/password." },
      nohost: { status: 404, body: "Not found." },
    },
  }),
  dynv6: plain(["/nic/update"], { anyUsername: true }),
  inwx: plain(["/nic/update"], {
    dualStack: "myipv6",
    keepToken: undefined,
    missingIpv4: "loopback",
    missingIpv6: "delete",
  }),
  infomaniak: plain(["/nic/update"], {
    replies: {
      good: { body: "successfully_changed {ip}" },
      nochg: { body: "no_change {ip}" },
      badauth: { status: 400, body: "badauth" },
      nohost: { status: 400, body: "nohost" },
    },
  }),
  spdyn: plain(),
  nsupdate: plain(["/nic/update"], { hostLogin: true, familyHosts: true }),
  loopia: plain(["/", "/XDynDNSServer/XDynDNS.php"]),
  joker: plain(),
  allinkl: plain(["/"]),
  ddnss: plain(),
  luadns: plain(),
  nicru: plain(),
  websupport: plain(),
  variomedia: plain(),
  simply: plain(),
  schokokeks: plain(),
  udmedia: plain(),
  dyndnsit: plain(),
  dyfi: plain(["/nic/update"], { ipv4Only: true }),
  dode: plain(),
  domopoli: plain(),
  pubyun: plain(["/dyndns/update"], { ipv4Only: true }),
  oray: plain(["/ph/update"], { ipv4Only: true }),
  ipv64: plain(),
  gigahost: plain(["/api/v0/dns/dyndns"]),
  nowdns: plain(["/update"]),
  domeneshop: plain(["/v0/dyndns/update"], {
    dualStack: "combined",
    replies: {
      good: { status: 204, body: "" },
      nochg: { status: 204, body: "" },
      badauth: { status: 401, body: '{"code":"unauthorized","help":"Check your credentials"}' },
      nohost: { status: 404, body: '{"code":"not_found","help":"No such hostname"}' },
    },
  }),
  easydns: plain(["/dyn/generic.php"], {
    replies: {
      good: { body: "NOERROR" },
      nochg: { body: "NOERROR" },
      badauth: { body: "NOACCESS" },
      nohost: { body: "NOSERVICE" },
    },
  }),
  zoneedit: plain(["/dyn/generic.php"], {
    ipv4Only: true,
    replies: {
      good: { body: '<SUCCESS CODE="200" TEXT="Update succeeded." ZONE="{zone}" IP="{ip}">' },
      nochg: { body: '<SUCCESS CODE="201" TEXT="No records need updating." ZONE="{zone}">' },
      badauth: { body: '<ERROR CODE="708" TEXT="Failed login" ZONE="">' },
      nohost: { body: '<ERROR CODE="709" TEXT="Invalid hostname" ZONE="{zone}">' },
    },
  }),
};

export interface Dyndns2Account {
  username: string;
  password: string;
  hosts: string[];
}

export interface HostRecord {
  ipv4?: string;
  ipv6?: string;
}

export type Dyndns2Fault =
  | { times?: number; kind: "code"; code: string }
  | { times?: number; kind: "http"; status: number; body?: string; headers?: Record<string, string> }
  | { times?: number; kind: "reset" }
  | { times?: number; kind: "hang" }
  | { times?: number; kind: "garbage" };

export interface Dyndns2RequestLogEntry {
  method: string;
  path: string;
  /** Query parameters, with any password-like parameter replaced by "***". */
  params: Record<string, string>;
  /** The basic-auth username, or undefined when no Authorization header came. */
  username: string | undefined;
  /** "***" when an Authorization header came (its value is never kept). */
  authorization: string | undefined;
  userAgent: string | undefined;
  hostnames: string[];
  /** The reply body, or the fault kind. */
  reply: string;
  at: number;
}

export interface Dyndns2EmulatorConfig {
  behaviour?: Partial<Dyndns2Behaviour> & { preset?: string };
  accounts: Dyndns2Account[];
  records?: Record<string, HostRecord>;
  faults?: Dyndns2Fault[];
}

export interface Dyndns2Emulator {
  /** "http://127.0.0.1:PORT/nic/update" (the behaviour's first path) */
  url: string;
  /** "http://127.0.0.1:PORT" */
  origin: string;
  /** Where IPv6 updates go for a service with family hosts ("http://127.0.0.1:PORT/ipv6/nic/update"); else url. */
  urlIpv6: string;
  requests: Dyndns2RequestLogEntry[];
  /** Updates only (requests that reached the address logic or a fault). */
  records(): Record<string, HostRecord>;
  setRecord(host: string, record: HostRecord): void;
  /** For the DNS responder: a host's addresses of one type; undefined for unknown hosts. */
  lookup(name: string, type: "A" | "AAAA"): string[] | undefined;
  addFault(fault: Dyndns2Fault): void;
  /** Lifts an abuse block (what the user does in the service's web panel). */
  unblock(host: string): void;
  close(): Promise<void>;
}

const PASSWORD_PARAMS = new Set(["password", "pass", "p", "pwd", "token"]);

export async function startDyndns2Emulator(config: Dyndns2EmulatorConfig): Promise<Dyndns2Emulator> {
  const presetName = config.behaviour?.preset ?? "noip";
  const preset = DYNDNS2_BEHAVIOURS[presetName];
  if (!preset) throw new Error(`dyndns2 emulator: no behaviour for preset "${presetName}"`);
  const behaviour: Dyndns2Behaviour = { ...preset, ...config.behaviour };
  const records = new Map<string, HostRecord>(Object.entries(config.records ?? {}));
  for (const account of config.accounts) {
    for (const host of account.hosts) if (!records.has(host)) records.set(host, {});
  }
  const nochgInARow = new Map<string, number>();
  const blocked = new Set<string>();
  const faults: Dyndns2Fault[] = [...(config.faults ?? [])];
  const requests: Dyndns2RequestLogEntry[] = [];
  const sockets = new Set<Socket>();

  const takeFault = (): Dyndns2Fault | undefined => {
    const fault = faults[0];
    if (!fault) return undefined;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) faults.shift();
    else fault.times = left;
    return fault;
  };

  const paths = behaviour.paths ?? ["/nic/update"];
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://emulator");
    const atIpv6Host = behaviour.familyHosts === true && url.pathname.startsWith("/ipv6/");
    const path = atIpv6Host ? url.pathname.slice("/ipv6".length) : url.pathname;
    const params: Record<string, string> = {};
    for (const [name, value] of url.searchParams) params[name] = PASSWORD_PARAMS.has(name) ? "***" : value;
    const auth = request.headers.authorization;
    let username: string | undefined;
    let password: string | undefined;
    if (auth?.startsWith("Basic ")) {
      const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      username = colon >= 0 ? decoded.slice(0, colon) : decoded;
      password = colon >= 0 ? decoded.slice(colon + 1) : "";
    }
    const hostnames = (url.searchParams.get("hostname") ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== "");
    const entry: Dyndns2RequestLogEntry = {
      method: request.method ?? "",
      path: url.pathname,
      params,
      username,
      authorization: auth === undefined ? undefined : "***",
      userAgent: request.headers["user-agent"],
      hostnames,
      reply: "",
      at: Date.now(),
    };
    requests.push(entry);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.reply = body;
      response.writeHead(status, status === 204 ? headers : { "content-type": "text/plain", ...headers });
      response.end(status === 204 ? undefined : body);
    };
    /** One return code in the service's words. */
    const render = (code: string, host = "", shown = ""): { status: number; body: string } => {
      const template = behaviour.replies?.[code];
      if (!template)
        return { status: 200, body: behaviour.replyAddresses && shown ? `${code} ${shown}` : code };
      const zone = host.split(".").slice(-2).join(".");
      const body = template.body
        .replaceAll("{ip}", shown)
        .replaceAll("{host}", host)
        .replaceAll("{zone}", zone);
      return { status: template.status ?? 200, body };
    };
    const answer = (code: string) => {
      const { status, body } = render(code);
      return send(status, body);
    };

    if (!paths.includes(path)) return send(404, "not found");
    const fault = takeFault();
    if (fault) {
      if (fault.kind === "reset") {
        entry.reply = "reset";
        request.socket.destroy();
        return;
      }
      if (fault.kind === "hang") {
        entry.reply = "hang";
        return;
      }
      if (fault.kind === "garbage") return send(200, "<html><body>Service Unavailable</body></html>");
      if (fault.kind === "http") return send(fault.status, fault.body ?? "", fault.headers);
      return send(200, fault.code);
    }
    const agent = request.headers["user-agent"];
    if (!agent || agent.trim() === "") return send(200, "badagent");
    if (username === undefined) {
      return send(401, "badauth", { "www-authenticate": 'Basic realm="dyndns"' });
    }
    const account = config.accounts.find(
      (a) => (behaviour.anyUsername || a.username === username) && a.password === password,
    );
    if (!account) return answer("badauth");
    for (const [name, value] of Object.entries(behaviour.requiredParams)) {
      if (url.searchParams.get(name) !== value) return answer("badsys");
    }
    if (hostnames.length === 0) return answer("notfqdn");
    if (hostnames.length > 20) return answer("numhost");
    if (behaviour.hostLogin && (hostnames.length > 1 || hostnames[0] !== username)) return answer("badauth");

    const remote = (request.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
    const wanted = readAddresses(url.searchParams, behaviour, remote);
    if (!wanted) return answer("notfqdn");
    const families = [wanted.ipv4, wanted.ipv6].filter((a) => typeof a === "string");
    if (behaviour.ipv4Only && typeof wanted.ipv6 === "string") return send(400, "badrequest");
    if (behaviour.familyHosts && families.length > 0) {
      // Each host takes only its own family.
      if (atIpv6Host ? typeof wanted.ipv4 === "string" : typeof wanted.ipv6 === "string") {
        return send(400, "badrequest");
      }
    }
    const lines = hostnames.map((host): { code: string; host: string; shown?: string } => {
      if (!host.includes(".")) return { code: "notfqdn", host };
      if (!account.hosts.includes(host)) {
        return {
          code: config.accounts.some((other) => other.hosts.includes(host)) ? "!yours" : "nohost",
          host,
        };
      }
      if (blocked.has(host)) return { code: "abuse", host };
      const before = records.get(host) ?? {};
      const after: HostRecord = { ...before };
      if (behaviour.singleFamilyClears && (wanted.ipv4 === undefined) !== (wanted.ipv6 === undefined)) {
        if (wanted.ipv4 === undefined) delete after.ipv4;
        if (wanted.ipv6 === undefined) delete after.ipv6;
      }
      if (wanted.ipv4 === null) delete after.ipv4;
      else if (wanted.ipv4 !== undefined) after.ipv4 = wanted.ipv4;
      if (wanted.ipv6 === null) delete after.ipv6;
      else if (wanted.ipv6 !== undefined) after.ipv6 = wanted.ipv6;
      const shown = families.join(",");
      if (after.ipv4 === before.ipv4 && after.ipv6 === before.ipv6) {
        const count = (nochgInARow.get(host) ?? 0) + 1;
        nochgInARow.set(host, count);
        if (behaviour.abuseAfterNochg !== undefined && count > behaviour.abuseAfterNochg) {
          blocked.add(host);
          return { code: "abuse", host };
        }
        return { code: "nochg", host, shown };
      }
      nochgInARow.set(host, 0);
      records.set(host, after);
      return { code: "good", host, shown };
    });
    const rendered = lines.map((line) => render(line.code, line.host, line.shown));
    const refusal = lines.findIndex((line) => line.code !== "good" && line.code !== "nochg");
    const odd = rendered.find((reply) => reply.status !== 200);
    if (odd) {
      // A service that answers with HTTP statuses answers once: the first refusal, else the first line.
      return send(rendered[refusal]?.status ?? odd.status, rendered[refusal]?.body ?? odd.body);
    }
    if (behaviour.singleAnswer && lines.length > 1) {
      return send(200, `${(rendered[refusal] ?? rendered[0])?.body}\n`);
    }
    return send(200, `${rendered.map((reply) => reply.body).join("\n")}\n`);
  };

  const server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}${paths[0]}`,
    origin,
    urlIpv6: behaviour.familyHosts ? `${origin}/ipv6${paths[0]}` : `${origin}${paths[0]}`,
    requests,
    records: () => Object.fromEntries([...records].map(([host, record]) => [host, { ...record }])),
    setRecord(host, record) {
      records.set(host, { ...record });
    },
    lookup(name, type) {
      const record = records.get(name.toLowerCase());
      if (!record) return undefined;
      const value = type === "A" ? record.ipv4 : record.ipv6;
      return value ? [value] : [];
    },
    addFault(fault) {
      faults.push(fault);
    },
    unblock(host) {
      blocked.delete(host);
      nochgInARow.delete(host);
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/**
 * The addresses a request sets, per the service's dual-stack rules: a string sets the family, null
 * deletes its record, undefined leaves it; undefined overall when one is invalid.
 */
function readAddresses(
  params: URLSearchParams,
  behaviour: Dyndns2Behaviour,
  remote: string,
): { ipv4?: string | null; ipv6?: string | null } | undefined {
  const out: { ipv4?: string | null; ipv6?: string | null } = {};
  const place = (text: string): boolean => {
    const parsed = parseAddress(text.trim());
    if (!parsed) return false;
    if (parsed.family === "ipv4") out.ipv4 = parsed.canonical;
    else out.ipv6 = parsed.canonical;
    return true;
  };
  const myip = params.get("myip");
  if (behaviour.dualStack === "myipv6") {
    const keep = behaviour.keepToken;
    const v4name = (behaviour.ipv4Params ?? ["myip"]).find((name) => params.get(name) !== null);
    const v4 = v4name === undefined ? null : params.get(v4name);
    if (v4 === null) {
      if (behaviour.missingIpv4 === "loopback") out.ipv4 = "127.0.0.1";
      else place(remote);
    } else if (v4 === "") {
      if (behaviour.missingIpv6 === "delete")
        out.ipv4 = behaviour.missingIpv4 === "loopback" ? "127.0.0.1" : null;
      else place(remote);
    } else if (v4 !== keep && !place(v4)) return undefined;
    const v6 = params.get("myipv6");
    if (v6 === null || v6 === "") {
      if (behaviour.missingIpv6 === "delete") out.ipv6 = null;
    } else if (v6 !== keep && !place(v6)) return undefined;
    return out;
  }
  if (myip === null || myip === "") {
    place(remote);
    return out;
  }
  const parts = myip.split(",");
  if (behaviour.dualStack === "separate" && parts.length > 1) return undefined;
  for (const part of parts) if (!place(part)) return undefined;
  return out;
}
