/**
 * The router bridge: a dyndns2 update endpoint served by the daemon on its own listener (the same
 * hardened listener as the status page, http/listener.ts). A router pushes its address; each
 * client may update only its own hostnames; the update is a daemon round for those records with
 * the pushed address as the detection result (trust = "router") or as one more source
 * (trust = "quorum"). Replies are dyndns2 lines, one per host, in order.
 *
 * Failed logins: at most LOGIN_LIMIT per source address and per client user in LOGIN_WINDOW_MS;
 * beyond that every request from there (or for that user) is answered `abuse` without a password
 * check, until the window has passed. Unknown users are checked against a dummy hash, so they take
 * as long as wrong passwords. Secrets (passwords, the query, the Authorization header) are never
 * logged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/schema.ts";
import type { IpFamily } from "../core/ip.ts";
import { describeBadHostname, normalizeName } from "../core/records.ts";
import { create as fixedSource } from "../detect/sources/fixed.ts";
import type { DetectionSource } from "../detect/sources/source.ts";
import type { PushRound } from "../engine/daemon.ts";
import type { RoundReport } from "../engine/round.ts";
import { errorMessage } from "../errors.ts";
import { closer, hardenedServer, listenOn, MAX_BODY_BYTES, parseListen } from "../http/listener.ts";
import type { Logger } from "../platform/log.ts";
import type { BridgePushStatus } from "../status/snapshot.ts";
import { FailureLimiter } from "./limiter.ts";
import { DUMMY_HASH, type ParsedHash, verifyPassword } from "./password.ts";
import { hostReply, narrowConfig } from "./push.ts";
import { type PushedAddresses, parseBridgeRequest, unmapped } from "./request.ts";

export const LOGIN_LIMIT = 5;
export const LOGIN_WINDOW_MS = 5 * 60_000;
/** Password checks running at once; beyond that a request is answered 911 (busy, retry later). */
const MAX_VERIFYING = 8;

export interface BridgeClient {
  user: string;
  hash: ParsedHash;
  /** Normalized names this client may update. */
  hostnames: ReadonlySet<string>;
}

/** The last push of one client, for the status page and /metrics (never a secret). */
export type BridgePush = BridgePushStatus;

export interface BridgeServerOptions {
  listen: string;
  trust: "router" | "quorum";
  clients: readonly BridgeClient[];
  config: () => Config;
  pushRound: (push: PushRound) => Promise<RoundReport>;
  logger: Logger;
  now?: () => number;
}

export interface BridgeServer {
  url: string;
  pushes(): BridgePush[];
  close(): Promise<void>;
}

function reply(res: ServerResponse, lines: string[], extra: Record<string, string> = {}): void {
  const body = `${lines.join("\n")}\n`;
  res.writeHead(200, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(body, "utf8")),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...extra,
  });
  res.end(body);
}

function sourcesFor(pushed: PushedAddresses, user: string): Partial<Record<IpFamily, DetectionSource>> {
  const name = `bridge:${user}`;
  const sources: Partial<Record<IpFamily, DetectionSource>> = {};
  if (pushed.ipv4 !== undefined) sources.ipv4 = fixedSource({ kind: "fixed", address: pushed.ipv4, name });
  if (pushed.ipv6 !== undefined || pushed.prefix !== undefined) {
    sources.ipv6 = fixedSource({ kind: "fixed", address: pushed.ipv6, prefix: pushed.prefix, name });
  }
  return sources;
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const address = parseListen(options.listen, "bridge.listen", 8245);
  const clients = new Map(options.clients.map((client) => [client.user, client]));
  const bySource = new FailureLimiter({ limit: LOGIN_LIMIT, windowMs: LOGIN_WINDOW_MS });
  const byUser = new FailureLimiter({ limit: LOGIN_LIMIT * 2, windowMs: LOGIN_WINDOW_MS });
  const pushes = new Map<string, BridgePush>();
  let verifying = 0;

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const source = unmapped(req.socket.remoteAddress ?? "unknown");
    const request = parseBridgeRequest({
      target: req.url ?? "/",
      authorization: req.headers.authorization,
      sourceAddress: req.socket.remoteAddress,
    });
    if (request.hostnames.length === 0) {
      reply(res, ["notfqdn"]);
      return;
    }
    const user = request.credentials?.user ?? "";
    const userKey = `user:${user}`;
    if (bySource.blocked(source, now()) || (user !== "" && byUser.blocked(userKey, now()))) {
      logger.warn(
        `bridge: ${source}: too many failed logins${user ? ` (user "${user}")` : ""}; answered abuse`,
      );
      reply(res, ["abuse"], { "retry-after": String(LOGIN_WINDOW_MS / 1000) });
      return;
    }
    if (verifying >= MAX_VERIFYING) {
      reply(res, ["911"], { "retry-after": "60" });
      return;
    }
    bySource.charge(source, now());
    byUser.charge(userKey, now());
    const client = clients.get(user);
    verifying++;
    let ok: boolean;
    try {
      // Unknown users and missing credentials are checked against a dummy hash: same time.
      ok = await verifyPassword(request.credentials?.password ?? "", client?.hash ?? DUMMY_HASH);
    } finally {
      verifying--;
    }
    if (!ok || client === undefined || request.credentials === undefined) {
      logger.warn(
        `bridge: ${source}: login failed${request.credentials ? ` for user "${user}"` : " (no credentials)"}; answered badauth`,
      );
      reply(res, ["badauth"]);
      return;
    }
    bySource.refund(source);
    byUser.refund(userKey);

    const lines: (string | undefined)[] = request.hostnames.map((name) => {
      if (describeBadHostname(name) !== undefined) return "notfqdn";
      if (!client.hostnames.has(normalizeName(name))) return "nohost";
      return undefined;
    });
    const allowed = new Set(
      request.hostnames.filter((_, index) => lines[index] === undefined).map((name) => normalizeName(name)),
    );
    for (const [index, name] of request.hostnames.entries()) {
      if (lines[index] === "nohost")
        logger.warn(`bridge: user "${user}" may not update ${name}; answered nohost`);
    }
    let pushedAddresses: string[] = [];
    let reason: string | undefined;
    if (allowed.size > 0) {
      if (!request.addresses.ok) {
        reason = request.addresses.reason;
        logger.warn(`bridge: user "${user}" from ${source}: refused: ${reason}; nothing changed`);
        for (const index of lines.keys()) lines[index] ??= "911";
      } else {
        const pushed = request.addresses.addresses;
        pushedAddresses = [pushed.ipv4, pushed.ipv6, pushed.prefix].filter(
          (a): a is string => a !== undefined,
        );
        logger.info(
          `bridge: user "${user}" from ${source} pushed ${pushedAddresses.join(", ")} for ${[...allowed].join(", ")}`,
        );
        let report: RoundReport | undefined;
        try {
          report = await options.pushRound({
            select: (config) => narrowConfig(config, allowed, pushed),
            sources: sourcesFor(pushed, user),
            alone: options.trust === "router",
          });
        } catch (error) {
          logger.error(`bridge: the push round failed: ${errorMessage(error)}`);
        }
        request.hostnames.forEach((name, index) => {
          lines[index] ??= report ? hostReply(name, report) : "911";
        });
      }
    }
    const replies = lines.map((line) => line ?? "911");
    pushes.set(user, {
      user,
      at: new Date(now()).toISOString(),
      source,
      addresses: pushedAddresses,
      replies,
    });
    reply(res, replies, reason ? { "x-homing-reason": reason.replace(/[^\x20-\x7e]/g, "?") } : {});
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (!Number.isFinite(declared) || declared > MAX_BODY_BYTES) {
      res.shouldKeepAlive = false;
      res.writeHead(413, { "content-type": "text/plain", "content-length": "0" });
      res.end();
      res.on("finish", () => req.destroy());
      return;
    }
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
    });
    req.on("error", () => {});
    req.on("end", () => {
      serve(req, res).catch((error: unknown) => {
        logger.error(`bridge: ${errorMessage(error)}`);
        if (!res.headersSent) reply(res, ["911"]);
      });
    });
    req.resume();
  };

  const server = hardenedServer(handle);
  const url = await listenOn(server, address, options.listen, "the router bridge");
  server.on("error", (error) => logger.error(`bridge server: ${errorMessage(error)}`));
  if (!address.loopback) {
    logger.warn(
      `the router bridge listens on ${options.listen}${address.wildcard ? " (every interface)" : ""}: it is reachable from the network; put it behind a TLS reverse proxy before exposing it beyond the LAN`,
    );
  }
  logger.notice(`router bridge at ${url} (trust = "${options.trust}", ${clients.size} client(s))`);
  return {
    url,
    pushes: () => [...pushes.values()],
    close: closer(server),
  };
}
