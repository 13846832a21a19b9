/**
 * NAT-PMP and PCP against a small fake UDP responder on loopback: result codes, the address
 * field ignored unless the result is 0, retransmission, and the PCP probe mapping's deletion.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../platform/log.ts";
import { create as createNatPmp } from "./natpmp.ts";
import { create as createPcp } from "./pcp.ts";
import { SourceRefusal } from "./source.ts";

interface Fake {
  port: number;
  received: { packet: Buffer; at: number }[];
  socket: Socket;
}

const open: Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function fake(answer: (packet: Buffer, index: number) => Buffer | Buffer[] | undefined): Promise<Fake> {
  const socket = createSocket("udp4");
  open.push(socket);
  const received: Fake["received"] = [];
  socket.on("message", (packet: Buffer, from: RemoteInfo) => {
    received.push({ packet, at: Date.now() });
    const reply = answer(packet, received.length - 1);
    for (const one of reply === undefined ? [] : Array.isArray(reply) ? reply : [reply])
      socket.send(one, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return { port: socket.address().port, received, socket };
}

const context = { logger: memoryLogger(), family: "ipv4" as const };
const ask = (
  source: { ask: (f: "ipv4" | "ipv6", o: { signal: AbortSignal; timeoutMs: number }) => Promise<unknown> },
  timeoutMs = 3000,
  family: "ipv4" | "ipv6" = "ipv4",
) => source.ask(family, { signal: new AbortController().signal, timeoutMs });

function natpmpReply(result: number, address: number[]): Buffer {
  return Buffer.from([0, 128, 0, result, 0, 0, 0, 9, ...address]);
}

describe("natpmp", () => {
  const source = (port: number) => createNatPmp({ kind: "natpmp", gateway: "127.0.0.1" }, context, { port });

  it("reads the external address of a result-0 reply", async () => {
    const server = await fake(() => natpmpReply(0, [11, 22, 33, 44]));
    await expect(ask(source(server.port))).resolves.toMatchObject({ address: "11.22.33.44" });
    expect([...(server.received[0]?.packet ?? [])]).toEqual([0, 0]);
  });

  it.each([
    [1, "Unsupported Version"],
    [2, "Not Authorized/Refused"],
    [3, "Network Failure"],
    [4, "Out of resources"],
    [5, "Unsupported opcode"],
    [77, "an unknown result code"],
  ])("refuses result %i (%s) even when the address field is filled", async (code, text) => {
    const server = await fake(() => natpmpReply(code, [11, 22, 33, 44]));
    const error = await ask(source(server.port)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceRefusal);
    expect((error as Error).message).toContain(`result ${code} (${text})`);
    expect((error as Error).message).not.toContain("11.22.33.44");
  });

  it("refuses 0.0.0.0", async () => {
    const server = await fake(() => natpmpReply(0, [0, 0, 0, 0]));
    await expect(ask(source(server.port))).rejects.toThrow(/0\.0\.0\.0.*does not know/);
  });

  it("resends after 250 ms, then 500 ms, when replies are lost (RFC 6886 §3.1)", async () => {
    const server = await fake((_packet, index) =>
      index === 2 ? natpmpReply(0, [11, 22, 33, 44]) : undefined,
    );
    await expect(ask(source(server.port))).resolves.toMatchObject({ address: "11.22.33.44" });
    const [first, second, third] = server.received.map((entry) => entry.at);
    expect((second as number) - (first as number)).toBeGreaterThanOrEqual(200);
    expect((third as number) - (second as number)).toBeGreaterThanOrEqual(450);
  });

  it("gives up at the deadline with how many requests it sent", async () => {
    const server = await fake(() => undefined);
    await expect(ask(source(server.port), 600)).rejects.toThrow(
      /no answer within 600 ms \(2 requests sent\)/,
    );
  });

  it("fails at once on port unreachable, and refuses IPv6", async () => {
    const server = await fake(() => undefined);
    const port = server.port;
    server.socket.close();
    open.splice(open.indexOf(server.socket), 1);
    const started = Date.now();
    await expect(ask(source(port))).rejects.toThrow(/no NAT-PMP server there/);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(ask(source(port), 1000, "ipv6")).rejects.toThrow(SourceRefusal);
  });

  it("ignores a reply of another opcode, and rejects a short reply", async () => {
    const junk = await fake((_p, index) =>
      index === 0 ? Buffer.from([0, 129, 0, 0]) : Buffer.from([0, 128, 0, 0]),
    );
    await expect(ask(source(junk.port))).rejects.toThrow(/4-byte reply, expected 12/);
  });
});

function pcpReply(request: Buffer, result: number, address: number[], lifetime = 120): Buffer {
  const reply = Buffer.alloc(60);
  reply[0] = 2;
  reply[1] = 0x81;
  reply[3] = result;
  reply.writeUInt32BE(lifetime, 4);
  reply.writeUInt32BE(6, 8);
  request.copy(reply, 24, 24, 44); // nonce, protocol, internal port, suggested port
  reply.writeUInt16BE(0xffff, 54);
  Buffer.from(address).copy(reply, 56);
  return reply;
}

describe("pcp", () => {
  const source = (port: number) => createPcp({ kind: "pcp", gateway: "127.0.0.1" }, context, { port });

  it("sends a MAP, reads the assigned address, then deletes the mapping with lifetime 0", async () => {
    const server = await fake((packet) => pcpReply(packet, 0, [11, 22, 33, 44], packet.readUInt32BE(4)));
    const answer = await ask(source(server.port));
    expect(answer).toMatchObject({ address: "11.22.33.44" });
    expect((answer as { evidence: string }).evidence).toContain("then deleted");
    const [map, remove] = server.received.map((entry) => entry.packet);
    expect(map?.length).toBe(60);
    expect([map?.[0], map?.[1]]).toEqual([2, 1]);
    expect(map?.readUInt32BE(4)).toBe(120);
    expect([...(map?.subarray(8, 24) ?? [])]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]);
    expect(map?.[36]).toBe(17);
    expect(remove?.readUInt32BE(4)).toBe(0);
    expect(remove?.subarray(24, 36).equals(map?.subarray(24, 36) as Buffer)).toBe(true);
  });

  it("refuses result 8 although the address field holds one (miniupnpd on a private WAN)", async () => {
    const server = await fake((packet) => pcpReply(packet, 8, [203, 0, 113, 2], 30));
    const error = await ask(source(server.port)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceRefusal);
    expect((error as Error).message).toMatch(/result 8 \(NO_RESOURCES\)/);
    expect(server.received).toHaveLength(1);
  });

  it("ignores a reply with another nonce", async () => {
    const server = await fake((packet) => {
      const stale = pcpReply(packet, 0, [1, 2, 3, 4]);
      stale[24] = (stale[24] as number) ^ 0xff;
      return [stale, pcpReply(packet, 0, [11, 22, 33, 44])];
    });
    await expect(ask(source(server.port))).resolves.toMatchObject({ address: "11.22.33.44" });
  });

  it("says so when the router speaks only NAT-PMP", async () => {
    const server = await fake(() => Buffer.from([0, 129, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
    await expect(ask(source(server.port))).rejects.toThrow(/speaks NAT-PMP only/);
  });

  it("refuses 0.0.0.0 and a non-IPv4 assigned address is an error", async () => {
    const zero = await fake((packet) => pcpReply(packet, 0, [0, 0, 0, 0]));
    await expect(ask(source(zero.port))).rejects.toThrow(SourceRefusal);
    const v6 = await fake((packet) => {
      const reply = pcpReply(packet, 0, [1, 2, 3, 4]);
      reply.writeUInt16BE(0x2001, 44);
      return reply;
    });
    await expect(ask(source(v6.port))).rejects.toThrow(/not an IPv4 address/);
  });
});
