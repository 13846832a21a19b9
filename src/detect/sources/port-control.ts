/**
 * Request/response exchanges with a NAT-PMP or PCP server on UDP port 5351 of the gateway
 * (RFC 6886 §3.1, RFC 6887 §8.1.1), with the RFCs' retransmission inside the source's deadline.
 * The socket is connected to the gateway, so only its packets arrive (RFC 6886 §3.2: a reply from
 * another address is ignored) and an ICMP port unreachable ends the exchange at once.
 */
import { createSocket, type Socket } from "node:dgram";
import { linkedController } from "../../platform/abort.ts";

export const PORT_CONTROL_PORT = 5351;

/** RFC 6886 §3.1: 250 ms, doubling each time (64 s after nine tries). */
export const NATPMP_RETRANSMIT_MS: readonly number[] = [
  250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000,
];
/** RFC 6887 §8.1.1: IRT 3 s, doubling, capped at MRT 1024 s (the random factor left out). */
export const PCP_RETRANSMIT_MS: readonly number[] = [3000, 6000, 12000, 24000, 48000, 96000, 192000];

const MAX_REPLY = 1100;

export interface PortControlSession {
  /** The local address and port the socket uses (PCP puts them in its requests). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly where: string;
  /** Sends `request`, resending per `retransmitMs`, until `accept` takes a reply or the deadline. */
  exchange(
    request: Uint8Array,
    options: {
      accept: (reply: Buffer) => boolean;
      retransmitMs: readonly number[];
      signal: AbortSignal;
      timeoutMs: number;
    },
  ): Promise<Buffer>;
  close(): void;
}

/** Opens a UDP socket connected to the gateway's port 5351. */
export async function openPortControl(options: {
  gateway: string;
  port?: number;
  /** "NAT-PMP", "PCP": named in errors. */
  protocol: string;
}): Promise<PortControlSession> {
  const port = options.port ?? PORT_CONTROL_PORT;
  const where = `${options.protocol} at ${options.gateway}${port === PORT_CONTROL_PORT ? "" : `:${port}`}`;
  const socket: Socket = createSocket({ type: "udp4" });
  let failure: Error | undefined;
  let onFailure: ((error: Error) => void) | undefined;
  socket.on("error", (error: NodeJS.ErrnoException) => {
    const what =
      error.code === "ECONNREFUSED"
        ? `no ${options.protocol} server there (port unreachable)`
        : error.code === "ENETUNREACH" || error.code === "EHOSTUNREACH"
          ? "the gateway is unreachable"
          : (error.code ?? error.message);
    failure = new Error(`${where}: ${what}`);
    onFailure?.(failure);
  });
  await new Promise<void>((resolve, reject) => {
    onFailure = reject;
    socket.connect(port, options.gateway, () => resolve());
  });
  onFailure = undefined;
  const local = socket.address();
  let closed = false;
  return {
    localAddress: local.address,
    localPort: local.port,
    where,
    exchange(request, exchange) {
      const { controller, dispose } = linkedController(exchange.signal, { timeoutMs: exchange.timeoutMs });
      return new Promise<Buffer>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        let settled = false;
        let sends = 0;
        const finish = (error: Error | undefined, reply?: Buffer) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          controller.signal.removeEventListener("abort", onAbort);
          socket.off("message", onMessage);
          onFailure = undefined;
          dispose();
          if (error) reject(error);
          else resolve(reply as Buffer);
        };
        const onAbort = () =>
          finish(
            new Error(
              exchange.signal.aborted
                ? `${where}: cancelled`
                : `${where}: no answer within ${exchange.timeoutMs} ms (${sends} ${sends === 1 ? "request" : "requests"} sent)`,
            ),
          );
        const onMessage = (reply: Buffer) => {
          if (reply.length <= MAX_REPLY && exchange.accept(reply)) finish(undefined, reply);
        };
        if (failure) return finish(failure);
        if (controller.signal.aborted) return onAbort();
        controller.signal.addEventListener("abort", onAbort, { once: true });
        onFailure = (error) => finish(error);
        socket.on("message", onMessage);
        const send = () => {
          if (closed) return;
          sends++;
          socket.send(request, (error) => {
            if (error) finish(new Error(`${where}: ${error.message}`));
          });
          const delay = exchange.retransmitMs[Math.min(sends - 1, exchange.retransmitMs.length - 1)] ?? 1000;
          timer = setTimeout(send, delay);
        };
        send();
      });
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
