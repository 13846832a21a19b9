/** One source's valid answer, already canonical. */
export interface SourceAnswer {
  source: string;
  address: string;
}

export type Consensus =
  | { kind: "known"; address: string; agreeing: string[]; minority: SourceAnswer[] }
  | { kind: "pending" }
  | { kind: "unavailable"; reason: string };

/**
 * Decides the public address from the sources' answers.
 * An address wins when at least `quorum` sources report it and it is a strict majority of the
 * sources that gave a valid answer. While sources are still pending (`final: false`) it decides only
 * when no pending answer could change the outcome: the leader already holds a majority of ALL
 * configured sources. That lets a run finish without waiting for a hung source.
 */
export function decideAddress(
  answers: readonly SourceAnswer[],
  options: { quorum: number; total: number; final: boolean },
): Consensus {
  const counts = new Map<string, string[]>();
  for (const answer of answers) {
    const list = counts.get(answer.address) ?? [];
    list.push(answer.source);
    counts.set(answer.address, list);
  }
  let leader: string | undefined;
  let leaderCount = 0;
  let tie = false;
  for (const [address, sources] of counts) {
    if (sources.length > leaderCount) {
      leader = address;
      leaderCount = sources.length;
      tie = false;
    } else if (sources.length === leaderCount) {
      tie = true;
    }
  }
  const accept = (address: string): Consensus => ({
    kind: "known",
    address,
    agreeing: counts.get(address) ?? [],
    minority: answers.filter((answer) => answer.address !== address),
  });
  if (!options.final) {
    if (leader !== undefined && leaderCount >= options.quorum && leaderCount * 2 > options.total) {
      return accept(leader);
    }
    return { kind: "pending" };
  }
  if (leader === undefined) return { kind: "unavailable", reason: "no source gave a usable address" };
  if (tie || leaderCount * 2 <= answers.length) {
    const summary = [...counts]
      .map(([address, sources]) => `${address} (${sources.join(", ")})`)
      .join(" vs ");
    return { kind: "unavailable", reason: `the sources disagree: ${summary}` };
  }
  if (leaderCount < options.quorum) {
    return {
      kind: "unavailable",
      reason: `only ${leaderCount} source(s) reported ${leader}, fewer than the quorum of ${options.quorum}`,
    };
  }
  return accept(leader);
}
