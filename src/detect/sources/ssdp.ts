/**
 * SSDP discovery of an Internet Gateway Device (reference §3.1): M-SEARCH to 239.255.255.250:1900
 * for the IGD and its WAN connection services, unicast `HTTP/1.1 200 OK` replies with a LOCATION.
 * Returns the distinct LOCATIONs heard, in arrival order, a short moment after the first reply (so a
 * second router on the LAN is heard too), or an Error when none answered before the deadline.
 */
import { createSocket } from "node:dgram";
import { linkedController } from "../../platform/abort.ts";

export const SSDP_ADDRESS = "239.255.255.250";
export const SSDP_PORT = 1900;

/** miniupnpc's targets (src/miniupnpc.c), plus WANIPConnection:2 for IGDv2-only devices. */
export const SSDP_TARGETS: readonly string[] = [
  "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
  "urn:schemas-upnp-org:service:WANIPConnection:1",
  "urn:schemas-upnp-org:service:WANIPConnection:2",
  "urn:schemas-upnp-org:service:WANPPPConnection:1",
];

export function searchMessage(target: string, mx: number): string {
  return `M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\nST: ${target}\r\nMAN: "ssdp:discover"\r\nMX: ${mx}\r\n\r\n`;
}

/** The LOCATION of an SSDP reply (header names case-insensitive), or undefined for anything else. */
export function replyLocation(text: string): URL | undefined {
  const lines = text.split("\r\n");
  if (!/^HTTP\/1\.[01] 200\b/i.test(lines[0] ?? "")) return undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== "location") continue;
    try {
      const url = new URL(line.slice(colon + 1).trim());
      return url.protocol === "http:" ? url : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** How long to keep listening after the first reply, for other devices. */
const GRACE_MS = 250;
/** Resend the searches once if nothing answered by then (UDP on a busy LAN can drop). */
const RESEND_MS = 1000;

export function discoverGateways(options: {
  localAddress?: string | undefined;
  signal: AbortSignal;
  timeoutMs: number;
  /** Seconds a device may wait before it answers (MX, 1–5). */
  mx?: number;
}): Promise<URL[]> {
  const mx = options.mx ?? 1;
  const { controller, dispose } = linkedController(options.signal, { timeoutMs: options.timeoutMs });
  return new Promise<URL[]>((resolve, reject) => {
    const socket = createSocket({ type: "udp4" });
    const found: URL[] = [];
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      controller.signal.removeEventListener("abort", onAbort);
      dispose();
      socket.close();
      if (found.length > 0) resolve(found);
      else reject(error ?? new Error("no UPnP device answered"));
    };
    const onAbort = () =>
      finish(
        new Error(
          options.signal.aborted
            ? "SSDP search cancelled"
            : `no UPnP router answered the SSDP search within ${options.timeoutMs} ms (is UPnP enabled on the router?)`,
        ),
      );
    if (controller.signal.aborted) return onAbort();
    controller.signal.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(new Error(`SSDP search: ${error.code ?? error.message}`)),
    );
    socket.on("message", (packet) => {
      if (packet.length > 8192) return;
      const location = replyLocation(packet.toString("latin1"));
      if (!location || found.some((known) => known.href === location.href)) return;
      found.push(location);
      if (found.length === 1) timers.push(setTimeout(() => finish(), GRACE_MS));
    });
    const search = () => {
      for (const target of SSDP_TARGETS) {
        socket.send(searchMessage(target, mx), SSDP_PORT, SSDP_ADDRESS, (error) => {
          if (error)
            finish(new Error(`SSDP search: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
        });
      }
    };
    socket.bind({ port: 0, ...(options.localAddress ? { address: options.localAddress } : {}) }, () => {
      try {
        socket.setMulticastTTL(2);
        if (options.localAddress) socket.setMulticastInterface(options.localAddress);
      } catch (error) {
        return finish(new Error(`SSDP search: ${(error as Error).message}`));
      }
      search();
      timers.push(
        setTimeout(() => {
          if (found.length === 0) search();
        }, RESEND_MS),
      );
    });
  });
}
