/**
 * The RFC 2136 provider against a scripted DNS server on loopback, for the replies real servers do
 * not give on demand: unsigned or badly signed answers to signed requests, SERVFAIL, a concurrent
 * change. The common paths run against real BIND and Knot in test/integration/rfc2136-*.test.ts.
 * Also: loading the key (key_file, key_secret) and its configuration errors.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../core/secret.ts";
import { findTsig, signMessage, TSIG_ERROR, TsigKey } from "../../dns/tsig.ts";
import {
  CLASS,
  type DecodedMessage,
  decodeMessage,
  encodeMessage,
  FLAG,
  type Message,
  OPCODE,
  opcodeOf,
  RCODE,
  TYPE,
} from "../../dns/wire.ts";
import { ConfigError, ProviderError } from "../../errors.ts";
import { memoryLogger } from "../../platform/log.ts";
import type { ProviderContext } from "../provider.ts";
import { Rfc2136Provider } from "./provider.ts";
import type { Rfc2136Config } from "./schema.ts";

const SECRET = Buffer.alloc(32, 9).toString("base64");
const KEY = new TsigKey("homing-key", "hmac-sha256", Buffer.alloc(32, 9));

type Reply =
  | {
      rcode: number;
      answer?: Message["answer"];
      sign?: "valid" | "none" | "bad" | "no-mac";
      tsigError?: number;
    }
  | "silence";

interface Scripted {
  server: string;
  requests: DecodedMessage[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

/** A UDP DNS server answering each request with `script(request, n)`. */
async function scripted(script: (request: DecodedMessage, n: number) => Reply): Promise<Scripted> {
  const socket: UdpSocket = createSocket("udp4");
  await new Promise<void>((ok) => socket.bind(0, "127.0.0.1", ok));
  const requests: DecodedMessage[] = [];
  socket.on("message", (wire, from) => {
    const request = decodeMessage(wire);
    requests.push(request);
    const reply = script(request, requests.length);
    if (reply === "silence") return;
    const body = encodeMessage({
      id: request.id,
      flags: FLAG.QR | FLAG.AA | (opcodeOf(request.flags) << 11) | reply.rcode,
      question: request.question,
      answer: reply.answer ?? [],
      authority: [],
      additional: [],
    });
    const requestMac = findTsig(wire, request)?.record.mac ?? Buffer.alloc(0);
    let out = body;
    const sign = reply.sign ?? "valid";
    if (sign === "valid" || sign === "bad") {
      const key = sign === "valid" ? KEY : new TsigKey("homing-key", "hmac-sha256", Buffer.alloc(32, 1));
      out = signMessage(body, key, {
        now: () => Date.now() / 1000,
        requestMac,
        error: reply.tsigError ?? 0,
      }).wire;
    } else if (sign === "no-mac") {
      const rr = Buffer.concat([
        Buffer.from("0a686f6d696e672d6b657900", "hex"),
        Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, 29]),
        Buffer.from("0b686d61632d73686132353600", "hex"),
        Buffer.from([0, 0, 0, 0, 0, 0, 0x01, 0x2c, 0, 0]),
        Buffer.from([request.id >> 8, request.id & 0xff, 0, reply.tsigError ?? 0, 0, 0]),
      ]);
      out = Buffer.concat([body, rr]);
      out.writeUInt16BE(1, 10);
    }
    socket.send(out, from.port, from.address);
  });
  const result = {
    server: `127.0.0.1:${socket.address().port}`,
    requests,
    close: () => new Promise<void>((ok) => socket.close(() => ok())),
  };
  cleanups.push(result.close);
  return result;
}

function context(
  logger = memoryLogger("debug"),
  secret = SECRET,
): ProviderContext & { logger: typeof logger } {
  return {
    logger,
    sleep: async () => undefined,
    random: () => 0,
    secret: async () => new Secret(secret, "file /etc/homing/tsig.secret"),
  };
}

function config(server: string, extra: Partial<Rfc2136Config> = {}): Rfc2136Config {
  return {
    type: "rfc2136",
    server,
    zone: "example.com",
    key_name: "homing-key",
    key_secret_file: "/etc/homing/tsig.secret",
    ttl: 300,
    transport: "udp",
    timeout: "1s",
    ...extra,
  };
}

const signal = () => AbortSignal.timeout(10_000);
const A = (value: string) => ({
  name: "home.example.com",
  type: TYPE.A,
  class: CLASS.IN,
  ttl: 300,
  rdata: Buffer.from(value.split(".").map(Number)),
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("replies that cannot be trusted", () => {
  it("an unsigned REFUSED to a signed update (PowerDNS style) is an auth failure, never success", async () => {
    const dns = await scripted((request) =>
      opcodeOf(request.flags) === OPCODE.UPDATE
        ? { rcode: RCODE.REFUSED, sign: "none" }
        : { rcode: RCODE.NOERROR },
    );
    const provider = await Rfc2136Provider.create("ns", config(dns.server), context());
    const error = await failure(
      provider.replace(
        { name: "home.example.com", type: "A", add: "81.2.69.142", remove: [] },
        { signal: signal() },
      ),
    );
    expect(error.kind).toBe("auth");
    expect(error.message).toMatch(
      /refused the update of home\.example\.com A to 81\.2\.69\.142 with an unsigned reply/,
    );
  });

  it("an unsigned NOERROR to a signed update is not a success either", async () => {
    const dns = await scripted(() => ({ rcode: RCODE.NOERROR, sign: "none" }));
    const provider = await Rfc2136Provider.create("ns", config(dns.server), context());
    const error = await failure(
      provider.replace(
        { name: "home.example.com", type: "A", add: "81.2.69.142", remove: [] },
        { signal: signal() },
      ),
    );
    expect(error.kind).toBe("auth");
    expect(error.message).toMatch(/NOERROR\) without signing the reply, so homing cannot trust it/);
  });

  it("a reply signed with another secret is rejected, whatever its rcode says", async () => {
    const dns = await scripted(() => ({ rcode: RCODE.NOERROR, answer: [A("81.2.69.142")], sign: "bad" }));
    const provider = await Rfc2136Provider.create("ns", config(dns.server), context());
    const error = await failure(provider.list(["home.example.com"], { signal: signal() }));
    expect(error.kind).toBe("auth");
    expect(error.message).toMatch(/TSIG signature is not valid \(its MAC does not match\)/);
  });

  it("BADSIG without a MAC (as the RFC has it) names the key to check", async () => {
    const dns = await scripted(() => ({
      rcode: RCODE.NOTAUTH,
      sign: "no-mac",
      tsigError: TSIG_ERROR.BADSIG,
    }));
    const provider = await Rfc2136Provider.create("ns", config(dns.server), context());
    const error = await failure(provider.verifyAccess({ signal: signal() }));
    expect(error).toMatchObject({ kind: "auth", code: "NOTAUTH/BADSIG" });
    expect(error.message).toBe(
      `DNS server ${dns.server} rejected the TSIG key "homing-key" (NOTAUTH/BADSIG): check the key name, algorithm (hmac-sha256) and secret (from file /etc/homing/tsig.secret) against the server's key`,
    );
  });

  it("an unsigned BADTIME gives no clock offset", async () => {
    const dns = await scripted(() => ({
      rcode: RCODE.NOTAUTH,
      sign: "no-mac",
      tsigError: TSIG_ERROR.BADTIME,
    }));
    const provider = await Rfc2136Provider.create("ns", config(dns.server), context());
    const error = await failure(provider.verifyAccess({ signal: signal() }));
    expect(error.message).toMatch(
      /BADTIME\), but its reply was not signed, so the clock difference is unknown/,
    );
  });
});

describe("retries and races", () => {
  it("retries SERVFAIL and a silent server, then succeeds", async () => {
    const dns = await scripted((request, n) => {
      if (n === 1) return { rcode: RCODE.SERVFAIL };
      if (n === 2) return "silence";
      return { rcode: RCODE.NOERROR, answer: request.question[0]?.type === TYPE.A ? [A("81.2.69.142")] : [] };
    });
    const ctx = context();
    const provider = await Rfc2136Provider.create("ns", config(dns.server, { timeout: "300ms" }), ctx);
    const rows = await provider.list(["home.example.com"], { signal: signal() });
    expect(rows.map((r) => r.value)).toEqual(["81.2.69.142"]);
    const log = ctx.logger.lines.join("\n");
    expect(log).toMatch(/\(SERVFAIL\).*\(attempt 1 of 3\)/);
    expect(log).toMatch(/did not answer within 0.3 s.*\(attempt 2 of 3\)/);
  });

  it("gives up after 3 attempts with a transient error", async () => {
    const dns = await scripted(() => "silence");
    const provider = await Rfc2136Provider.create("ns", config(dns.server, { timeout: "200ms" }), context());
    const error = await failure(provider.list(["home.example.com"], { signal: signal() }));
    expect(error.kind).toBe("transient");
    expect(error.message).toBe(
      `the A query for home.example.com failed: DNS server ${dns.server} did not answer within 0.2 s; homing retries on the next run`,
    );
    expect(dns.requests).toHaveLength(3);
  });

  it("NXRRSET after a concurrent change is transient and says what the server holds now", async () => {
    let updated = false;
    const dns = await scripted((request) => {
      if (opcodeOf(request.flags) === OPCODE.UPDATE) {
        updated = true;
        return { rcode: RCODE.NXRRSET };
      }
      const type = request.question[0]?.type;
      if (type !== TYPE.A) return { rcode: RCODE.NOERROR };
      return { rcode: RCODE.NOERROR, answer: [A(updated ? "81.2.69.99" : "81.2.69.160")] };
    });
    const provider = await Rfc2136Provider.create("ns", config(dns.server), context());
    const rows = await provider.list(["home.example.com"], { signal: signal() });
    expect(rows).toEqual([
      { name: "home.example.com", type: "A", value: "81.2.69.160", owned: true, ttl: 300 },
    ]);
    const error = await failure(
      provider.replace(
        { name: "home.example.com", type: "A", add: "81.2.69.142", remove: rows },
        { signal: signal() },
      ),
    );
    expect(error.kind).toBe("transient");
    expect(error.message).toMatch(
      /changed at the server while homing was updating them \(now: 81\.2\.69\.99\)/,
    );
    // The update carried the listed value as its prerequisite (compare-and-swap).
    const update = dns.requests.find((r) => opcodeOf(r.flags) === OPCODE.UPDATE);
    expect(update?.answer.map((r) => [r.class, r.value])).toEqual([[CLASS.IN, "81.2.69.160"]]);
  });

  it("a non-authoritative answer (a resolver configured as server) is refused", async () => {
    const dns = await scripted(() => ({ rcode: RCODE.NOERROR }));
    const provider = await Rfc2136Provider.create(
      "ns",
      config(dns.server, { zone: "other.test" }),
      context(),
    );
    await expect(provider.verifyAccess({ signal: signal() })).rejects.toThrow(
      /not authoritative for zone other\.test \(no SOA record in its answer\)/,
    );
  });
});

describe("keys", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function keyFile(text: string, mode = 0o600): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), "homing-rfc2136-"));
    const path = join(dir, "tsig.key");
    await writeFile(path, text, { mode });
    await chmod(path, mode);
    return path;
  }

  const KEYGEN = `key "homing-key" {\n\talgorithm hmac-sha512;\n\tsecret "${Buffer.alloc(64, 3).toString("base64")}";\n};\n`;

  it("reads a tsig-keygen file, registers its secret for redaction and warns about a loose mode", async () => {
    const path = await keyFile(KEYGEN, 0o644);
    const ctx = context();
    const dns = await scripted(() => ({ rcode: RCODE.NOERROR }));
    const provider = await Rfc2136Provider.create(
      "ns",
      { type: "rfc2136", server: dns.server, key_file: path, ttl: 300, transport: "udp", timeout: "1s" },
      ctx,
    );
    expect(ctx.logger.secrets()).toContain(Buffer.alloc(64, 3).toString("base64"));
    expect(ctx.logger.lines.join("\n")).toMatch(
      new RegExp(`TSIG key file ${path} is readable by every user.*chmod 600`),
    );
    // The key signs with the file's algorithm: the scripted server sees an hmac-sha512 TSIG.
    await provider.verifyAccess({ signal: signal() }).catch(() => undefined);
    const request = dns.requests[0] as DecodedMessage;
    expect(request.additional.at(-1)?.name).toBe("homing-key");
    expect(request.additional.at(-1)?.rdata.subarray(0, 13).toString("latin1")).toContain("hmac-sha512");
  });

  it.each([
    [
      "key_file and key_secret together",
      (path: string) => ({ key_file: path, key_secret: SECRET }),
      /set either key_file or key_secret/,
    ],
    [
      "a missing key file",
      () => ({ key_file: "/nonexistent/tsig.key" }),
      /cannot read the key file .*no such file/,
    ],
    [
      "a key_name the file lacks",
      (path: string) => ({ key_file: path, key_name: "other" }),
      /has no key "other" \(it has "homing-key"\)/,
    ],
    [
      "an algorithm that contradicts the file",
      (path: string) => ({ key_file: path, key_algorithm: "hmac-sha256" as const }),
      /key_algorithm says hmac-sha256, but the key file .* says hmac-sha512/,
    ],
    ["a secret without key_name", () => ({ key_secret: SECRET }), /no key_name/],
    [
      "a key_name without a secret",
      () => ({ key_name: "homing-key" }),
      /key_name is set but there is no secret/,
    ],
  ])("refuses %s with a config error", async (_, extra, message) => {
    const path = await keyFile(KEYGEN);
    const error = await Rfc2136Provider.create(
      "ns",
      { type: "rfc2136", server: "127.0.0.1:53", ttl: 300, transport: "udp", timeout: "1s", ...extra(path) },
      context(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it("refuses a secret that is not base64 without quoting it, and warns about a short one", async () => {
    const bad = await Rfc2136Provider.create(
      "ns",
      config("127.0.0.1:53"),
      context(memoryLogger(), "not base64 at all!"),
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/is not base64/);
    expect((bad as Error).message).not.toContain("not base64 at all!");
    const logger = memoryLogger();
    await Rfc2136Provider.create(
      "ns",
      config("127.0.0.1:53"),
      context(logger, Buffer.alloc(8, 1).toString("base64")),
    );
    expect(logger.lines.join("\n")).toMatch(
      /only 8 bytes long, shorter than its hmac-sha256 hash \(32 bytes\)/,
    );
  });

  it("sends unsigned requests when no key is configured, and says so in check", async () => {
    const dns = await scripted((request) => ({
      rcode: RCODE.NOERROR,
      sign: "none",
      answer:
        request.question[0]?.type === TYPE.SOA
          ? [
              {
                name: "example.com",
                type: TYPE.SOA,
                class: CLASS.IN,
                ttl: 300,
                rdata: Buffer.concat([
                  Buffer.from("036e7331076578616d706c6503636f6d00", "hex"),
                  Buffer.from("0a686f73746d6173746572076578616d706c6503636f6d00", "hex"),
                  Buffer.from([0, 0, 0, 42, 0, 0, 14, 16, 0, 0, 2, 88, 0, 1, 81, 128, 0, 0, 0, 60]),
                ]),
              },
            ]
          : [],
    }));
    const provider = await Rfc2136Provider.create(
      "ns",
      { type: "rfc2136", server: dns.server, zone: "example.com", ttl: 300, transport: "udp", timeout: "1s" },
      context(),
    );
    expect(await provider.verifyAccess({ signal: signal() })).toBe(
      "zone example.com answers with SOA serial 42; no TSIG key is configured: queries and updates go unsigned; whether updates are allowed is the server's update policy, which the first update shows",
    );
    expect(dns.requests[0]?.additional).toEqual([]);
  });
});
