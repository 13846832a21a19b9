/**
 * Paged lists, written once: a first request, then each page read with a valibot schema
 * (`parseReply`: a page homing cannot read names the provider, the call and the field) and asked for
 * the next page, which is either more query parameters on the first request (`pageToken`, `skip`,
 * `page`) or an absolute link (`nextLink`). A service that keeps sending pages past `maxPages` is an
 * error, never a loop.
 */
import type * as v from "valibot";
import type { Api, ApiRequest } from "./http.ts";
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

async function collect<S extends v.GenericSchema, T>(
  api: Api,
  first: ApiRequest,
  schema: S,
  read: (page: v.InferOutput<S>, state: PageState) => Page<T>,
  signal: AbortSignal,
  maxPages: number,
): Promise<T[] | null> {
  const out: T[] = [];
  let request = first;
  for (let pages = 1; ; pages++) {
    const { status, body } = await api.json(request, signal);
    if (status < 200 || status >= 300) {
      if (pages === 1) return null;
      throw api.error(
        `${api.label} answered HTTP ${status} for page ${pages} when asked to ${first.what}; homing retries later`,
        "transient",
      );
    }
    const page = read(parseReply(api, schema, body, first.what), { pages, count: out.length });
    out.push(...page.items);
    if (page.next === undefined) return out;
    if (pages >= maxPages)
      throw api.error(
        `${api.label} kept sending pages (more than ${maxPages}) when asked to ${first.what}; homing retries later`,
        "transient",
      );
    request =
      typeof page.next === "string"
        ? { ...first, path: page.next, query: {} }
        : { ...first, query: { ...first.query, ...page.next } };
  }
}
