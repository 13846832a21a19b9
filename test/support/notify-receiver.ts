/**
 * Local stand-ins for notification services and heartbeat monitors: an HTTP server on loopback that
 * records every request and answers from a script, and the canary tokens the tests put in every URL
 * (any 8-character window of one in an output is a leak). Used by the notification observers'
 * tests and by `homing notify --test`'s.
 */
import { randomInt } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** CANARY + 10 random characters: easy to grep for, unique per test. */
export function canary(): string {
  let key = "CANARY";
  while (key.length < 16) key += ALNUM[randomInt(ALNUM.length)];
  return key;
}

/** Any 8-character window of the canary in `text` (so a shortened copy counts as a leak too). */
export function leakedFragment(text: string, key: string): string | undefined {
  for (let i = 0; i + 8 <= key.length; i++) {
    const fragment = key.slice(i, i + 8);
    if (text.includes(fragment)) return fragment;
  }
  return undefined;
}

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; body?: string; echo?: boolean } | "hang";

export interface Receiver {
  origin: string;
  port: number;
  requests: Received[];
  json(index?: number): unknown;
  close(): Promise<void>;
}

/**
 * An HTTP server on loopback that records every request and answers with the next queued reply,
 * then with `fallback`. "hang" never answers; `echo` sends the request's path and headers back
 * (a server that quotes the token in its error page).
 */
export async function startHttpReceiver(
  replies: Reply[] = [],
  fallback: Reply = { status: 200, body: "ok" },
): Promise<Receiver> {
  const requests: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const received: Received = {
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(received);
      const reply = replies.shift() ?? fallback;
      if (reply === "hang") return;
      const body = reply.echo
        ? `denied: ${received.headers.authorization ?? ""} ${received.path} ${JSON.stringify(received.headers)} ${received.body}`
        : (reply.body ?? "");
      response.writeHead(reply.status, { "content-type": "text/plain" }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    json: (index = 0) => JSON.parse(requests[index]?.body ?? "null"),
    close,
  };
}
