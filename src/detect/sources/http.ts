/**
 * The `http` kind: an HTTP echo service that answers with the address it sees. A built-in name
 * ("cloudflare", "ipify", …), a URL, or `{ url = "…", format = "json", field = "ip" }`.
 */
import { isCloudflareAddress, parseAddress } from "../../core/ip.ts";
import { excerpt, extractSourceValue, type SourceFormat } from "../../core/source-body.ts";
import { type HttpRequestOptions, type HttpResponse, httpRequest } from "../../http/request.ts";
import { shownUrl } from "../../http/shown-url.ts";
import { builtinSource } from "../builtin-sources.ts";
import { type DetectionSource, type SourceContext, SourceRefusal } from "./source.ts";

export type HttpSourceTable = {
  kind: "http";
  name?: string | undefined;
} & ({ builtin: string } | { url: string; format?: SourceFormat | undefined; field?: string | undefined });

export type Requester = (url: URL, options: HttpRequestOptions) => Promise<HttpResponse>;

/** Bodies of real echo services are tens of bytes; a trace is ~300. Anything near this is not one. */
const MAX_SOURCE_BYTES = 4096;

interface Resolved {
  name: string;
  url: URL;
  format: SourceFormat;
  field: string;
}

function resolve(table: HttpSourceTable, context: SourceContext): Resolved {
  if ("builtin" in table) {
    const builtin = builtinSource(table.builtin);
    if (!builtin) throw new Error(`unknown built-in source "${table.builtin}"`);
    return {
      name: table.name ?? builtin.name,
      url: new URL(builtin.url[context.family]),
      format: builtin.format,
      field: builtin.field ?? "ip",
    };
  }
  const url = new URL(table.url);
  return { name: table.name ?? url.host, url, format: table.format ?? "text", field: table.field ?? "ip" };
}

export function create(
  table: HttpSourceTable,
  context: SourceContext,
  request: Requester = httpRequest,
): DetectionSource & { url: string } {
  const source = resolve(table, context);
  const where = shownUrl(source.url);
  return {
    kind: "http",
    name: source.name,
    where,
    url: where,
    async ask(family, { signal, timeoutMs }) {
      const response = await request(source.url, {
        family: family === "ipv4" ? 4 : 6,
        timeoutMs,
        maxBytes: MAX_SOURCE_BYTES,
        signal,
        headers: { accept: source.format === "json" ? "application/json" : "text/plain" },
        purpose: `source ${source.name}`,
      });
      if (response.status !== 200) {
        throw new Error(
          `HTTP ${response.status}` + (response.body ? ` ("${excerpt(response.body, 40)}")` : ""),
        );
      }
      const value = extractSourceValue(response.body, { format: source.format, field: source.field });
      if (!value.ok) throw new SourceRefusal(value.reason);
      // Through a Cloudflare proxy or WARP, the trace reports Cloudflare's address, not this network's.
      const address = parseAddress(value.value);
      if (source.format === "trace" && address && isCloudflareAddress(address)) {
        throw new SourceRefusal(
          `the answer ${address.canonical} is one of Cloudflare's own addresses (WARP or a Cloudflare proxy), not yours`,
        );
      }
      return { address: value.value, evidence: `HTTP 200 from ${where}` };
    },
  };
}
