import { decideAddress, type SourceAnswer } from "../core/consensus.ts";
import type { IpFamily } from "../core/ip.ts";
import { excerpt, parseSourceBody, type SourceFormat } from "../core/source-body.ts";
import { type HttpRequestOptions, type HttpResponse, httpRequest } from "../http/request.ts";
import { linkedController } from "../platform/abort.ts";
import { createLogger, type Logger } from "../platform/log.ts";
import { builtinSource } from "./builtin-sources.ts";
import { createKindSource, type KindSourceConfig, parseKindShorthand } from "./sources/index.ts";
import { type DetectionSource, SourceRefusal } from "./sources/source.ts";

/** A source's part in a detection, for `homing detect` and the report. */
export interface SourceReport {
  source: string;
  /** "http" for an echo service; otherwise the source's kind ("interface", …). */
  kind?: string;
  /** The full URL as `shownUrl` redacts it: no user info, query values replaced. */
  url: string;
  verdict: "agreed" | "minority" | "answered" | "rejected" | "failed" | "not needed";
  address?: string;
  reason?: string;
  hint?: string;
  /** What backs the answer ("eth0, permanent, preferred 86400 s"), for kinds that say. */
  evidence?: string;
  /** Something the user should know about an accepted answer (the echo guard replaced a temporary address). */
  note?: string;
  ms?: number;
}

/**
 * Looks at an echo source's valid IPv6 answer before it counts (the temporary-address guard,
 * detect/temporary-guard.ts): keep it, refuse it, or replace it with another address.
 */
export type AnswerGuard = (
  address: string,
  options: { signal: AbortSignal; timeoutMs: number },
) => Promise<
  | { kind: "keep" }
  | { kind: "refuse"; reason: string; hint?: string }
  | { kind: "replace"; address: string; note: string }
>;

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
  | { url: string; format: SourceFormat; field: string; name?: string | undefined }
  | KindSourceConfig;

function kindConfigOf(spec: SourceConfig): KindSourceConfig | undefined {
  if (typeof spec === "string") return /^https?:/i.test(spec) ? undefined : parseKindShorthand(spec);
  return "kind" in spec ? spec : undefined;
}

export function resolveSource(
  spec: string | { url: string; format: SourceFormat; field: string; name?: string | undefined },
  family: IpFamily,
): ResolvedSource {
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
    /** Checks echo sources' IPv6 answers (the temporary-address guard). */
    guard?: AnswerGuard;
    logger?: Logger;
  },
): Promise<FamilyDetection> {
  const request = options.request ?? httpRequest;
  const sources = options.sources.map((spec) => {
    const kindConfig = kindConfigOf(spec);
    if (kindConfig)
      return {
        kind: createKindSource(kindConfig, {
          logger: options.logger ?? createLogger({ level: "error", format: "text", write: () => {} }),
        }),
      };
    return { http: resolveSource(spec as Exclude<SourceConfig, KindSourceConfig>, family) };
  });
  const { controller, dispose } = linkedController(options.signal);
  const signal = controller.signal;
  const reports: SourceReport[] = sources.map((source) =>
    source.kind
      ? { source: source.kind.name, kind: source.kind.kind, url: source.kind.where, verdict: "not needed" }
      : { source: source.http.name, kind: "http", url: shownUrl(source.http.url), verdict: "not needed" },
  );
  const answers: SourceAnswer[] = [];
  let settledCount = 0;

  const askHttp = async (source: ResolvedSource, report: SourceReport): Promise<void> => {
    const response = await request(source.url, {
      family: family === "ipv4" ? 4 : 6,
      timeoutMs: options.timeoutMs,
      maxBytes: MAX_SOURCE_BYTES,
      signal,
      headers: { accept: source.format === "json" ? "application/json" : "text/plain" },
    });
    if (response.status !== 200) {
      report.verdict = "failed";
      report.reason = `HTTP ${response.status}` + (response.body ? ` ("${excerpt(response.body, 40)}")` : "");
      return;
    }
    const verdict = parseSourceBody(response.body, { family, format: source.format, field: source.field });
    if (!verdict.ok) {
      report.verdict = "rejected";
      report.reason = verdict.reason;
      if (verdict.hint) report.hint = verdict.hint;
      return;
    }
    let address = verdict.address;
    if (family === "ipv6" && options.guard) {
      const guarded = await options.guard(address, { signal, timeoutMs: options.timeoutMs });
      if (guarded.kind === "refuse") {
        report.verdict = "rejected";
        report.address = address;
        report.reason = guarded.reason;
        if (guarded.hint) report.hint = guarded.hint;
        return;
      }
      if (guarded.kind === "replace") {
        address = guarded.address;
        report.note = guarded.note;
      }
    }
    report.address = address;
    report.verdict = "agreed";
    answers.push({ source: source.name, address });
  };

  const askKind = async (source: DetectionSource, report: SourceReport): Promise<void> => {
    try {
      const answer = await source.ask(family, { signal, timeoutMs: options.timeoutMs });
      report.evidence = answer.evidence;
      const text = answer.address ?? answer.prefix?.address;
      if (text === undefined) throw new SourceRefusal("the source gave neither an address nor a prefix");
      // The public-address check is the same for every kind: here, once.
      const verdict = parseSourceBody(text, { family, format: "text" });
      if (!verdict.ok) throw new SourceRefusal(verdict.reason, verdict.hint);
      report.address = verdict.address;
      report.verdict = "agreed";
      answers.push({ source: source.name, address: verdict.address });
    } catch (error) {
      if (!(error instanceof SourceRefusal)) throw error;
      report.verdict = "rejected";
      report.reason = error.message;
      if (error.hint) report.hint = error.hint;
    }
  };

  const result = await new Promise<ReturnType<typeof decideAddress>>((resolve) => {
    const check = () => {
      const final = settledCount === sources.length;
      const decision = decideAddress(answers, { quorum: options.quorum, total: sources.length, final });
      if (decision.kind !== "pending") resolve(decision);
    };
    sources.forEach((source, index) => {
      const report = reports[index] as SourceReport;
      const started = Date.now();
      (source.kind ? askKind(source.kind, report) : askHttp(source.http as ResolvedSource, report))
        .then(() => {
          report.ms = Math.round(Date.now() - started);
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
