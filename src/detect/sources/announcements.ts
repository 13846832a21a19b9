/**
 * Listens for the router's NAT-PMP and PCP announcements (RFC 6886 §3.2.1, RFC 6887 §14.1.1):
 * on boot or a WAN address change, the gateway multicasts a NAT-PMP external-address reply and a
 * PCP ANNOUNCE reply to 224.0.0.1:5350 (miniupnpd does, reference §4.2). A daemon can use one as a
 * trigger for its router sources. The payload is only a hint: miniupnpd's first announcement after
 * a change can still carry the old address, so the listener's user must ask the sources again.
 */
import { createSocket } from "node:dgram";

export const ANNOUNCE_GROUP = "224.0.0.1";
export const ANNOUNCE_PORT = 5350;

export interface Announcement {
  protocol: "NAT-PMP" | "PCP";
  /** The sender (the gateway's LAN address). */
  from: string;
  /** The address a NAT-PMP announcement carries (result 0 only); never publish it as is. */
  address?: string;
  /** Seconds since the router's epoch start (0 after a change, for miniupnpd). */
  epoch: number;
}

/** Reads one announcement datagram, or undefined for anything else. */
export function readAnnouncement(packet: Buffer, from: string): Announcement | undefined {
  if (packet.length === 12 && packet[0] === 0 && packet[1] === 128) {
    const announcement: Announcement = { protocol: "NAT-PMP", from, epoch: packet.readUInt32BE(4) };
    if (packet.readUInt16BE(2) === 0) announcement.address = [...packet.subarray(8, 12)].join(".");
    return announcement;
  }
  if (packet.length >= 24 && packet.length <= 1100 && packet[0] === 2 && packet[1] === 0x80) {
    return { protocol: "PCP", from, epoch: packet.readUInt32BE(8) };
  }
  return undefined;
}

export interface AnnouncementWatch {
  /** Resolves once the socket listens (the group is joined). */
  ready: Promise<void>;
  close(): void;
}

/**
 * Joins 224.0.0.1 on `localAddress` (or the default interface) and reports every announcement
 * sent from port 5351 (and, when `gateway` is given, from that address only).
 */
export function watchAnnouncements(options: {
  onAnnouncement: (announcement: Announcement) => void;
  onError?: (error: Error) => void;
  localAddress?: string | undefined;
  gateway?: string | undefined;
}): AnnouncementWatch {
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  let closed = false;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once("listening", () => {
      try {
        socket.addMembership(ANNOUNCE_GROUP, options.localAddress);
        resolve();
      } catch (error) {
        reject(error);
      }
    });
    socket.once("error", reject);
  });
  socket.on("error", (error) => options.onError?.(error));
  socket.on("message", (packet, from) => {
    if (from.port !== 5351 || (options.gateway !== undefined && from.address !== options.gateway)) return;
    const announcement = readAnnouncement(packet, from.address);
    if (announcement) options.onAnnouncement(announcement);
  });
  socket.bind(ANNOUNCE_PORT, ANNOUNCE_GROUP);
  return {
    ready,
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

/** The kinds whose routers may announce (miniupnpd announces for all three). */
export const ANNOUNCING_KINDS: readonly string[] = ["natpmp", "pcp", "upnp"];

export interface AnnouncementTrigger {
  stop(): void;
}

/**
 * For the daemon: when a configured source is of an announcing kind, listens for announcements
 * and calls `onTrigger` once per burst (`debounceMs` after the last packet: miniupnpd sends a
 * NAT-PMP and a PCP packet per change, and its first can carry the old address). Undefined when no
 * such source is configured, or when the group cannot be joined (said in the log; the interval
 * poll still runs).
 */
export async function announcementTrigger(options: {
  kinds: readonly string[];
  logger: { info(message: string): void; warn(message: string): void; debug(message: string): void };
  onTrigger: (why: string) => void;
  debounceMs?: number;
}): Promise<AnnouncementTrigger | undefined> {
  if (!options.kinds.some((kind) => ANNOUNCING_KINDS.includes(kind))) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const watch = watchAnnouncements({
    onAnnouncement: (announcement) => {
      options.logger.debug(
        `${announcement.protocol} announcement from ${announcement.from}${announcement.address ? ` (${announcement.address})` : ""}`,
      );
      clearTimeout(timer);
      timer = setTimeout(
        () => options.onTrigger(`${announcement.protocol} announcement from ${announcement.from}`),
        options.debounceMs ?? 500,
      );
    },
    onError: (error) => options.logger.debug(`router announcements: ${error.message}`),
  });
  try {
    await watch.ready;
  } catch (error) {
    watch.close();
    options.logger.warn(
      `cannot listen for router announcements on ${ANNOUNCE_GROUP}:${ANNOUNCE_PORT} (${(error as Error).message}); the interval poll still runs`,
    );
    return undefined;
  }
  options.logger.info(
    `listening for NAT-PMP/PCP announcements from the router (${ANNOUNCE_GROUP}:${ANNOUNCE_PORT})`,
  );
  return {
    stop() {
      clearTimeout(timer);
      watch.close();
    },
  };
}
