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
 *
 * The request log keeps every request with credentials replaced by "***".
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { parseAddress } from "../../src/core/ip.ts";

export type DualStack = "combined" | "myipv6" | "separate";

export interface Dyndns2Behaviour {
  /** How the server reads address parameters (see the header comment). */
  dualStack: DualStack;
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
  },
  ovh: {
    dualStack: "separate",
    singleFamilyClears: false,
    abuseAfterNochg: undefined,
    requiredParams: { system: "dyndns" },
    replyAddresses: true,
  },
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
  /** "http://127.0.0.1:PORT/nic/update" */
  url: string;
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
  const preset = DYNDNS2_BEHAVIOURS[config.behaviour?.preset ?? "noip"] as Dyndns2Behaviour;
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

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://emulator");
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
      response.writeHead(status, { "content-type": "text/plain", ...headers });
      response.end(body);
    };

    if (url.pathname !== "/nic/update") return send(404, "not found");
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
    const account = config.accounts.find((a) => a.username === username && a.password === password);
    if (!account) return send(200, "badauth");
    for (const [name, value] of Object.entries(behaviour.requiredParams)) {
      if (url.searchParams.get(name) !== value) return send(200, "badsys");
    }
    if (hostnames.length === 0) return send(200, "notfqdn");
    if (hostnames.length > 20) return send(200, "numhost");

    const remote = (request.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
    const wanted = readAddresses(url.searchParams, behaviour.dualStack, remote);
    if (!wanted) return send(200, "notfqdn");
    const lines = hostnames.map((host) => {
      if (!host.includes(".")) return "notfqdn";
      if (!account.hosts.includes(host)) {
        return config.accounts.some((other) => other.hosts.includes(host)) ? "!yours" : "nohost";
      }
      if (blocked.has(host)) return "abuse";
      const before = records.get(host) ?? {};
      const after: HostRecord = { ...before };
      if (behaviour.singleFamilyClears && (wanted.ipv4 === undefined) !== (wanted.ipv6 === undefined)) {
        if (wanted.ipv4 === undefined) delete after.ipv4;
        if (wanted.ipv6 === undefined) delete after.ipv6;
      }
      if (wanted.ipv4 !== undefined) after.ipv4 = wanted.ipv4;
      if (wanted.ipv6 !== undefined) after.ipv6 = wanted.ipv6;
      const shown = [wanted.ipv4, wanted.ipv6].filter((a) => a !== undefined).join(",");
      const tail = behaviour.replyAddresses && shown ? ` ${shown}` : "";
      if (after.ipv4 === before.ipv4 && after.ipv6 === before.ipv6) {
        const count = (nochgInARow.get(host) ?? 0) + 1;
        nochgInARow.set(host, count);
        if (behaviour.abuseAfterNochg !== undefined && count > behaviour.abuseAfterNochg) {
          blocked.add(host);
          return "abuse";
        }
        return `nochg${tail}`;
      }
      nochgInARow.set(host, 0);
      records.set(host, after);
      return `good${tail}`;
    });
    if (behaviour.singleAnswer && lines.length > 1) {
      const refusal = lines.find((line) => !/^(good|nochg)/.test(line));
      return send(200, `${refusal ?? lines[0]}\n`);
    }
    return send(200, `${lines.join("\n")}\n`);
  };

  const server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/nic/update`,
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

/** The addresses a request sets, per the service's dual-stack rules; undefined when one is invalid. */
function readAddresses(
  params: URLSearchParams,
  mode: DualStack,
  remote: string,
): { ipv4?: string; ipv6?: string } | undefined {
  const out: { ipv4?: string; ipv6?: string } = {};
  const place = (text: string): boolean => {
    const parsed = parseAddress(text.trim());
    if (!parsed) return false;
    if (parsed.family === "ipv4") out.ipv4 = parsed.canonical;
    else out.ipv6 = parsed.canonical;
    return true;
  };
  const myip = params.get("myip");
  if (mode === "myipv6") {
    if (myip === null || myip === "") place(remote);
    else if (myip !== "no" && !place(myip)) return undefined;
    const myipv6 = params.get("myipv6");
    if (myipv6 !== null && myipv6 !== "" && myipv6 !== "no" && !place(myipv6)) return undefined;
    return out;
  }
  if (myip === null || myip === "") {
    place(remote);
    return out;
  }
  const parts = myip.split(",");
  if (mode === "separate" && parts.length > 1) return undefined;
  for (const part of parts) if (!place(part)) return undefined;
  return out;
}
