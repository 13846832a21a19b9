/**
 * The `dns` kind's config (schema, shorthand) and its exchange, against a scripted UDP/TCP responder
 * on loopback that answers with crafted packets: wrong IDs and spoofed questions are ignored,
 * truncation moves to TCP, the deadline holds. Real servers (BIND, Knot) are in
 * test/integration/detect-dns.test.ts.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLASS,
  type DecodedMessage,
  decodeMessage,
  encodeMessage,
  FLAG,
  type ResourceRecord,
  TYPE,
} from "../../dns/wire.ts";
import { create } from "./dns.ts";
import { DnsTableSchema, dnsShorthand } from "./dns-table.ts";
import { SourceRefusal } from "./source.ts";

type Script = (query: DecodedMessage, via: "udp" | "tcp") => Buffer[];

interface Responder {
  port: number;
  queries: Array<{ query: DecodedMessage; via: "udp" | "tcp"; from: string }>;
  close(): Promise<void>;
}

const open: Responder[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

/** A UDP + TCP responder on `host` that answers each query with the script's packets. */
async function respond(script: Script, host = "127.0.0.1"): Promise<Responder> {
  const udp: Socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((ok) => udp.bind(0, host, ok));
  const port = udp.address().port;
  const queries: Responder["queries"] = [];
  udp.on("message", (wire: Buffer, from: RemoteInfo) => {
    const query = decodeMessage(wire);
    queries.push({ query, via: "udp", from: from.address });
    for (const packet of script(query, "udp")) udp.send(packet, from.port, from.address);
  });
  const tcp: Server = createServer((socket) => {
    socket.on("error", () => undefined);
    socket.once("data", (chunk: Buffer) => {
      const query = decodeMessage(chunk.subarray(2, 2 + chunk.readUInt16BE(0)));
      queries.push({ query, via: "tcp", from: socket.remoteAddress ?? "" });
      for (const packet of script(query, "tcp")) {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(packet.length);
        socket.write(Buffer.concat([length, packet]));
      }
    });
  });
  await new Promise<void>((ok) => tcp.listen(port, host, ok));
  const responder: Responder = {
    port,
    queries,
    close: async () => {
      udp.close();
      await new Promise<void>((ok) => tcp.close(() => ok()));
    },
  };
  open.push(responder);
  return responder;
}

function answerTo(
  query: DecodedMessage,
  answer: ResourceRecord[],
  change: { id?: number; flags?: number; name?: string } = {},
): Buffer {
  const question = query.question[0] as DecodedMessage["question"][number];
  return encodeMessage({
    id: change.id ?? query.id,
    flags: FLAG.QR | FLAG.RD | (change.flags ?? 0),
    question: [{ ...question, name: change.name ?? question.name }],
    answer,
    authority: [],
    additional: [],
  });
}

function txt(name: string, cls: number, text: string): ResourceRecord {
  const bytes = Buffer.from(text, "latin1");
  return {
    name,
    type: TYPE.TXT,
    class: cls,
    ttl: 0,
    rdata: Buffer.concat([Buffer.from([bytes.length]), bytes]),
  };
}

const ASK = () => ({ signal: new AbortController().signal, timeoutMs: 2000 });

describe("config", () => {
  it("the table takes a resolver, and a server only as an address with a port", () => {
    expect(v.parse(DnsTableSchema, { kind: "dns", resolver: "google" })).toEqual({
      kind: "dns",
      resolver: "google",
    });
    expect(
      v.safeParse(DnsTableSchema, { kind: "dns", resolver: "cloudflare", server: "[::1]:5353" }).success,
    ).toBe(true);
    const bad = v.safeParse(DnsTableSchema, { kind: "dns", resolver: "quad9" });
    expect(bad.issues?.[0]?.message).toBe('expected resolver = "cloudflare", "opendns" or "google"');
    const named = v.safeParse(DnsTableSchema, {
      kind: "dns",
      resolver: "opendns",
      server: "resolver1.opendns.com",
    });
    expect(named.issues?.[0]?.message).toMatch(/a host name is not accepted/);
    const extra = v.safeParse(DnsTableSchema, { kind: "dns", resolver: "opendns", url: "x" });
    expect(extra.success).toBe(false);
  });

  it("the shorthands name the three resolvers; anything else is an error that lists them", () => {
    expect(dnsShorthand("cloudflare")).toEqual({ ok: true, table: { kind: "dns", resolver: "cloudflare" } });
    expect(dnsShorthand("opendns")).toEqual({ ok: true, table: { kind: "dns", resolver: "opendns" } });
    expect(dnsShorthand("google")).toEqual({ ok: true, table: { kind: "dns", resolver: "google" } });
    expect(dnsShorthand("gogle")).toEqual({
      ok: false,
      error:
        'unknown DNS resolver "gogle" (did you mean "dns:google"?); write one of: "dns:cloudflare", "dns:opendns", "dns:google"',
    });
    expect(dnsShorthand(undefined)).toEqual({
      ok: false,
      error: '"dns" needs a resolver; write one of: "dns:cloudflare", "dns:opendns", "dns:google"',
    });
  });

  it("names and places: the operator's literal addresses, or the override", () => {
    const source = create({ kind: "dns", resolver: "cloudflare" });
    expect(source.kind).toBe("dns");
    expect(source.name).toBe("dns:cloudflare");
    expect(source.where).toBe("whoami.cloudflare TXT CH at 1.1.1.1 / 2606:4700:4700::1111");
    expect(create({ kind: "dns", resolver: "opendns" }).where).toBe(
      "myip.opendns.com A IN, myip.opendns.com AAAA IN at 208.67.222.222 / 2620:119:35::35",
    );
    expect(create({ kind: "dns", resolver: "google", server: "127.0.0.1:5300", name: "g" }).where).toBe(
      "o-o.myaddr.l.google.com TXT IN at 127.0.0.1:5300",
    );
  });
});

describe("the exchange", () => {
  it("asks the right question with a fresh random ID and reads the answer", async () => {
    const responder = await respond((query) => [
      answerTo(query, [txt("whoami.cloudflare", CLASS.CH, "81.2.69.142")]),
    ]);
    const source = create({ kind: "dns", resolver: "cloudflare", server: `127.0.0.1:${responder.port}` });
    const first = await source.ask("ipv4", ASK());
    await source.ask("ipv4", ASK());
    expect(first).toEqual({
      address: "81.2.69.142",
      evidence: `whoami.cloudflare TXT CH from 127.0.0.1:${responder.port} over UDP`,
    });
    const [a, b] = responder.queries.map((q) => q.query);
    expect(a?.question).toEqual([{ name: "whoami.cloudflare", type: TYPE.TXT, class: CLASS.CH }]);
    expect(a?.id).not.toBe(b?.id);
  });

  it("a reply with another ID or another question is ignored; the matching one is taken", async () => {
    const responder = await respond((query) => [
      answerTo(query, [txt("o-o.myaddr.l.google.com", CLASS.IN, "81.2.69.160")], {
        id: (query.id + 1) & 0xffff,
      }),
      answerTo(query, [txt("evil.example", CLASS.IN, "81.2.69.170")], { name: "evil.example" }),
      answerTo(query, [txt("o-o.myaddr.l.google.com", CLASS.IN, "81.2.69.142")]),
    ]);
    const source = create({ kind: "dns", resolver: "google", server: `127.0.0.1:${responder.port}` });
    expect((await source.ask("ipv4", ASK())).address).toBe("81.2.69.142");
  });

  it("only wrong replies: no answer by the deadline, saying what came", async () => {
    const responder = await respond((query) => [answerTo(query, [], { id: (query.id + 1) & 0xffff })]);
    const source = create({ kind: "dns", resolver: "google", server: `127.0.0.1:${responder.port}` });
    const started = Date.now();
    const error = await source
      .ask("ipv4", { signal: new AbortController().signal, timeoutMs: 400 })
      .catch((e) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).not.toBeInstanceOf(SourceRefusal);
    expect((error as Error).message).toMatch(/unusable repl.*ID/);
  });

  it("a truncated UDP reply is asked again over TCP", async () => {
    const responder = await respond((query, via) =>
      via === "udp"
        ? [answerTo(query, [], { flags: FLAG.TC })]
        : [
            answerTo(query, [
              {
                name: "myip.opendns.com",
                type: TYPE.A,
                class: CLASS.IN,
                ttl: 0,
                rdata: Buffer.from([81, 2, 69, 142]),
              },
            ]),
          ],
    );
    const source = create({ kind: "dns", resolver: "opendns", server: `127.0.0.1:${responder.port}` });
    const answer = await source.ask("ipv4", ASK());
    expect(answer.address).toBe("81.2.69.142");
    expect(answer.evidence).toMatch(/over TCP$/);
    // UDP first, then one TCP query. A loaded machine may see the UDP query retransmitted (after
    // 500 ms) before the truncated reply is read; that is the protocol working, not a second answer.
    const vias = responder.queries.map((q) => q.via);
    expect(vias[0]).toBe("udp");
    expect(vias.filter((via) => via === "tcp")).toEqual(["tcp"]);
  });

  it("a silent server is a failure at the deadline, not a refusal", async () => {
    const responder = await respond(() => []);
    const source = create({ kind: "dns", resolver: "cloudflare", server: `127.0.0.1:${responder.port}` });
    const started = Date.now();
    const error = await source
      .ask("ipv4", { signal: new AbortController().signal, timeoutMs: 300 })
      .catch((e) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).not.toBeInstanceOf(SourceRefusal);
    expect((error as Error).message).toMatch(/did not answer within 0.3 s/);
    expect(responder.queries.length).toBeGreaterThanOrEqual(1);
  });

  it("the caller's signal stops it at once", async () => {
    const responder = await respond(() => []);
    const source = create({ kind: "dns", resolver: "cloudflare", server: `127.0.0.1:${responder.port}` });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await source.ask("ipv4", { signal: controller.signal, timeoutMs: 5000 }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((error as Error).message).toMatch(/cut short/);
  });

  it("an override of the other family is refused before anything is sent", async () => {
    const responder = await respond(() => []);
    const source = create({ kind: "dns", resolver: "cloudflare", server: `127.0.0.1:${responder.port}` });
    const error = await source.ask("ipv6", ASK()).catch((e) => e);
    expect(error).toBeInstanceOf(SourceRefusal);
    expect((error as SourceRefusal).message).toBe(
      `server 127.0.0.1:${responder.port} is not an IPv6 address, so it cannot see this host's IPv6 address`,
    );
    expect((error as SourceRefusal).hint).toBe("give an IPv6 server to the dns source under [detect.ipv6]");
    expect(responder.queries).toEqual([]);
  });
});
