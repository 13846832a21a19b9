import { createServer } from "node:http";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../errors.ts";
import { memoryLogger } from "../../platform/log.ts";
import { Api } from "./http.ts";
import { allPages, pagesIfPresent } from "./pages.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A service that pages [1..5] two at a time, by `skip`, by `pageToken`, or by `nextLink`. */
async function service() {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    seen.push(`${url.pathname}${url.search}`);
    const from = Number(
      url.searchParams.get("skip") ?? url.searchParams.get("pageToken") ?? url.searchParams.get("at") ?? 0,
    );
    const items = [1, 2, 3, 4, 5].slice(from, from + 2);
    const more = from + 2 < 5;
    const body =
      url.pathname === "/loop"
        ? { items: [], token: "again" }
        : {
            items,
            total: 5,
            ...(more ? { token: String(from + 2), link: `${origin}/link?at=${from + 2}` } : {}),
          };
    response.writeHead(url.pathname === "/missing" ? 404 : 200, { "content-type": "application/json" });
    response.end(JSON.stringify(url.pathname === "/bad" ? { items: "no" } : body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const api = new Api({
    id: "p",
    label: "Service",
    endpoint: new URL(`${origin}/`),
    timeoutMs: 5_000,
    context: { logger: memoryLogger(), random: () => 0.5, sleep: async () => {} },
    secrets: [],
    authHelp: "",
  });
  return { api, seen };
}

const Page = v.object({
  items: v.array(v.number()),
  total: v.optional(v.number()),
  token: v.optional(v.string()),
  link: v.optional(v.string()),
});
const signal = () => new AbortController().signal;

describe("allPages", () => {
  it("follows skip offsets, page tokens and absolute links to the end", async () => {
    const { api, seen } = await service();
    const first = { method: "GET" as const, path: "list", query: { take: 2 }, what: "list things" };
    expect(
      await allPages(
        api,
        first,
        Page,
        (page, { count }) => ({
          items: page.items,
          next:
            count + page.items.length < (page.total ?? 0) ? { skip: count + page.items.length } : undefined,
        }),
        signal(),
      ),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual(["/list?take=2", "/list?take=2&skip=2", "/list?take=2&skip=4"]);
    seen.length = 0;
    expect(
      await allPages(
        api,
        first,
        Page,
        (page) => ({ items: page.items, next: page.token && { pageToken: page.token } }),
        signal(),
      ),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(seen[2]).toBe("/list?take=2&pageToken=4");
    seen.length = 0;
    expect(
      await allPages(api, first, Page, (page) => ({ items: page.items, next: page.link }), signal()),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual(["/list?take=2", "/link?at=2", "/link?at=4"]);
  });

  it("tells a list that is not there (an accepted status on the first page) from an empty one", async () => {
    const { api } = await service();
    const read = (page: { items: number[] }) => ({ items: page.items });
    const missing = { method: "GET" as const, path: "missing", what: "list things", accept: [404] };
    expect(await pagesIfPresent(api, missing, Page, read, signal())).toBeNull();
    expect(await pagesIfPresent(api, { ...missing, path: "list" }, Page, read, signal())).toEqual([1, 2]);
    const failure = await allPages(api, missing, Page, read, signal()).catch((e: unknown) => e);
    expect((failure as ProviderError).kind).toBe("permanent");
  });

  it("names the field of a page it cannot read, and stops a service that never ends", async () => {
    const { api } = await service();
    const bad = await allPages(
      api,
      { method: "GET", path: "bad", what: "list things" },
      Page,
      (page) => ({ items: page.items }),
      signal(),
    ).catch((e: unknown) => e);
    expect((bad as ProviderError).message).toMatch(
      /Service sent a reply homing cannot read when asked to list things: items/,
    );
    const loop = await allPages(
      api,
      { method: "GET", path: "loop", what: "list things" },
      Page,
      (page) => ({ items: page.items, next: { pageToken: page.token } }),
      signal(),
      5,
    ).catch((e: unknown) => e);
    expect(loop).toBeInstanceOf(ProviderError);
    expect((loop as ProviderError).message).toContain("more than 5");
  });
});
