import { describe, expect, it } from "vitest";
import { ProviderError } from "../../errors.ts";
import { memoryLogger } from "../../platform/log.ts";
import { Api } from "./http.ts";
import { allPages } from "./paging.ts";

const api = new Api({
  id: "p",
  label: "Paged",
  endpoint: new URL("http://127.0.0.1/"),
  timeoutMs: 1000,
  context: {
    sleep: async () => {},
    random: () => 0.5,
    logger: memoryLogger(),
  },
  secrets: [],
  authHelp: "",
});

describe("allPages", () => {
  it("collects every page by number until there is no next", async () => {
    const pages = [[1, 2], [3, 4], [5]];
    const asked: number[] = [];
    const items = await allPages(api, "list", 1, async (page: number) => {
      asked.push(page);
      return { items: pages[page - 1] ?? [], next: page < pages.length ? page + 1 : undefined };
    });
    expect(items).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual([1, 2, 3]);
  });

  it("follows opaque cursors and stops on an empty one", async () => {
    const next: Record<string, string> = { "": "a", a: "b", b: "" };
    const items = await allPages(api, "list", "", async (cursor: string) => ({
      items: [cursor || "start"],
      next: next[cursor] ?? "",
    }));
    expect(items).toEqual(["start", "a", "b"]);
  });

  it("reports a cursor handed back twice instead of looping", async () => {
    const promise = allPages(api, "list the records", 1, async () => ({ items: [1], next: 1 }));
    await expect(promise).rejects.toBeInstanceOf(ProviderError);
    await expect(promise).rejects.toThrow(
      /Paged sent a reply homing cannot read when asked to list the records: the pages do not end/,
    );
  });

  it("stops after maxPages", async () => {
    const promise = allPages(api, "list", 1, async (page: number) => ({ items: [page], next: page + 1 }), 3);
    await expect(promise).rejects.toThrow(/more than 3 pages/);
  });
});
