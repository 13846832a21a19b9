/**
 * A recording HTTP server for the `custom` provider: it keeps every request (method, path, query,
 * headers, body) with the configured secrets replaced by "***", and answers from a responder
 * function or a queue of canned replies (default 200 "OK"). A `onRequest` hook lets a test play
 * the service (apply the update to a record map the DNS responder serves).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  /** The request target as sent (path and encoded query). */
  target: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export type RecorderReply =
  | { status?: number; body?: string; headers?: Record<string, string> }
  | { kind: "reset" | "hang" };

export interface HttpRecorder {
  /** "http://127.0.0.1:PORT" (no trailing slash). */
  origin: string;
  requests: RecordedRequest[];
  /** The next replies, used before `respond`. */
  queue(...replies: RecorderReply[]): void;
  close(): Promise<void>;
}

export interface HttpRecorderOptions {
  /** Values replaced by "***" in the log (the secret under test). */
  redact?: string[];
  /** Called with the raw request (secrets intact) before answering; returns the reply. */
  respond?: (request: RecordedRequest) => RecorderReply;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join("***");
    out = out.split(encodeURIComponent(secret)).join("***");
    out = out.split(Buffer.from(secret).toString("base64")).join("***");
  }
  return out;
}

export async function startHttpRecorder(options: HttpRecorderOptions = {}): Promise<HttpRecorder> {
  const secrets = options.redact ?? [];
  const requests: RecordedRequest[] = [];
  const queued: RecorderReply[] = [];
  const sockets = new Set<Socket>();
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://recorder");
      const raw: RecordedRequest = {
        method: request.method ?? "",
        target: request.url ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
        ),
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const reply = queued.shift() ?? options.respond?.(raw) ?? {};
      requests.push(JSON.parse(scrub(JSON.stringify(raw), secrets)) as RecordedRequest);
      if ("kind" in reply) {
        if (reply.kind === "reset") request.socket.destroy();
        return;
      }
      response.writeHead(reply.status ?? 200, { "content-type": "text/plain", ...reply.headers });
      response.end(reply.body ?? "OK");
    });
  };
  const server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    queue(...replies) {
      queued.push(...replies);
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
