import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  decodeSecret,
  findTsig,
  parseAlgorithm,
  parseKeyFile,
  serverTimeOf,
  signMessage,
  TSIG_ALGORITHMS,
  TSIG_ERROR,
  TsigKey,
  verifyMessage,
} from "./tsig.ts";
import { CLASS, decodeMessage, encodeMessage, OPCODE, requestFlags, TYPE } from "./wire.ts";

/**
 * Fixtures captured from real implementations (see the describe blocks): BIND's `nsupdate -v -k`
 * sending "update delete home.example.test. A" + "update add home.example.test. 60 A 203.0.113.5",
 * and BIND 9.18 `named` answering queries signed by homing.
 */
const NSUPDATE_SHA256 = {
  keyFile:
    'key "Fixture-Key" {\n\talgorithm hmac-sha256;\n\tsecret "aG9taW5nLWZpeHR1cmUtc2VjcmV0LTAxMjM0NTY3ODk=";\n};\n',
  wire: "ab8828000001000000020001076578616d706c650474657374000006000104686f6d65c00c000100ff000000000000c01e000100010000003c0004cb0071050b666978747572652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b09bf70012c0020e3c610bce51728c45a80b5217daf15116c4bc02318dd2067cba3a9435f924ba0ab8800000000",
};
const NSUPDATE_MD5 = {
  keyFile: 'key "md5-key" {\n\talgorithm hmac-md5;\n\tsecret "bWQ1LWZpeHR1cmUtMDEyMw==";\n};\n',
  wire: "8c8828000001000000020001076578616d706c650474657374000006000104686f6d65c00c000100ff000000000000c01e000100010000003c0004cb007105076d64352d6b65790000fa00ff00000000003a08686d61632d6d6435077369672d616c670372656703696e740000006b09bf73012c0010628c4f329b6df49afb5cab3bc755d5e28c8800000000",
};
const BIND_SECRET = "yzrtPBUnGJYb1PDKZPxGuhctvHpkhSAC1W7ZSaC1rQQ=";
const BIND_OK = {
  timeSigned: 1795800953,
  requestMac: "7b7cc01d635aa921e46e5a9b17fcc4120738f6712c8d2a80748b203add317c29",
  response:
    "12348400000100010001000204686f6d65076578616d706c6504746573740000010001c00c000100010000012c0004c0000201c011000200010000012c0006036e7331c011c03f000100010000012c00047f0000010b666978747572652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b09bf79012c002029ecd0bd890ed7a0a0cc9bc52238f81bbc826497f374c5b5e1f8a1fd48415e8f123400000000",
};
/** BIND's BADTIME answer to a query signed 1000 s in the past: signed, Other Data = server time. */
const BIND_BADTIME = {
  timeSigned: 1795799953,
  requestMac: "454445c5a1f9139f558049e3e8152e52719f44955ca2a71fc0da2040b4bbc6d7",
  response:
    "12348009000100000000000104686f6d65076578616d706c65047465737400000100010b666978747572652d6b65790000fa00ff0000000000430b686d61632d7368613235360000006b09bb91012c00201ae09c751247b73beaad30c6336e2d78a7325e334fa491d1c5aae160ae1dfa3b12340012000600006b09bf79",
};

function keyFrom(file: string, name?: string): TsigKey {
  const [entry] = parseKeyFile(file);
  if (!entry) throw new Error("no key");
  return new TsigKey(
    name ?? entry.name,
    parseAlgorithm(entry.algorithm) as TsigKey["algorithm"],
    decodeSecret(entry.secret) as Buffer,
  );
}

function query(id = 0x4242): Buffer {
  return encodeMessage({
    id,
    flags: requestFlags(OPCODE.QUERY),
    question: [{ name: "home.example.com", type: TYPE.A, class: CLASS.IN }],
    answer: [],
    authority: [],
    additional: [],
  });
}

const fixedNow = (t: number) => () => t;

describe("interoperability with BIND", () => {
  it.each([
    ["hmac-sha256", NSUPDATE_SHA256],
    ["hmac-md5 (hmac-md5.sig-alg.reg.int on the wire)", NSUPDATE_MD5],
  ])("verifies the MAC of an UPDATE nsupdate signed with %s (compressed body)", (_, fixture) => {
    const wire = Buffer.from(fixture.wire, "hex");
    const message = decodeMessage(wire);
    const key = keyFrom(fixture.keyFile);
    const verdict = verifyMessage(wire, message, key, { now: fixedNow(0), ignoreTime: true });
    expect(verdict.status).toBe("valid");
    // The time check applies without ignoreTime: 300 s fudge around the signing time.
    const t = findTsig(wire, message)?.record.timeSigned as number;
    expect(verifyMessage(wire, message, key, { now: fixedNow(t + 300) }).status).toBe("valid");
    expect(verifyMessage(wire, message, key, { now: fixedNow(t + 301) })).toMatchObject({
      status: "invalid",
      reason: expect.stringMatching(/301 s ago/),
    });
  });

  it("key names are compared in canonical form (the file says Fixture-Key, nsupdate sends fixture-key)", () => {
    const wire = Buffer.from(NSUPDATE_SHA256.wire, "hex");
    const key = keyFrom(NSUPDATE_SHA256.keyFile);
    expect(key.name).toBe("Fixture-Key");
    expect(findTsig(wire, decodeMessage(wire))?.record.keyName).toBe("fixture-key");
    expect(verifyMessage(wire, decodeMessage(wire), key, { now: fixedNow(0), ignoreTime: true }).status).toBe(
      "valid",
    );
  });

  it("signs byte for byte like nsupdate, given the same message, ID and time", () => {
    const wire = Buffer.from(NSUPDATE_SHA256.wire, "hex");
    const message = decodeMessage(wire);
    const tsig = findTsig(wire, message);
    if (!tsig) throw new Error("no TSIG");
    const body = Buffer.from(wire.subarray(0, tsig.offset));
    body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
    const key = keyFrom(NSUPDATE_SHA256.keyFile, "fixture-key");
    const signed = signMessage(body, key, { now: fixedNow(tsig.record.timeSigned) });
    expect(signed.wire.toString("hex")).toBe(NSUPDATE_SHA256.wire);
    expect(signed.mac.equals(tsig.record.mac)).toBe(true);
  });

  it("verifies BIND's signed reply, whose MAC covers the request MAC and compressed body", () => {
    const wire = Buffer.from(BIND_OK.response, "hex");
    const key = new TsigKey("fixture-key", "hmac-sha256", decodeSecret(BIND_SECRET) as Buffer);
    const requestMac = Buffer.from(BIND_OK.requestMac, "hex");
    const verdict = verifyMessage(wire, decodeMessage(wire), key, {
      now: fixedNow(BIND_OK.timeSigned),
      requestMac,
    });
    expect(verdict.status).toBe("valid");
    // Without the request MAC (or with another one) the same reply does not verify.
    expect(verifyMessage(wire, decodeMessage(wire), key, { now: fixedNow(BIND_OK.timeSigned) }).status).toBe(
      "invalid",
    );
    const otherMac = Buffer.from(BIND_BADTIME.requestMac, "hex");
    expect(
      verifyMessage(wire, decodeMessage(wire), key, {
        now: fixedNow(BIND_OK.timeSigned),
        requestMac: otherMac,
      }).status,
    ).toBe("invalid");
  });

  it("reads the server's clock from BIND's signed BADTIME answer", () => {
    const wire = Buffer.from(BIND_BADTIME.response, "hex");
    const key = new TsigKey("fixture-key", "hmac-sha256", decodeSecret(BIND_SECRET) as Buffer);
    const verdict = verifyMessage(wire, decodeMessage(wire), key, {
      now: fixedNow(BIND_BADTIME.timeSigned),
      requestMac: Buffer.from(BIND_BADTIME.requestMac, "hex"),
    });
    expect(verdict.status).toBe("valid");
    if (verdict.status !== "valid") return;
    expect(verdict.record.error).toBe(TSIG_ERROR.BADTIME);
    expect(verdict.record.timeSigned).toBe(BIND_BADTIME.timeSigned);
    expect(serverTimeOf(verdict.record)).toBe(BIND_BADTIME.timeSigned + 1000);
  });
});

describe("sign and verify", () => {
  it.each(TSIG_ALGORITHMS)("round-trips a request and a response with %s", (algorithm) => {
    const key = new TsigKey("Homing-Key.", algorithm, Buffer.alloc(64, 7));
    const request = signMessage(query(), key, { now: fixedNow(1_700_000_000) });
    const decoded = decodeMessage(request.wire);
    expect(decoded.additional).toHaveLength(1);
    expect(verifyMessage(request.wire, decoded, key, { now: fixedNow(1_700_000_100) }).status).toBe("valid");
    const reply = encodeMessage({ ...decodeMessage(query()), flags: 0x8400 });
    const response = signMessage(reply, key, { now: fixedNow(1_700_000_001), requestMac: request.mac });
    const verdict = verifyMessage(response.wire, decodeMessage(response.wire), key, {
      now: fixedNow(1_700_000_002),
      requestMac: request.mac,
    });
    expect(verdict.status).toBe("valid");
  });

  it("rejects a changed octet, another secret, another key name and another algorithm", () => {
    const key = new TsigKey("homing-key", "hmac-sha256", Buffer.alloc(32, 1));
    const { wire } = signMessage(query(), key, { now: fixedNow(1000) });
    const now = fixedNow(1000);
    const tampered = Buffer.from(wire);
    tampered[20] = (tampered[20] as number) ^ 1;
    expect(verifyMessage(tampered, decodeMessage(tampered), key, { now })).toMatchObject({
      status: "invalid",
    });
    const otherSecret = new TsigKey("homing-key", "hmac-sha256", Buffer.alloc(32, 2));
    expect(verifyMessage(wire, decodeMessage(wire), otherSecret, { now })).toMatchObject({
      status: "invalid",
      reason: "its MAC does not match",
    });
    const otherName = new TsigKey("other-key", "hmac-sha256", Buffer.alloc(32, 1));
    expect(verifyMessage(wire, decodeMessage(wire), otherName, { now })).toMatchObject({
      status: "invalid",
      reason: expect.stringMatching(/homing-key/),
    });
    const otherAlgorithm = new TsigKey("homing-key", "hmac-sha512", Buffer.alloc(32, 1));
    expect(verifyMessage(wire, decodeMessage(wire), otherAlgorithm, { now })).toMatchObject({
      status: "invalid",
    });
  });

  it("accepts a MAC truncated to at least max(10, L/2) leading octets and refuses shorter ones", () => {
    const key = new TsigKey("homing-key", "hmac-sha256", Buffer.alloc(32, 1));
    const body = query();
    const full = signMessage(body, key, { now: fixedNow(1000) });
    const truncate = (size: number) => {
      const message = decodeMessage(full.wire);
      const tsig = findTsig(full.wire, message);
      if (!tsig) throw new Error("no TSIG");
      const rdata = Buffer.concat([
        Buffer.from("0b686d61632d73686132353600", "hex"),
        Buffer.from([0, 0, 0, 0, 0x03, 0xe8, 0x01, 0x2c]),
        Buffer.from([0, size]),
        full.mac.subarray(0, size),
        Buffer.from([0x42, 0x42, 0, 0, 0, 0]),
      ]);
      const rr = Buffer.concat([
        Buffer.from("0a686f6d696e672d6b657900", "hex"),
        Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, rdata.length]),
        rdata,
      ]);
      return Buffer.concat([full.wire.subarray(0, tsig.offset), rr]);
    };
    const now = fixedNow(1000);
    expect(truncate(32).equals(full.wire)).toBe(true);
    for (const size of [16, 20, 31]) {
      const wire = truncate(size);
      expect(verifyMessage(wire, decodeMessage(wire), key, { now }).status, `size ${size}`).toBe("valid");
    }
    const short = truncate(15);
    expect(verifyMessage(short, decodeMessage(short), key, { now })).toMatchObject({
      status: "invalid",
      reason: expect.stringMatching(/illegal length of 15/),
    });
  });

  it("tells an unsigned message and a TSIG without MAC (BADSIG/BADKEY answers) apart", () => {
    const key = new TsigKey("homing-key", "hmac-sha256", Buffer.alloc(32, 1));
    const plain = query();
    expect(verifyMessage(plain, decodeMessage(plain), key, { now: fixedNow(0) })).toEqual({
      status: "unsigned",
    });
    const noMac = Buffer.concat([
      plain,
      Buffer.from("0a686f6d696e672d6b657900", "hex"),
      Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, 29]),
      Buffer.from("0b686d61632d73686132353600", "hex"),
      Buffer.from([0, 0, 0, 0, 0x03, 0xe8, 0x01, 0x2c, 0, 0, 0x42, 0x42, 0, 16, 0, 0]),
    ]);
    noMac.writeUInt16BE(1, 10);
    const verdict = verifyMessage(noMac, decodeMessage(noMac), key, { now: fixedNow(1000) });
    expect(verdict).toMatchObject({
      status: "no-mac",
      record: { error: TSIG_ERROR.BADSIG, mac: Buffer.alloc(0) },
    });
  });

  it("a key never prints its secret", () => {
    const secret = Buffer.from("super-secret-canary-value-123456");
    const key = new TsigKey("homing-key", "hmac-sha256", secret);
    const shown = `${key} ${JSON.stringify({ key })} ${inspect(key)} ${inspect({ key }, { showHidden: true })}`;
    expect(shown).not.toContain("super-secret");
    expect(shown).not.toContain(secret.toString("base64"));
    expect(shown).toContain("homing-key");
  });
});

describe("key files", () => {
  it("reads tsig-keygen output", () => {
    const text =
      'key "homing-key" {\n\talgorithm hmac-sha256;\n\tsecret "yrJ+Hcil8QtzwiyfOUTKzgm+funpdcRD7UVo6ds9eWs=";\n};\n';
    expect(parseKeyFile(text)).toEqual([
      {
        name: "homing-key",
        algorithm: "hmac-sha256",
        secret: "yrJ+Hcil8QtzwiyfOUTKzgm+funpdcRD7UVo6ds9eWs=",
      },
    ]);
  });

  it("reads ddns-confgen output, ignoring its commented instructions", () => {
    const text = [
      "# To activate this key, place the following in named.conf, and",
      "# in a separate keyfile on the system or systems from which nsupdate",
      "# will be run:",
      'key "ddns-key.example.com" {',
      "\talgorithm hmac-sha256;",
      '\tsecret "8YMjfhnVKVp9EETlileqj/pqR2op7nD9BR8ZjkHABAc=";',
      "};",
      "",
      '# Then, in the "zone" definition statement for "example.com",',
      "# update-policy {",
      "#\t  grant ddns-key.example.com zonesub ANY;",
      "# };",
      "nsupdate -k <keyfile>",
    ].join("\n");
    expect(parseKeyFile(text)).toEqual([
      {
        name: "ddns-key.example.com",
        algorithm: "hmac-sha256",
        secret: "8YMjfhnVKVp9EETlileqj/pqR2op7nD9BR8ZjkHABAc=",
      },
    ]);
  });

  it("keeps '//' inside a quoted secret, drops // and /* */ comments, reads several keys", () => {
    const text = [
      "/* two keys */",
      'key one { algorithm HMAC-MD5.SIG-ALG.REG.INT; secret "ab//cd=="; }; // the old one',
      'key "two" {',
      "  algorithm hmac-sha512; # new",
      '  secret "AAAA',
      '    BBBB";',
      "};",
    ].join("\n");
    expect(parseKeyFile(text)).toEqual([
      { name: "one", algorithm: "HMAC-MD5.SIG-ALG.REG.INT", secret: "ab//cd==" },
      { name: "two", algorithm: "hmac-sha512", secret: "AAAABBBB" },
    ]);
  });

  it.each([
    ["no key statement", "secret only", /no key statement/],
    ["no secret", 'key "k" { algorithm hmac-sha256; };', /"k" has no "secret/],
    ["no algorithm", 'key "k" { secret "AAAA"; };', /"k" has no "algorithm/],
  ])("refuses a file with %s, without quoting any secret", (_, text, message) => {
    expect(() => parseKeyFile(text)).toThrow(message);
  });

  it.each([
    ["hmac-sha256", "hmac-sha256"],
    ["HMAC-SHA512.", "hmac-sha512"],
    ["hmac-md5.sig-alg.reg.int", "hmac-md5"],
    ["hmac-md5", "hmac-md5"],
    ["hmac-sha1", "hmac-sha1"],
    ["gss-tsig", undefined],
  ])("parseAlgorithm(%j) is %j", (text, expected) => {
    expect(parseAlgorithm(text)).toBe(expected);
  });

  it("decodes base64 secrets and refuses other text", () => {
    expect(decodeSecret("aG9taW5n")?.toString()).toBe("homing");
    expect(decodeSecret("not base64!")).toBeUndefined();
    expect(decodeSecret("")).toBeUndefined();
  });
});
