/**
 * Paged listings, walked once: a provider says how to fetch one page from a cursor (a page number,
 * an opaque cursor, a link) and where the next one is; `allPages` collects every item. A service
 * that hands back a cursor it already gave, or more pages than `maxPages`, is reported as a reply
 * homing cannot read instead of being followed forever.
 */
import type { Api } from "./http.ts";

export interface Page<T, C> {
  items: readonly T[];
  /** The cursor of the next page; undefined (or "", null) on the last one. */
  next: C | undefined | null;
}

export async function allPages<T, C extends string | number>(
  api: Api,
  what: string,
  first: C,
  fetch: (cursor: C) => Promise<Page<T, C>>,
  maxPages = 1000,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<C>();
  let cursor: C | undefined = first;
  while (cursor !== undefined) {
    if (seen.has(cursor) || seen.size >= maxPages)
      throw api.error(
        `${api.label} sent a reply homing cannot read when asked to ${what}: the pages do not end (page ${api.shown(String(cursor), 40)} again or more than ${maxPages} pages); homing retries later`,
        "transient",
      );
    seen.add(cursor);
    const page: Page<T, C> = await fetch(cursor);
    out.push(...page.items);
    cursor = page.next === null || page.next === "" ? undefined : page.next;
  }
  return out;
}
