import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { Secret } from "../../core/secret.ts";
import type { ProviderError } from "../../errors.ts";
import { logHttpExchanges } from "../../http/exchange-log.ts";
import { memoryLogger } from "../../platform/log.ts";
import type { RecordChange } from "../provider.ts";
import { Api } from "./http.ts";
import { UrlUpdateProvider } from "./url-update.ts";

function api(endpoint = "http://127.0.0.1:1/", secrets: Secret[] = []) {
  const logger = memoryLogger();
  const context = { logger, random: () => 0.5, sleep: async () => {} };
  return {
    logger,
    api: new Api({
      id: "p",
      label: "Svc",
      endpoint: new URL(endpoint),
      timeoutMs: 2000,
      context,
      secrets,
      authHelp: "fix it",
    }),
  };
}

const change = (name: string, type: "A" | "AAAA", add: string): RecordChange => ({
  name,
  type,
  add,
  remove: [],
});
const signal = new AbortController().signal;

describe("UrlUpdateProvider", () => {
  it("groups changes by key into one request and keeps each change's own result", async () => {
    const sent: string[][] = [];
    const provider = new UrlUpdateProvider({
      api: api().api,
      servers: undefined,
      timeoutMs: 1000,
      checkNote: "n",
      removeHelp: "r",
      key: (c) => `${c.type} ${c.add}`,
      async send(changes) {
        sent.push(changes.map((c) => c.name));
        return changes.map((c) =>
          c.name === "b.example.com" ? { error: new Error("not b") } : { unchanged: true },
        );
      },
    });
    const results = await provider.replaceMany(
      [
        change("a.example.com", "A", "1.1.1.1"),
        change("b.example.com", "A", "1.1.1.1"),
        change("a.example.com", "AAAA", "::1"),
      ],
      { signal, unchanged: [] },
    );
    expect(sent).toEqual([["a.example.com", "b.example.com"], ["a.example.com"]]);
    expect(results[0]).toEqual({ unchanged: true });
    expect(String(results[1]?.error)).toContain("not b");
    expect(results[2]).toEqual({ unchanged: true });
  });

  it("refuses before sending, and stops after an auth failure", async () => {
    const { api: svc } = api();
    let sends = 0;
    const provider = new UrlUpdateProvider({
      api: svc,
      servers: undefined,
      timeoutMs: 1000,
      checkNote: "n",
      removeHelp: "delete it on the site",
      refuse: (c) => (c.type === "AAAA" ? svc.error("IPv4 only", "permanent", { halt: "name" }) : undefined),
      async send() {
        sends++;
        throw svc.error("bad password", "auth");
      },
    });
    const results = await provider.replaceMany(
      [
        change("a.example.com", "AAAA", "::1"),
        change("a.example.com", "A", "1.1.1.1"),
        change("b.example.com", "A", "1.1.1.1"),
      ],
      { signal, unchanged: [] },
    );
    expect(sends).toBe(1);
    expect((results[0] as { error: ProviderError }).error.halt).toBe("name");
    expect((results[1] as { error: ProviderError }).error.kind).toBe("auth");
    expect((results[2] as { error: ProviderError }).error.kind).toBe("auth");
    await expect(
      provider.remove({ name: "a.example.com", type: "A", value: "1.1.1.1", owned: true }),
    ).rejects.toThrow(/cannot delete .*delete it on the site/);
  });
});

describe("Api debug line", () => {
  it("redacts a secret that travels in the path from the exchange's debug line", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const token = new Secret("PATHTOKEN12345", "test");
    const { api: svc, logger } = api(`http://127.0.0.1:${port}/u/`, [token]);
    const stop = logHttpExchanges(logger);
    await svc.call({ method: "GET", path: `${token.reveal()}/`, what: "update" }, signal);
    stop();
    server.close();
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^debug: HTTP GET http:\/\/127\.0\.0\.1:\d+\/u\/\[redacted\]\/ -> 200 in \d+ ms \(Svc: update\)$/,
      ),
    );
    expect(logger.lines.join("\n")).toContain("/u/");
    expect(logger.lines.join("\n")).not.toContain("PATHTOKEN");
  });
});
