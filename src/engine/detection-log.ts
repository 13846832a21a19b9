/** What detection found, told to the log and kept in the state file (the status page reads it there). */
import type { IpFamily } from "../core/ip.ts";
import type { State } from "../core/state.ts";
import type { FamilyDetection } from "../detect/detect.ts";
import type { Logger } from "../platform/log.ts";

export const FAMILY_LABEL: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };

/** A source's part in words: what it answered (or why not), in how long, and its verdict. */
function sourceStep(source: FamilyDetection["sources"][number]): string {
  const where = source.url ?? source.where;
  const answer = source.address ?? source.prefix;
  const said =
    source.verdict === "not needed"
      ? "not waited for: the outcome was already decided"
      : source.verdict === "failed" || source.verdict === "rejected"
        ? `${source.verdict}${answer !== undefined ? ` ${answer}` : ""}: ${source.reason ?? "no answer"}`
        : `answered ${answer}${source.evidence && source.kind !== "http" ? ` (${source.evidence})` : ""}: ${source.verdict}`;
  return `${source.source} (${source.kind}${where ? ` ${where}` : ""}) ${said}${source.ms !== undefined ? ` in ${source.ms} ms` : ""}`;
}

/** The consensus step in words: who agreed, out of how many, against which quorum. */
function consensusStep(detection: FamilyDetection): string {
  const answered = detection.sources.filter((s) => s.address !== undefined || s.prefix !== undefined);
  const counted = `${answered.length} of ${detection.sources.length} source(s) answered${detection.quorum !== undefined ? `, quorum ${detection.quorum}` : ""}`;
  if (detection.status === "unavailable") return `no consensus (${counted}): ${detection.reason}`;
  const agreeing = detection.sources.filter((s) => s.verdict === "agreed").map((s) => s.source);
  const found = [detection.address, detection.prefix].filter((part) => part !== undefined).join(" and ");
  return `consensus on ${found}, agreed by ${agreeing.join(", ")} (${counted})`;
}

/**
 * Logs the agreed address and every source that disagreed or failed, or why no address is known;
 * at debug, every source's answer and time and the consensus step.
 */
export function logDetection(detection: FamilyDetection, logger: Logger): void {
  const label = FAMILY_LABEL[detection.family];
  for (const source of detection.sources) logger.debug(`${label} source ${sourceStep(source)}`);
  logger.debug(`${label} ${consensusStep(detection)}`);
  for (const source of detection.sources) {
    if (source.hint) logger.warn(`${label} source ${source.source}: ${source.reason}. ${source.hint}`);
    if (source.note) logger.warn(`${label} source ${source.source}: ${source.note}`);
  }
  if (detection.status === "known") {
    const agreeing = detection.sources.filter((s) => s.verdict === "agreed").map((s) => s.source);
    const found = [
      ...(detection.address !== undefined ? [`address is ${detection.address}`] : []),
      ...(detection.prefix !== undefined ? [`prefix is ${detection.prefix}`] : []),
    ].join(", ");
    logger.info(`public ${label} ${found} (agreed: ${agreeing.join(", ")})`);
    for (const source of detection.sources) {
      if (source.verdict === "minority") {
        logger.warn(
          `${label} source ${source.source} answered ${source.address ?? source.prefix}, but ${agreeing.join(" and ")} agree on ${detection.address ?? detection.prefix}; ignoring ${source.source}`,
        );
      } else if (source.verdict === "rejected" || source.verdict === "failed") {
        logger.info(`${label} source ${source.source} gave no usable answer: ${source.reason}`);
      }
    }
    return;
  }
  const answers = detection.sources
    .map((s) => `${s.source}: ${s.address ?? s.prefix ?? s.reason ?? s.verdict}`)
    .join("; ");
  logger.error(
    `cannot tell the public ${label} address, so nothing was changed: ${detection.reason} (${answers})`,
  );
}

/** Keeps the family's detection (verdict per source, no timings) in `state.detection`. */
export function storeDetection(state: State, detection: FamilyDetection, at: string): void {
  state.detection[detection.family] = {
    at,
    status: detection.status,
    ...(detection.address !== undefined ? { address: detection.address } : {}),
    ...(detection.status === "known"
      ? detection.prefix !== undefined
        ? { prefix: detection.prefix }
        : {}
      : { reason: detection.reason }),
    sources: detection.sources.map((s) => ({
      source: s.source,
      kind: s.kind,
      ...(s.url ? { url: s.url } : {}),
      ...(s.where ? { where: s.where } : {}),
      verdict: s.verdict,
      ...(s.address ? { address: s.address } : {}),
      ...(s.prefix ? { prefix: s.prefix } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
    })),
  };
}
