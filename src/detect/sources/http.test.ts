import { describe, expect, it } from "vitest";
import { createLogger } from "../../platform/log.ts";
import { create, type Requester } from "./http.ts";
import { SourceRefusal } from "./source.ts";

const logger = createLogger({ level: "error", format: "text", write: () => {} });
const signal = new AbortController().signal;

function replying(
  status: number,
  body: string,
  seen: Array<{ url: string; family?: number }> = [],
): Requester {
  return async (url, options) => {
    seen.push({ url: url.href, ...(options.family ? { family: options.family } : {}) });
    return { status, headers: {}, body };
  };
}

describe("the http kind", () => {
  it("a built-in name asks its URL of the family, over that family only", async () => {
    const seen: Array<{ url: string; family?: number }> = [];
    const source = create(
      { kind: "http", builtin: "ipify" },
      { logger, family: "ipv6" },
      replying(200, "2a01:4f8::1\n", seen),
    );
    expect(source).toMatchObject({ kind: "http", name: "ipify", where: "https://api6.ipify.org/" });
    await expect(source.ask("ipv6", { signal, timeoutMs: 1000 })).resolves.toMatchObject({
      address: "2a01:4f8::1",
    });
    expect(seen).toEqual([{ url: "https://api6.ipify.org/", family: 6 }]);
  });

  it("a table names the source and how to read the body; the shown URL hides query values", async () => {
    const source = create(
      {
        kind: "http",
        url: "https://ip.example.net/?key=s3cret",
        format: "json",
        field: "addr",
        name: "mine",
      },
      { logger, family: "ipv4" },
      replying(200, '{"addr":"81.2.69.142"}'),
    );
    expect(source.where).toBe("https://ip.example.net/?key=[redacted]");
    await expect(source.ask("ipv4", { signal, timeoutMs: 1000 })).resolves.toMatchObject({
      address: "81.2.69.142",
    });
  });

  it("a non-200 status is no answer; an unreadable body is a refusal", async () => {
    const context = { logger, family: "ipv4" as const };
    const table = { kind: "http" as const, url: "https://ip.example.net/" };
    await expect(
      create(table, context, replying(500, "oops")).ask("ipv4", { signal, timeoutMs: 1000 }),
    ).rejects.toThrow(/HTTP 500 \("oops"\)/);
    const html = create(table, context, replying(200, "<html>81.2.69.142</html>")).ask("ipv4", {
      signal,
      timeoutMs: 1000,
    });
    await expect(html).rejects.toBeInstanceOf(SourceRefusal);
    await expect(html).rejects.toThrow(/HTML/);
  });

  it("a trace that reports one of Cloudflare's own addresses is a refusal", async () => {
    const source = create(
      { kind: "http", builtin: "cloudflare" },
      { logger, family: "ipv4" },
      replying(200, "ip=104.16.1.1\n"),
    );
    await expect(source.ask("ipv4", { signal, timeoutMs: 1000 })).rejects.toThrow(
      /Cloudflare's own addresses/,
    );
  });
});
