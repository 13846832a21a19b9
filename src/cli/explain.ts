/**
 * What `homing explain` prints around one run, for a bug report or a forum post: a header (versions,
 * paths, what kind of run it is), then (streamed by the logger at debug, between the two) every step
 * as it happened, then a summary: the detection per family and each record's decision, the same
 * steps `-v` logs (src/engine/decision.ts), then the result. The caller redacts what it prints.
 */
import { decisionSteps } from "../engine/decision.ts";
import { reportLines } from "../engine/report-lines.ts";
import type { RoundReport } from "../engine/round.ts";
import { EXIT_CODES } from "./help.ts";
import { detectionText } from "./output.ts";

export interface ExplainContext {
  version: string;
  /** `process.version`, `process.platform`, `process.arch`. */
  node: string;
  platform: string;
  configFile: string | undefined;
  stateFile: string;
  records: number;
  dryRun: boolean;
  force: boolean;
}

function heading(title: string): string {
  return `== ${title} ==`;
}

export function explainHeader(context: ExplainContext): string {
  return [
    heading("homing explain"),
    `homing ${context.version}, Node ${context.node} on ${context.platform}`,
    `config: ${context.configFile ?? "(environment only)"}, ${context.records} record(s)`,
    `state file: ${context.stateFile}`,
    context.dryRun
      ? "a dry run: nothing is changed at any provider and the state file is not written"
      : "a real run, like homing run: a record whose address differs is changed at its provider (homing explain --dry-run only plans)",
    ...(context.force ? ["--force: every record is checked at its provider; the cache does not answer"] : []),
    "secrets are redacted, in every encoding",
    "",
    heading("what happened, in order"),
  ].join("\n");
}

/** The summary after the run: detection, each record's decision as numbered steps, the result. */
export function explainSummary(report: RoundReport, exitCode: number): string {
  const out = ["", heading("detection"), detectionText(report.detection), "", heading("decision per record")];
  for (const outcome of report.records) {
    out.push(`${outcome.name} ${outcome.type} (${outcome.provider}): ${outcome.status}`);
    decisionSteps(outcome).forEach((step, index) => {
      out.push(`  ${index + 1}. ${step}`);
    });
    for (const warning of outcome.warnings) out.push(`  warning: ${warning}`);
  }
  if (report.records.length === 0) out.push("no records in the config");
  const lines = reportLines(report);
  const meaning = EXIT_CODES.find(([code]) => code === exitCode)?.[1] ?? "";
  out.push(
    "",
    heading("result"),
    ...(lines.length > 0
      ? lines.map((line) => (line.kind === "failure" ? `failed: ${line.text}` : line.text))
      : ["no change"]),
    `exit code ${exitCode}${meaning ? `: ${meaning}` : ""}`,
  );
  return out.join("\n");
}
