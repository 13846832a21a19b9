import { createServer } from "node:http";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getOrNull } from "./found.ts";
import { Api } from "./http.ts";

const replies: Record<string, [number, string]> = {
  "/there": [200, '{"id":"z1"}'],
  "/missing": [404, '{"detail":"Not found."}'],
  "/odd": [200, '{"id":7}'],
  "/denied": [403, '{"detail":"no"}'],
};
const server = createServer((request, response) => {
  const [status, body] = replies[request.url ?? ""] ?? [500, ""];
  response.writeHead(status, { "content-type": "application/json" }).end(body);
});
let api: Api;
const signal = new AbortController().signal;
const Zone = v.object({ id: v.string() });

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const silent = {
    debug() {},
    info() {},
    notice() {},
    warn() {},
    error() {},
    addSecret() {},
    secrets: () => [],
  };
  api = new Api({
    id: "t",
    label: "Test",
    endpoint: new URL(`http://127.0.0.1:${port}/`),
    timeoutMs: 5000,
    context: { sleep: async () => {}, random: () => 0, logger: silent as never },
    secrets: [],
    authHelp: "fix the token",
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("getOrNull", () => {
  it("reads a found reply with its schema", async () => {
    expect(await getOrNull(api, { path: "there", what: "look" }, Zone, signal)).toEqual({ id: "z1" });
  });

  it("answers null for a 404", async () => {
    expect(await getOrNull(api, { path: "missing", what: "look" }, Zone, signal)).toBeNull();
  });

  it("names the field of a reply it cannot read, and keeps other refusals", async () => {
    await expect(getOrNull(api, { path: "odd", what: "look" }, Zone, signal)).rejects.toThrow(
      /cannot read.*id/,
    );
    await expect(getOrNull(api, { path: "denied", what: "look" }, Zone, signal)).rejects.toMatchObject({
      kind: "auth",
    });
  });
});
