import { describe, expect, it } from "vitest";
import { certificateNames, describeConnectionFailure } from "./connection-failure.ts";

const NOW = new Date("1970-01-01T00:00:42Z");

/** An error shaped like the ones node:tls and node:net emit. */
function nodeError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe("describeConnectionFailure", () => {
  it("names the host asked for and the names the certificate is for", () => {
    const error = nodeError(
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "Hostname/IP does not match certificate's altnames: IP: 1.1.1.1 is not in the cert's list: ",
      {
        host: "1.1.1.1",
        cert: {
          subject: { CN: "proxy.corp.example" },
          subjectaltname: "DNS:proxy.corp.example, DNS:*.corp.example",
        },
      },
    );
    const { text, tls } = describeConnectionFailure(error, { host: "1.1.1.1" });
    expect(tls).toBe(true);
    expect(text).toMatch(
      /^the certificate presented for 1\.1\.1\.1 is for proxy\.corp\.example, \*\.corp\.example: /,
    );
    expect(text).toMatch(/intercepting HTTPS/);
    expect(text).not.toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it("falls back to the subject's CN when the certificate has no alternative names", () => {
    expect(certificateNames({ subject: { CN: "old.example" } })).toEqual(["old.example"]);
    expect(certificateNames({ subjectaltname: "IP Address:10.0.0.1, DNS:a.example" })).toEqual([
      "10.0.0.1",
      "a.example",
    ]);
    expect(certificateNames(null)).toEqual([]);
  });

  it.each([
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate", /presented a self-signed certificate/],
    ["SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain", /ends at a self-signed CA/],
    [
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "unable to get local issuer certificate",
      /a CA Node does not trust/,
    ],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate", /intermediate certificate/],
  ])("%s: advises NODE_EXTRA_CA_CERTS, never turning verification off", (code, message, what) => {
    const { text, tls } = describeConnectionFailure(nodeError(code, message), { host: "api.example.com" });
    expect(tls).toBe(true);
    expect(text).toMatch(/^api\.example\.com presented /);
    expect(text).toMatch(what);
    expect(text).toContain(`(${code})`);
    expect(text).toContain("NODE_EXTRA_CA_CERTS=/path/to/ca.pem");
    expect(text).toMatch(/Environment=NODE_EXTRA_CA_CERTS=/);
    expect(text).toMatch(/reads it only at start/);
    expect(text).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED|rejectUnauthorized/);
  });

  it("points at the clock for expired and not-yet-valid certificates", () => {
    const expired = describeConnectionFailure(nodeError("CERT_HAS_EXPIRED", "certificate has expired"), {
      host: "h.example",
      now: NOW,
    });
    expect(expired.text).toMatch(
      /^the certificate of h\.example has expired \(CERT_HAS_EXPIRED\), or this machine's clock is wrong \(it says 1970-01-01T00:00:42\.000Z\)/,
    );
    expect(expired.text).toMatch(/Raspberry Pi/);
    const early = describeConnectionFailure(nodeError("CERT_NOT_YET_VALID", "certificate is not yet valid"), {
      host: "h.example",
      now: NOW,
    });
    expect(early.text).toMatch(/not valid yet .*clock is most likely behind \(it says 1970/);
    expect(early.text).toMatch(/time-sync\.target/);
  });

  it("recognises TLS spoken to a plain-HTTP port, in Node 20's form and in the newer code", () => {
    const old = nodeError(
      "EPROTO",
      "write EPROTO 808C02FDD87F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n",
    );
    const newer = nodeError("ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number");
    for (const error of [old, newer]) {
      const { text, tls } = describeConnectionFailure(error, { host: "127.0.0.1" });
      expect(tls).toBe(true);
      expect(text).toMatch(/did not answer in TLS .*plain HTTP \(use http:\/\//);
    }
  });

  it("gives OpenSSL's reason for other handshake failures", () => {
    const error = nodeError(
      "EPROTO",
      "C0:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1584:SSL alert number 40\n",
    );
    expect(describeConnectionFailure(error, { host: "h" }).text).toMatch(/^the TLS handshake failed \(/);
  });

  it("keeps plain network errors short, and unknown codes by name", () => {
    expect(
      describeConnectionFailure(nodeError("ECONNREFUSED", "connect ECONNREFUSED"), { host: "h" }),
    ).toEqual({
      text: "connection refused",
      tls: false,
    });
    expect(describeConnectionFailure(nodeError("EPERM", "x"), { host: "h" }).text).toBe("EPERM");
    expect(describeConnectionFailure(nodeError("constructor", "x"), { host: "h" }).text).toBe("constructor");
    expect(describeConnectionFailure(new Error("socket hang up"), { host: "h" }).text).toBe("socket hang up");
    expect(describeConnectionFailure("odd", { host: "h" }).text).toBe("odd");
  });
});
