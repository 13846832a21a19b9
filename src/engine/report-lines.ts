/**
 * The one formatter of a round's outcomes as lines, shared by the CLI (`homing run`) and the daemon's
 * log, so a change reads the same wherever it is seen.
 */
import type { RecordOutcome, RoundReport } from "./round.ts";

/**
 * One change as a line: `name A old -> new (provider)`, `name A created new (provider)`, or their
 * dry-run "would" forms; undefined for an outcome that changed nothing. Values the change removed
 * besides `old` (a set replaced whole) are named at the end: `; also removed 192.0.2.7`. The CLI
 * prints these on stdout and the daemon logs them.
 */
export function changeLine(outcome: RecordOutcome): string | undefined {
  const where = `(${outcome.provider})`;
  const extra = (outcome.removed ?? []).filter((value) => value !== outcome.previous);
  if (outcome.status === "updated") {
    const line = outcome.previous
      ? `${outcome.name} ${outcome.type} ${outcome.previous} -> ${outcome.address} ${where}`
      : `${outcome.name} ${outcome.type} created ${outcome.address} ${where}`;
    return extra.length > 0 ? `${line}; also removed ${extra.join(", ")}` : line;
  }
  if (outcome.status === "planned") {
    const line = outcome.previous
      ? `would change ${outcome.name} ${outcome.type} ${outcome.previous} -> ${outcome.address} ${where}`
      : `would create ${outcome.name} ${outcome.type} ${outcome.address} ${where}`;
    return extra.length > 0 ? `${line}; would also remove ${extra.join(", ")}` : line;
  }
  return undefined;
}

export function failureLine(outcome: RecordOutcome): string {
  return `${outcome.name} ${outcome.type} (${outcome.provider}): ${outcome.reason ?? "failed"}`;
}

/** One line of a report: a change (updated or planned) or a failure; unchanged records have none. */
export interface ReportLine {
  kind: "change" | "failure";
  text: string;
}

/**
 * The lines of a report, in its order: what `homing run` prints (changes on stdout, so cron mails
 * only when something happened; failures on stderr) and what the daemon logs (changes as notices,
 * failures as errors).
 */
export function reportLines(report: RoundReport): ReportLine[] {
  const lines: ReportLine[] = [];
  for (const outcome of report.records) {
    if (outcome.status === "failed") lines.push({ kind: "failure", text: failureLine(outcome) });
    else {
      const text = changeLine(outcome);
      if (text !== undefined) lines.push({ kind: "change", text });
    }
  }
  return lines;
}

/** The change lines alone (stdout of `homing run` in text mode). */
export function changeLines(report: RoundReport): string[] {
  return reportLines(report)
    .filter((line) => line.kind === "change")
    .map((line) => line.text);
}
