import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { digestAuthorization, parseDigestChallenge } from "./digest.ts";

// RFC 7616 §3.9.1: the worked example, for MD5 and SHA-256.
const EXAMPLE = {
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
};
const header = (algorithm: string) =>
  `Digest realm="${EXAMPLE.realm}", qop="auth, auth-int", algorithm=${algorithm}, nonce="${EXAMPLE.nonce}", opaque="${EXAMPLE.opaque}"`;

function responseOf(authorization: string): string | undefined {
  return /response="([0-9a-f]+)"/.exec(authorization)?.[1];
}

describe("digest auth (RFC 7616)", () => {
  it.each([
    ["MD5", "8ca523f5e9506fed4657c9700eebdbec"],
    ["SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"],
  ])("computes the RFC's %s example", (algorithm, expected) => {
    const challenge = parseDigestChallenge(header(algorithm));
    expect(challenge).toMatchObject({ realm: EXAMPLE.realm, nonce: EXAMPLE.nonce, qop: "auth", algorithm });
    const authorization = digestAuthorization(challenge!, {
      method: "GET",
      uri: "/dir/index.html",
      username: "Mufasa",
      password: "Circle of Life",
      cnonce: EXAMPLE.cnonce,
      nc: 1,
    });
    expect(responseOf(authorization)).toBe(expected);
    expect(authorization).toContain('username="Mufasa"');
    expect(authorization).toContain(`opaque="${EXAMPLE.opaque}"`);
    expect(authorization).toContain("qop=auth, nc=00000001");
    expect(authorization).not.toContain("Circle of Life");
  });

  it("prefers SHA-256 when the server offers both, and reads several headers", () => {
    const both = parseDigestChallenge([header("MD5"), header("SHA-256")]);
    expect(both?.algorithm).toBe("SHA-256");
  });

  it("handles -sess, no qop (RFC 2069) and userhash", () => {
    const sess = parseDigestChallenge('Digest realm="r", nonce="n", algorithm=MD5-sess, qop="auth"')!;
    const md5 = (text: string) => createHash("md5").update(text).digest("hex");
    const ha1 = md5(`${md5("u:r:p")}:n:c`);
    const expected = md5(`${ha1}:n:00000001:c:auth:${md5("POST:/x")}`);
    expect(
      responseOf(
        digestAuthorization(sess, { method: "POST", uri: "/x", username: "u", password: "p", cnonce: "c" }),
      ),
    ).toBe(expected);
    const old = parseDigestChallenge('Digest realm="r", nonce="n"')!;
    expect(old.qop).toBeUndefined();
    expect(
      responseOf(digestAuthorization(old, { method: "GET", uri: "/", username: "u", password: "p" })),
    ).toBe(md5(`${md5("u:r:p")}:n:${md5("GET:/")}`));
    const hashed = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth", userhash=true')!;
    expect(digestAuthorization(hashed, { method: "GET", uri: "/", username: "u", password: "p" })).toContain(
      `username="${md5("u:r")}"`,
    );
  });

  it("refuses what it cannot answer", () => {
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x", nonce="n", qop="auth-int"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x", nonce="n", algorithm=SHA-512-256')).toBeUndefined();
    expect(parseDigestChallenge('Digest nonce="n"')).toBeUndefined();
    expect(parseDigestChallenge(undefined)).toBeUndefined();
  });
});
