import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import type { ProviderError } from "../../errors.ts";
import { memoryLogger } from "../../platform/log.ts";
import { Api } from "./http.ts";
import { parseXml } from "./xml.ts";
import { callXml, fields, itemsOf, tryParseXml } from "./xml-reply.ts";

const context = {
  sleep: async () => {},
  random: () => 0,
  logger: memoryLogger(),
};

async function serve(body: string) {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/xml" });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const api = new Api({
    id: "t",
    label: "Service",
    endpoint: new URL(`http://127.0.0.1:${port}/`),
    timeoutMs: 5000,
    context,
    secrets: [],
    authHelp: "",
  });
  return { api, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("xml replies", () => {
  it("reads fields and items, leaving missing children out", () => {
    const root = parseXml(
      "<R><Sets><Set><Name>a.</Name></Set><Set><Name>b.</Name><TTL>60</TTL></Set></Sets></R>",
    );
    expect(itemsOf(root, "Sets", "Set").map((set) => fields(set, "Name", "TTL"))).toEqual([
      { Name: "a." },
      { Name: "b.", TTL: "60" },
    ]);
    expect(itemsOf(root, "Missing", "Set")).toEqual([]);
    expect(tryParseXml("<a><b></a>")).toBeUndefined();
  });

  it("answers the root element, and names the provider and the call when the reply is not XML", async () => {
    const good = await serve("<?xml version='1.0'?><Ok><Status>PENDING</Status></Ok>");
    const { root } = await callXml(
      good.api,
      { method: "GET", path: "x", what: "read x" },
      new AbortController().signal,
    );
    expect(fields(root, "Status")).toEqual({ Status: "PENDING" });
    await good.close();
    const bad = await serve("<html><body>oops");
    const error = await callXml(
      bad.api,
      { method: "GET", path: "x", what: "read x" },
      new AbortController().signal,
    ).catch((e: ProviderError) => e);
    expect(String((error as ProviderError).message)).toMatch(
      /^Service sent a reply homing cannot read when asked to read x: not XML/,
    );
    expect((error as ProviderError).kind).toBe("transient");
    await bad.close();
  });
});
