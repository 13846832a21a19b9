import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Endpoint, exchange, parseEndpoint, TransportError } from "./transport.ts";
import {
  CLASS,
  decodeMessage,
  encodeMessage,
  FLAG,
  type Message,
  OPCODE,
  requestFlags,
  TYPE,
} from "./wire.ts";

function request(id = 0x1111): Buffer {
  return encodeMessage({
    id,
    flags: requestFlags(OPCODE.QUERY),
    question: [{ name: "home.example.com", type: TYPE.A, class: CLASS.IN }],
    answer: [],
    authority: [],
    additional: [],
  });
}

/** A reply to `wire`, changed by `edit`. */
function reply(wire: Buffer, edit: (m: Message) => void = () => undefined): Buffer {
  const message: Message = { ...decodeMessage(wire), flags: FLAG.QR | FLAG.AA };
  message.answer = [
    {
      name: "home.example.com",
      type: TYPE.A,
      class: CLASS.IN,
      ttl: 60,
      rdata: Buffer.from([81, 2, 69, 142]),
    },
  ];
  edit(message);
  return encodeMessage(message);
}

interface Fake {
  endpoint: Endpoint;
  udpSeen: number;
  tcpSeen: number;
  close(): Promise<void>;
}

const fakes: Fake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** A UDP + TCP server on one loopback port; the handlers decide what to send back. */
async function fake(handlers: {
  udp?: (wire: Buffer, send: (data: Buffer) => void, count: number) => void;
  tcp?: (wire: Buffer, socket: Socket) => void;
}): Promise<Fake> {
  const udp: UdpSocket = createSocket("udp4");
  await new Promise<void>((ok) => udp.bind(0, "127.0.0.1", ok));
  const port = udp.address().port;
  const sockets = new Set<Socket>();
  const state: Fake = {
    endpoint: { host: "127.0.0.1", port },
    udpSeen: 0,
    tcpSeen: 0,
    async close() {
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => tcp.close(() => ok()));
    },
  };
  udp.on("message", (wire, from) => {
    state.udpSeen++;
    handlers.udp?.(wire, (data) => udp.send(data, from.port, from.address), state.udpSeen);
  });
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        state.tcpSeen++;
        handlers.tcp?.(pending.subarray(2, 2 + pending.readUInt16BE(0)), socket);
      }
    });
  });
  await new Promise<void>((ok) => tcp.listen(port, "127.0.0.1", ok));
  fakes.push(state);
  return state;
}

function framed(data: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(data.length);
  return Buffer.concat([length, data]);
}

const options = (extra: Partial<Parameters<typeof exchange>[2]> = {}) => ({
  signal: AbortSignal.timeout(10_000),
  timeoutMs: 2000,
  retransmitMs: 200,
  ...extra,
});

describe("UDP", () => {
  it("ignores replies with another ID, another question, no QR, or garbage, and takes the matching one", async () => {
    const server = await fake({
      udp(wire, send) {
        send(reply(wire, (m) => (m.id = (m.id + 1) & 0xffff)));
        send(
          reply(wire, (m) => (m.question = [{ name: "evil.example.com", type: TYPE.A, class: CLASS.IN }])),
        );
        send(reply(wire, (m) => (m.flags = 0)));
        send(Buffer.from("garbage!garbage!"));
        send(reply(wire));
      },
    });
    const result = await exchange(server.endpoint, request(), options());
    expect(result.via).toBe("udp");
    expect(result.message.answer[0]?.value).toBe("81.2.69.142");
  });

  it("retransmits the same datagram until the server answers", async () => {
    const seen: string[] = [];
    const server = await fake({
      udp(wire, send, count) {
        seen.push(wire.toString("hex"));
        if (count === 3) send(reply(wire));
      },
    });
    const started = performance.now();
    const result = await exchange(server.endpoint, request(), options());
    expect(result.via).toBe("udp");
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(1);
    // 200 ms, then 400 ms later.
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
  });

  it("switches to TCP when the reply is truncated (TC), even if the datagram is cut mid-record", async () => {
    const server = await fake({
      udp(wire, send) {
        const full = reply(wire, (m) => (m.flags |= FLAG.TC));
        send(full.subarray(0, full.length - 3));
      },
      tcp(wire, socket) {
        socket.write(framed(reply(wire)));
      },
    });
    const result = await exchange(server.endpoint, request(), options());
    expect(result.via).toBe("tcp");
    expect(server.udpSeen).toBe(1);
    expect(server.tcpSeen).toBe(1);
  });

  it("times out with a TransportError when nothing answers", async () => {
    const server = await fake({});
    const started = performance.now();
    const error = await exchange(server.endpoint, request(), options({ timeoutMs: 500 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      reason: "timeout",
      message: expect.stringMatching(/did not answer within 0.5 s/),
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(server.udpSeen).toBeGreaterThanOrEqual(2);
  });

  it("says so when only unusable replies came", async () => {
    const server = await fake({ udp: (wire, send) => send(reply(wire, (m) => (m.id ^= 1))) });
    await expect(exchange(server.endpoint, request(), options({ timeoutMs: 400 }))).rejects.toMatchObject({
      reason: "garbage",
      message: expect.stringMatching(/unusable repl.*ID/),
    });
  });

  it("reports a closed port as connection refused, at once", async () => {
    const server = await fake({});
    await server.close();
    fakes.splice(fakes.indexOf(server), 1);
    const started = performance.now();
    await expect(exchange(server.endpoint, request(), options())).rejects.toMatchObject({
      reason: "refused",
      message: expect.stringMatching(/connection refused/),
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("stops when the caller's signal aborts", async () => {
    const server = await fake({});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("run deadline")), 100);
    await expect(
      exchange(server.endpoint, request(), options({ signal: controller.signal, timeoutMs: 5000 })),
    ).rejects.toMatchObject({ reason: "aborted" });
  });
});

describe("TCP", () => {
  it("in TCP-only mode never sends UDP, and reads a reply that arrives in pieces", async () => {
    const server = await fake({
      tcp(wire, socket) {
        const data = framed(reply(wire));
        socket.write(data.subarray(0, 1));
        setTimeout(() => socket.write(data.subarray(1, 20)), 20);
        setTimeout(() => socket.write(data.subarray(20)), 40);
      },
    });
    const result = await exchange(server.endpoint, request(), options({ mode: "tcp" }));
    expect(result.via).toBe("tcp");
    expect(server.udpSeen).toBe(0);
  });

  it("rejects a non-matching or malformed reply and a connection closed early", async () => {
    const wrongId = await fake({
      tcp: (wire, socket) => socket.write(framed(reply(wire, (m) => (m.id ^= 1)))),
    });
    await expect(exchange(wrongId.endpoint, request(), options({ mode: "tcp" }))).rejects.toMatchObject({
      reason: "garbage",
    });
    const garbage = await fake({ tcp: (_, socket) => socket.write(framed(Buffer.from("nonsense"))) });
    await expect(exchange(garbage.endpoint, request(), options({ mode: "tcp" }))).rejects.toMatchObject({
      reason: "garbage",
      message: expect.stringMatching(/malformed/),
    });
    const closes = await fake({ tcp: (_, socket) => socket.end() });
    await expect(exchange(closes.endpoint, request(), options({ mode: "tcp" }))).rejects.toMatchObject({
      reason: "network",
    });
  });

  it("times out on a server that accepts and never answers", async () => {
    const server = await fake({ tcp: () => undefined });
    await expect(
      exchange(server.endpoint, request(), options({ mode: "tcp", timeoutMs: 300 })),
    ).rejects.toMatchObject({
      reason: "timeout",
    });
  });
});

describe("parseEndpoint", () => {
  it.each([
    ["127.0.0.1:5353", { host: "127.0.0.1", port: 5353 }],
    ["ns1.example.com", { host: "ns1.example.com", port: 53 }],
    ["ns1.example.com:53", { host: "ns1.example.com", port: 53 }],
    ["[::1]:5300", { host: "::1", port: 5300 }],
    ["[2a00:1450::1]", { host: "2a00:1450::1", port: 53 }],
    ["::1", { host: "::1", port: 53 }],
    ["host:0", undefined],
    ["host:70000", undefined],
    ["[not-v6]:53", undefined],
    ["http://ns1:53", undefined],
    ["", undefined],
  ])("%j", (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
  });
});
