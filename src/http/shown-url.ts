/**
 * A URL fit to show in a report, on the status page or in a debug line: scheme, host, port and
 * path (two sources on one host differ there), the query's names with every value "[redacted]" (a
 * value may be a token), no user info, no fragment. A secret in the path (a DuckDNS-style token,
 * FreeDNS's /u/{token}/) is left to the logger's redaction of registered secrets.
 */
export function shownUrl(url: URL): string {
  const names = [...url.searchParams.keys()];
  const query = names.length > 0 ? `?${names.map((name) => `${name}=[redacted]`).join("&")}` : "";
  return `${url.origin}${url.pathname}${query}`;
}
