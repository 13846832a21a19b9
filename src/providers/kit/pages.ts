/**
 * Paged lists, written once: a first request, then each page read with a valibot schema
 * (`parseReply`: a page homing cannot read names the provider, the call and the field) and asked for
 * the next page, which is either more query parameters on the first request (`pageToken`, `skip`,
 * `page`) or an absolute link (`nextLink`). A service that keeps sending pages past `maxPages` is an
 * error, never a loop.
 */
import type * as v from "valibot";
import type { Api, ApiRequest } from "./http.ts";
import { allPages as eachPage } from "./paging.ts";
import { parseReply } from "./reply.ts";

export interface PageState {
  /** Pages read so far, this one included (1 on the first page). */
  pages: number;
  /** Items read before this page. */
  count: number;
}

export interface Page<T> {
  items: readonly T[];
  /** The next page: query parameters merged into the first request, or an absolute URL; none: done. */
  next?: ApiRequest["query"] | string | undefined;
}

export async function allPages<S extends v.GenericSchema, T>(
  api: Api,
  first: ApiRequest,
  schema: S,
  read: (page: v.InferOutput<S>, state: PageState) => Page<T>,
  signal: AbortSignal,
  maxPages = 1000,
): Promise<T[]> {
  return (await collect(api, { ...first, accept: [] }, schema, read, signal, maxPages)) ?? [];
}

/**
 * `allPages`, or null when the first page answers one of `first.accept` (a 404 for a zone the
 * account does not have): the list does not exist.
 */
export function pagesIfPresent<S extends v.GenericSchema, T>(
  api: Api,
  first: ApiRequest & { accept: readonly number[] },
  schema: S,
  read: (page: v.InferOutput<S>, state: PageState) => Page<T>,
  signal: AbortSignal,
  maxPages = 1000,
): Promise<T[] | null> {
  return collect(api, first, schema, read, signal, maxPages);
}

/** Request-level paging on top of the one page loop (`paging.ts`, which also stops a loop of pages). */
async function collect<S extends v.GenericSchema, T>(
  api: Api,
  first: ApiRequest,
  schema: S,
  read: (page: v.InferOutput<S>, state: PageState) => Page<T>,
  signal: AbortSignal,
  maxPages: number,
): Promise<T[] | null> {
  let pages = 0;
  let count = 0;
  let absent = false;
  const start = JSON.stringify({ path: first.path, query: first.query ?? {} });
  const items = await eachPage<T, string>(
    api,
    first.what,
    start,
    async (cursor) => {
      pages++;
      const at = JSON.parse(cursor) as { path: string; query: NonNullable<ApiRequest["query"]> };
      const { status, body } = await api.json({ ...first, ...at }, signal);
      if (status < 200 || status >= 300) {
        if (pages === 1) {
          absent = true;
          return { items: [], next: undefined };
        }
        throw api.error(
          `${api.label} answered HTTP ${status} for page ${pages} when asked to ${first.what}; homing retries later`,
          "transient",
        );
      }
      const page = read(parseReply(api, schema, body, first.what), { pages, count });
      count += page.items.length;
      const next =
        page.next === undefined
          ? undefined
          : typeof page.next === "string"
            ? JSON.stringify({ path: page.next, query: {} })
            : JSON.stringify({ path: first.path, query: { ...first.query, ...page.next } });
      return { items: page.items, next };
    },
    maxPages,
  );
  return absent ? null : items;
}
