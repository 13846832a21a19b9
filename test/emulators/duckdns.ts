/**
 * A local emulator of DuckDNS's update call, built from its HTTP API specification
 * (https://www.duckdns.org/spec.jsp):
 * - GET /update?domains={a,b}&token={token}[&ip=][&ipv6=][&verbose=true][&clear=true];
 * - `domains`: comma-separated subnames ("home", not "home.duckdns.org"; the suffix is tolerated);
 * - `ip`: an IPv4 or IPv6 address; left out (and no `ipv6`), the IPv4 of the connection is used;
 * - `ipv6`: an IPv6 address; when given, `ip` is not auto-detected;
 * - answers "OK" or "KO" (bad token, a domain not in the account, a bad address); with
 *   verbose=true: "OK\n<ipv4>\n<ipv6>\nUPDATED|NOCHANGE";
 * - `clear=true` empties both records.
 * Every name below a subdomain resolves like the subdomain (DuckDNS answers wildcards), which
 * `lookup` reproduces for the DNS responder. No rate limit is documented; faults inject HTTP
 * statuses (429 from something in front of it, 5xx), resets, hangs and garbage. The request log
 * replaces the token with "***".
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { parseAddress } from "../../src/core/ip.ts";

export interface DuckRecord {
  ipv4?: string;
  ipv6?: string;
}

export type DuckDnsFault =
  | { times?: number; kind: "http"; status: number; body?: string; headers?: Record<string, string> }
  | { times?: number; kind: "reset" }
  | { times?: number; kind: "hang" }
  | { times?: number; kind: "garbage" };

export interface DuckDnsRequestLogEntry {
  method: string;
  path: string;
  /** Query parameters with `token` replaced by "***". */
  params: Record<string, string>;
  userAgent: string | undefined;
  reply: string;
  at: number;
}

export interface DuckDnsEmulatorConfig {
  /** token → the subdomains of that account. */
  accounts: Record<string, string[]>;
  records?: Record<string, DuckRecord>;
  faults?: DuckDnsFault[];
}

export interface DuckDnsEmulator {
  /** "http://127.0.0.1:PORT/update" */
  url: string;
  requests: DuckDnsRequestLogEntry[];
  records(): Record<string, DuckRecord>;
  lookup(name: string, type: "A" | "AAAA"): string[] | undefined;
  addFault(fault: DuckDnsFault): void;
  close(): Promise<void>;
}

const SUFFIX = ".duckdns.org";

export async function startDuckDnsEmulator(config: DuckDnsEmulatorConfig): Promise<DuckDnsEmulator> {
  const records = new Map<string, DuckRecord>(Object.entries(config.records ?? {}));
  for (const subs of Object.values(config.accounts))
    for (const sub of subs) if (!records.has(sub)) records.set(sub, {});
  const faults: DuckDnsFault[] = [...(config.faults ?? [])];
  const requests: DuckDnsRequestLogEntry[] = [];
  const sockets = new Set<Socket>();

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://emulator");
    const params: Record<string, string> = {};
    for (const [name, value] of url.searchParams) params[name] = name === "token" ? "***" : value;
    const entry: DuckDnsRequestLogEntry = {
      method: request.method ?? "",
      path: url.pathname,
      params,
      userAgent: request.headers["user-agent"],
      reply: "",
      at: Date.now(),
    };
    requests.push(entry);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.reply = body;
      response.writeHead(status, { "content-type": "text/plain;charset=UTF-8", ...headers });
      response.end(body);
    };
    if (url.pathname !== "/update") return send(404, "");
    const fault = faults[0];
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.shift();
      if (fault.kind === "reset") {
        entry.reply = "reset";
        request.socket.destroy();
        return;
      }
      if (fault.kind === "hang") {
        entry.reply = "hang";
        return;
      }
      if (fault.kind === "garbage") return send(200, "<html>502 Bad Gateway</html>");
      return send(fault.status, fault.body ?? "", fault.headers);
    }
    const token = url.searchParams.get("token") ?? "";
    const subs = config.accounts[token];
    const domains = (url.searchParams.get("domains") ?? "")
      .split(",")
      .map((d) => d.trim().toLowerCase().replace(SUFFIX, ""))
      .filter((d) => d !== "");
    if (!subs || domains.length === 0 || domains.some((d) => !subs.includes(d))) return send(200, "KO");
    const wanted: DuckRecord = {};
    const ip = url.searchParams.get("ip") ?? "";
    const ipv6 = url.searchParams.get("ipv6") ?? "";
    if (ip !== "") {
      const parsed = parseAddress(ip);
      if (!parsed) return send(200, "KO");
      wanted[parsed.family] = parsed.canonical;
    } else if (ipv6 === "") {
      const remote = (request.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
      if (parseAddress(remote)?.family === "ipv4") wanted.ipv4 = remote;
    }
    if (ipv6 !== "") {
      const parsed = parseAddress(ipv6);
      if (parsed?.family !== "ipv6") return send(200, "KO");
      wanted.ipv6 = parsed.canonical;
    }
    const clear = url.searchParams.get("clear") === "true";
    let changed = false;
    for (const domain of domains) {
      const before = records.get(domain) ?? {};
      const after: DuckRecord = clear ? {} : { ...before, ...wanted };
      if (after.ipv4 !== before.ipv4 || after.ipv6 !== before.ipv6) changed = true;
      records.set(domain, after);
    }
    if (url.searchParams.get("verbose") !== "true") return send(200, "OK");
    const first = records.get(domains[0] as string) ?? {};
    return send(200, `OK\n${first.ipv4 ?? ""}\n${first.ipv6 ?? ""}\n${changed ? "UPDATED" : "NOCHANGE"}`);
  };

  const server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/update`,
    requests,
    records: () => Object.fromEntries([...records].map(([sub, record]) => [sub, { ...record }])),
    lookup(name, type) {
      const lower = name.toLowerCase();
      if (!lower.endsWith(SUFFIX)) return undefined;
      const labels = lower.slice(0, -SUFFIX.length).split(".");
      const record = records.get(labels[labels.length - 1] as string);
      if (!record) return undefined;
      const value = type === "A" ? record.ipv4 : record.ipv6;
      return value ? [value] : [];
    },
    addFault(fault) {
      faults.push(fault);
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
