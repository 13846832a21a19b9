/**
 * Detection of one family: ask every source at once, whatever its kind, check every answer in ONE
 * place (the public-address rules of core/source-body.ts), and settle by consensus
 * (core/consensus.ts). Sources are built by the registry (detect/sources/index.ts); this module
 * knows nothing of HTTP, interfaces or routers.
 */
import { type SourceAnswer as ConsensusAnswer, decideAddress } from "../core/consensus.ts";
import type { IpFamily } from "../core/ip.ts";
import { networkOf } from "../core/ipv6-suffix.ts";
import { checkPublicAddress } from "../core/source-body.ts";
import { linkedController } from "../platform/abort.ts";
import { type DetectionSource, type SourceAnswer, SourceRefusal } from "./sources/source.ts";

export type { SourceConfig } from "./sources/index.ts";

/** A source's part in a detection, for `homing detect` and the report. */
export interface SourceReport {
  source: string;
  /** The source's kind: "http", "interface", "upnp", "dns", "fixed", … */
  kind: string;
  /** http sources: the full URL as `shownUrl` redacts it (no user info, query values replaced). */
  url?: string;
  /** Other kinds: where the source asks (an interface, a router, a resolver). */
  where?: string;
  verdict: "agreed" | "minority" | "answered" | "rejected" | "failed" | "not needed";
  address?: string;
  /** The IPv6 prefix the source answered ("2001:db8:1200::/56"), when it answers one. */
  prefix?: string;
  /** What backs the answer ("eth0, permanent", "UPnP at 192.168.1.1"). */
  evidence?: string;
  reason?: string;
  hint?: string;
  /** What a guard did to the answer ("a temporary address of eth0; its stable address is used"). */
  note?: string;
  ms?: number;
}

/**
 * A check of an echo service's IPv6 answer against this host's own addresses
 * (detect/temporary-guard.ts): keep it, refuse it (a temporary address), or replace it with the
 * stable address of the same interface.
 */
export type AnswerGuard = (
  address: string,
  options: { signal: AbortSignal; timeoutMs: number },
) => Promise<
  | { kind: "keep" }
  | { kind: "refuse"; reason: string; hint?: string }
  | { kind: "replace"; address: string; note: string }
>;

/**
 * The outcome for one family. `address` is the agreed address; `prefix` the agreed IPv6 /64
 * ("2001:db8:1:2::/64", from prefixes and addresses alike), present when asked for (records with
 * `ipv6_suffix`). "known" means every part asked for is known.
 */
export type FamilyDetection =
  | {
      family: IpFamily;
      status: "known";
      address?: string;
      prefix?: string;
      sources: SourceReport[];
      /** How many sources had to agree (for the debug log and `homing explain`). */
      quorum?: number;
    }
  | {
      family: IpFamily;
      status: "unavailable";
      quorum?: number;
      reason: string;
      /** A part that is known while another is not (the address, but not the /64). */
      address?: string;
      prefix?: string;
      sources: SourceReport[];
    };

/** Which parts of a detection a round needs: the address (plain records), the /64 (suffix records). */
export interface DetectionNeeds {
  address: boolean;
  prefix: boolean;
}

/** Extra time past the source's own deadline before detect stops waiting for it. */
const DEADLINE_GRACE_MS = 500;

interface Checked {
  address?: string;
  /** The /64 the answer stands for (prefix consensus). */
  network?: string;
  prefixText?: string;
}

/** The public-address rules, applied to every kind's answer. A refusal names what is wrong. */
function checkAnswer(answer: SourceAnswer, family: IpFamily): Checked | SourceRefusal {
  const out: Checked = {};
  if (answer.address !== undefined) {
    const verdict = checkPublicAddress(answer.address, family);
    if (!verdict.ok) return new SourceRefusal(verdict.reason, verdict.hint);
    out.address = verdict.address;
  }
  if (answer.prefix !== undefined) {
    const text = `${answer.prefix.address}/${answer.prefix.length}`;
    if (family !== "ipv6")
      return new SourceRefusal(`the answer is a prefix (${text}); prefixes are for IPv6 only`);
    const verdict = checkPublicAddress(answer.prefix.address, family);
    if (!verdict.ok)
      return new SourceRefusal(verdict.reason.replace("the answer", "the prefix"), verdict.hint);
    const network = networkOf({ prefix: `${verdict.address}/${answer.prefix.length}` });
    if (network === undefined) {
      return new SourceRefusal(
        `the prefix ${text} is longer than /64, so it cannot hold a 64-bit interface identifier`,
      );
    }
    out.prefixText = `${verdict.address}/${answer.prefix.length}`;
    out.network = network;
  }
  if (out.address !== undefined && out.network === undefined && family === "ipv6") {
    const network = networkOf({ address: out.address });
    if (network !== undefined) out.network = network;
  }
  if (out.address === undefined && out.network === undefined) {
    return new SourceRefusal("the source answered neither an address nor a prefix");
  }
  return out;
}

function deadline<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)}s`)), ms);
    signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Asks every source of one family at once, over that family only, and settles on an address (and
 * when needed a /64) by consensus. Returns as soon as the outcome cannot change, cancelling sources
 * that are still pending, so one hung source never stalls a run that already has its quorum.
 */
export async function detectFamily(
  family: IpFamily,
  options: {
    sources: readonly DetectionSource[];
    quorum: number;
    timeoutMs: number;
    signal?: AbortSignal;
    need?: DetectionNeeds;
    /** Checks each echo service's IPv6 answer (the temporary-address guard). */
    guard?: AnswerGuard;
  },
): Promise<FamilyDetection> {
  const need: DetectionNeeds = {
    address: options.need?.address ?? true,
    prefix: family === "ipv6" && (options.need?.prefix ?? false),
  };
  const { sources } = options;
  const { controller, dispose } = linkedController(options.signal);
  const signal = controller.signal;
  const reports: SourceReport[] = sources.map((source) => ({
    source: source.name,
    kind: source.kind,
    ...(source.kind === "http" ? { url: source.where } : { where: source.where }),
    verdict: "not needed",
  }));
  const addressAnswers: ConsensusAnswer[] = [];
  const networkAnswers: ConsensusAnswer[] = [];
  const networks: (string | undefined)[] = sources.map(() => undefined);
  let settledCount = 0;
  const decide = (final: boolean) => {
    const rule = { quorum: options.quorum, total: sources.length, final };
    return {
      address: need.address ? decideAddress(addressAnswers, rule) : undefined,
      prefix: need.prefix ? decideAddress(networkAnswers, rule) : undefined,
    };
  };

  const result = await new Promise<ReturnType<typeof decide>>((resolve) => {
    const check = () => {
      const decision = decide(settledCount === sources.length);
      if (decision.address?.kind !== "pending" && decision.prefix?.kind !== "pending") resolve(decision);
    };
    sources.forEach((source, index) => {
      const report = reports[index] as SourceReport;
      const started = Date.now();
      Promise.resolve()
        .then(() =>
          deadline(
            source.ask(family, { signal, timeoutMs: options.timeoutMs }),
            options.timeoutMs + DEADLINE_GRACE_MS,
            signal,
          ),
        )
        .then(async (answer) => {
          report.ms = Math.round(Date.now() - started);
          if (answer.evidence) report.evidence = answer.evidence;
          const checked = checkAnswer(answer, family);
          if (checked instanceof SourceRefusal) throw checked;
          if (options.guard && family === "ipv6" && source.kind === "http" && checked.address !== undefined) {
            const verdict = await options.guard(checked.address, { signal, timeoutMs: options.timeoutMs });
            if (verdict.kind === "refuse") {
              // Shown with the refusal, so the user sees which address was turned down.
              report.address = checked.address;
              throw new SourceRefusal(verdict.reason, verdict.hint);
            }
            if (verdict.kind === "replace") {
              checked.address = verdict.address;
              report.note = verdict.note;
            }
          }
          if (checked.address !== undefined) report.address = checked.address;
          if (checked.prefixText !== undefined) report.prefix = checked.prefixText;
          const usable = (need.address && checked.address) || (need.prefix && checked.network);
          if (!usable) {
            throw new SourceRefusal(
              checked.address === undefined
                ? `the source answered only a prefix (${checked.prefixText}); a prefix is used by records with ipv6_suffix only`
                : "the source answered an address, but only a prefix is needed here",
            );
          }
          report.verdict = "agreed";
          if (need.address && checked.address !== undefined) {
            addressAnswers.push({ source: source.name, address: checked.address });
          }
          if (need.prefix && checked.network !== undefined) {
            networks[index] = checked.network;
            networkAnswers.push({ source: source.name, address: checked.network });
          }
        })
        .catch((error: Error) => {
          if (controller.signal.aborted && !(error instanceof SourceRefusal)) return;
          report.ms ??= Math.round(Date.now() - started);
          report.verdict = error instanceof SourceRefusal ? "rejected" : "failed";
          report.reason = error.message;
          if (error instanceof SourceRefusal && error.hint) report.hint = error.hint;
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

  // Each answering source's verdict follows the consensus it took part in: the address one when
  // it answered an address that is needed, else the prefix one.
  reports.forEach((report, index) => {
    if (report.verdict !== "agreed") return;
    const byAddress = need.address && report.address !== undefined;
    const decision = byAddress ? result.address : result.prefix;
    const mine = byAddress ? report.address : networks[index];
    if (decision?.kind === "known") report.verdict = mine === decision.address ? "agreed" : "minority";
    else report.verdict = "answered";
  });

  const unknown = [result.address, result.prefix].find((d) => d !== undefined && d.kind !== "known");
  if (unknown) {
    const what = unknown === result.prefix && need.address ? "IPv6 prefix: " : "";
    const reason = unknown.kind === "unavailable" ? unknown.reason : "detection did not finish";
    return {
      family,
      status: "unavailable",
      reason: `${what}${reason}`,
      ...(result.address?.kind === "known" ? { address: result.address.address } : {}),
      ...(result.prefix?.kind === "known" ? { prefix: result.prefix.address } : {}),
      sources: reports,
      quorum: options.quorum,
    };
  }
  return {
    family,
    status: "known",
    ...(result.address?.kind === "known" ? { address: result.address.address } : {}),
    ...(result.prefix?.kind === "known" ? { prefix: result.prefix.address } : {}),
    sources: reports,
    quorum: options.quorum,
  };
}
