import { decideAddress, type SourceAnswer } from "../core/consensus.ts";
import type { IpFamily } from "../core/ip.ts";
import { excerpt, parseSourceBody, type SourceFormat } from "../core/source-body.ts";
import { type HttpRequestOptions, type HttpResponse, httpRequest } from "../http/request.ts";
import { linkedController } from "../platform/abort.ts";
import { builtinSource } from "./builtin-sources.ts";

/** A source's part in a detection, for `homing detect` and the report. */
export interface SourceReport {
  source: string;
  /** The full URL as `shownUrl` redacts it: no user info, query values replaced. */
  url: string;
  verdict: "agreed" | "minority" | "answered" | "rejected" | "failed" | "not needed";
  address?: string;
  reason?: string;
  hint?: string;
  ms?: number;
}

export type FamilyDetection =
  | { family: IpFamily; status: "known"; address: string; sources: SourceReport[] }
  | { family: IpFamily; status: "unavailable"; reason: string; sources: SourceReport[] };

export interface ResolvedSource {
  name: string;
  url: URL;
  format: SourceFormat;
  field: string;
}

/**
 * A detection source as detect needs it: a built-in name or a URL, or a table naming how to read the
 * body. Detect defines this; the config's source schema produces values of this shape.
 */
export type SourceConfig =
  | string
  | { url: string; format: SourceFormat; field: string; name?: string | undefined };

export function resolveSource(spec: SourceConfig, family: IpFamily): ResolvedSource {
  if (typeof spec === "string") {
    const builtin = /^https?:/i.test(spec) ? undefined : builtinSource(spec);
    if (builtin) {
      return {
        name: builtin.name,
        url: new URL(builtin.url[family]),
        format: builtin.format,
        field: builtin.field ?? "ip",
      };
    }
    const url = new URL(spec);
    return { name: url.host, url, format: "text", field: "ip" };
  }
  const url = new URL(spec.url);
  return { name: spec.name ?? url.host, url, format: spec.format, field: spec.field };
}

/**
 * A source URL fit to show on the status page and in reports: scheme, host, port and path (two
 * sources on one host differ there), the query's names with every value "[redacted]" (a value may
 * be a token), no user info, no fragment.
 */
export function shownUrl(url: URL): string {
  const names = [...url.searchParams.keys()];
  const query = names.length > 0 ? `?${names.map((name) => `${name}=[redacted]`).join("&")}` : "";
  return `${url.origin}${url.pathname}${query}`;
}

export type Requester = (url: URL, options: HttpRequestOptions) => Promise<HttpResponse>;

/** Bodies of real echo services are tens of bytes; a trace is ~300. Anything near this is not one. */
const MAX_SOURCE_BYTES = 4096;

/**
 * Asks every source of one family at once, over that family only, and settles on an address by
 * consensus (core/consensus.ts). Returns as soon as the outcome cannot change, cancelling sources
 * that are still pending, so one hung source never stalls a run that already has its quorum.
 */
export async function detectFamily(
  family: IpFamily,
  options: {
    sources: readonly SourceConfig[];
    quorum: number;
    timeoutMs: number;
    signal?: AbortSignal;
    request?: Requester;
  },
): Promise<FamilyDetection> {
  const request = options.request ?? httpRequest;
  const sources = options.sources.map((spec) => resolveSource(spec, family));
  const { controller, dispose } = linkedController(options.signal);
  const signal = controller.signal;
  const reports: SourceReport[] = sources.map((source) => ({
    source: source.name,
    url: shownUrl(source.url),
    verdict: "not needed",
  }));
  const answers: SourceAnswer[] = [];
  let settledCount = 0;

  const result = await new Promise<ReturnType<typeof decideAddress>>((resolve) => {
    const check = () => {
      const final = settledCount === sources.length;
      const decision = decideAddress(answers, { quorum: options.quorum, total: sources.length, final });
      if (decision.kind !== "pending") resolve(decision);
    };
    sources.forEach((source, index) => {
      const report = reports[index] as SourceReport;
      const started = Date.now();
      request(source.url, {
        family: family === "ipv4" ? 4 : 6,
        timeoutMs: options.timeoutMs,
        maxBytes: MAX_SOURCE_BYTES,
        signal,
        headers: { accept: source.format === "json" ? "application/json" : "text/plain" },
      })
        .then((response) => {
          report.ms = Math.round(Date.now() - started);
          if (response.status !== 200) {
            report.verdict = "failed";
            report.reason =
              `HTTP ${response.status}` + (response.body ? ` ("${excerpt(response.body, 40)}")` : "");
            return;
          }
          const verdict = parseSourceBody(response.body, {
            family,
            format: source.format,
            field: source.field,
          });
          if (verdict.ok) {
            report.address = verdict.address;
            report.verdict = "agreed";
            answers.push({ source: source.name, address: verdict.address });
          } else {
            report.verdict = "rejected";
            report.reason = verdict.reason;
            if (verdict.hint) report.hint = verdict.hint;
          }
        })
        .catch((error: Error) => {
          if (controller.signal.aborted) return;
          report.ms = Math.round(Date.now() - started);
          report.verdict = "failed";
          report.reason = error.message;
        })
        .finally(() => {
          settledCount++;
          check();
        });
    });
    if (sources.length === 0) check();
  });
  controller.abort();
  dispose();
  if (result.kind === "known") {
    for (const report of reports) {
      if (report.address !== undefined && report.address !== result.address) report.verdict = "minority";
    }
    return { family, status: "known", address: result.address, sources: reports };
  }
  for (const report of reports) if (report.verdict === "agreed") report.verdict = "answered";
  return {
    family,
    status: "unavailable",
    reason: result.kind === "unavailable" ? result.reason : "detection did not finish",
    sources: reports,
  };
}
