/**
 * What notifications and heartbeats say. Pure: every text is built from a round's outcomes, the
 * state and a few facts passed in, so tests can assert the exact words. Messages are short and
 * human: which name, the old and the new address, what failed and what to do about it.
 */
import { formatDuration } from "../core/duration.ts";
import type { RecordOutcome, RoundReport } from "../engine/round.ts";

export type Severity = "info" | "warning" | "success";

export interface NotifyMessage {
  /** One line, ASCII where the names are ASCII; targets with a title field show it. */
  title: string;
  /** One line per event. Chat targets (Discord, Slack, Telegram) show only this. */
  body: string;
  severity: Severity;
}

interface RecordRef {
  provider: string;
  name: string;
  type: "A" | "AAAA";
}

export type NotifyEvent =
  | (RecordRef & { kind: "changed"; previous: string | null | undefined; address: string })
  | (RecordRef & { kind: "failing"; failures: number; reason: string })
  | (RecordRef & {
      kind: "recovered";
      /** Consecutive failed rounds before this success, when known. */
      failures: number | undefined;
      address: string | undefined;
      /** Set when the recovering round also changed the address. */
      previous?: string | null | undefined;
      changed: boolean;
    });

const ARROW = "→";

function changeText(previous: string | null | undefined, address: string): string {
  if (previous === null) return `created with ${address}`;
  if (previous === undefined) return `now ${address}`;
  return `${previous} ${ARROW} ${address}`;
}

function trimSentence(text: string): string {
  return text.trim().replace(/[.\s]+$/, "");
}

/** What a user can do about a failing record, from the shape of the reason. */
export function adviceFor(reason: string): string {
  if (/public IPv[46] address is unknown/.test(reason)) {
    return 'Check this host\'s internet connection; "homing detect" shows what each address source answers.';
  }
  if (/no changes are made until|slow down|rate.?limit/i.test(reason)) {
    return "homing waits as the provider asked and retries after that; nothing to do unless it lasts.";
  }
  return 'homing retries every round; run "homing check" to test the provider settings, and see the log for details.';
}

/** One event as one line. */
export function describeEvent(event: NotifyEvent): string {
  const what = `${event.name} ${event.type}`;
  switch (event.kind) {
    case "changed":
      return `${what}: ${changeText(event.previous, event.address)} (${event.provider})`;
    case "failing":
      return `${what} has failed ${event.failures} rounds in a row: ${trimSentence(event.reason)}. ${adviceFor(event.reason)}`;
    case "recovered": {
      const after = event.failures
        ? ` after ${event.failures} failed round${event.failures === 1 ? "" : "s"}`
        : "";
      if (event.address === undefined) return `${what} works again${after} (${event.provider})`;
      const now = event.changed ? changeText(event.previous, event.address) : event.address;
      return `${what} works again${after}: ${now} (${event.provider})`;
    }
  }
}

function eventTitle(event: NotifyEvent): string {
  const what = `${event.name} ${event.type}`;
  switch (event.kind) {
    case "changed":
      return `homing: ${what} changed`;
    case "failing":
      return `homing: ${what} is failing`;
    case "recovered":
      return `homing: ${what} recovered`;
  }
}

/**
 * One message for all of a round's events: a single event gets its own title, several are counted
 * in the title and listed one per line in the body.
 */
export function composeMessage(events: readonly NotifyEvent[]): NotifyMessage | undefined {
  if (events.length === 0) return undefined;
  const severity: Severity = events.some((e) => e.kind === "failing")
    ? "warning"
    : events.every((e) => e.kind === "recovered")
      ? "success"
      : "info";
  const body = events.map(describeEvent).join("\n");
  if (events.length === 1) return { title: eventTitle(events[0] as NotifyEvent), body, severity };
  const counts: string[] = [];
  const count = (kind: NotifyEvent["kind"], word: string) => {
    const n = events.filter((e) => e.kind === kind).length;
    if (n > 0) counts.push(`${n} ${word}`);
  };
  count("changed", "changed");
  count("failing", "failing");
  count("recovered", "recovered");
  return { title: `homing: ${counts.join(", ")}`, body, severity };
}

export interface StartedFacts {
  version: string;
  hostname: string;
  /** "home.example.com A" per managed (record, type). */
  records: readonly string[];
  /** "every 5m" or 'on "*\/5 * * * *"'. */
  schedule: string;
}

export function startedMessage(facts: StartedFacts): NotifyMessage {
  const what =
    facts.records.length === 0
      ? "no records are configured"
      : facts.records.length <= 4
        ? `keeping ${facts.records.join(", ")} up to date`
        : `keeping ${facts.records.length} records up to date`;
  return {
    title: "homing started",
    body: `homing ${facts.version} started on ${facts.hostname}: ${what}, ${facts.schedule}.`,
    severity: "info",
  };
}

/** What `homing notify --test` sends to every target. */
export function testMessage(facts: { hostname: string }): NotifyMessage {
  return {
    title: "homing test message",
    body: `A test from "homing notify --test" on ${facts.hostname}: homing's notifications reach you here.`,
    severity: "info",
  };
}

export interface StoppedFacts {
  hostname: string;
  uptimeMs: number;
  roundsOk: number;
  roundsFailed: number;
}

export function stoppedMessage(facts: StoppedFacts): NotifyMessage {
  const rounds = facts.roundsOk + facts.roundsFailed;
  const summary =
    rounds === 0
      ? "no round finished"
      : `${rounds} round${rounds === 1 ? "" : "s"}, ${facts.roundsOk} ok, ${facts.roundsFailed} failed`;
  return {
    title: "homing stopped",
    body: `homing stopped on ${facts.hostname} after ${formatDuration(facts.uptimeMs)} (${summary}). DNS records are not kept up to date until it runs again.`,
    severity: "warning",
  };
}

function outcomeLine(outcome: RecordOutcome): string {
  const what = `${outcome.name} ${outcome.type}`;
  switch (outcome.status) {
    case "failed":
      return `${what} failed: ${trimSentence(outcome.reason ?? "unknown error")}`;
    case "updated":
      return `${what} updated: ${changeText(outcome.previous, outcome.address ?? "?")}`;
    case "planned":
      return `${what} would change to ${outcome.address ?? "?"}`;
    default:
      return `${what} is ${outcome.address ?? "correct"}`;
  }
}

function detectionFailure(report: RoundReport): string {
  for (const detection of report.detection) {
    if (detection.status !== "known") return `${detection.family} detection failed: ${detection.reason}`;
  }
  return "failed";
}

/** The body of a healthchecks.io ping: one line per record, failures first. */
export function heartbeatBody(report: RoundReport): string {
  const failed = report.records.filter((o) => o.status === "failed");
  const rest = report.records.filter((o) => o.status !== "failed");
  const lines = [...failed, ...rest].map(outcomeLine);
  if (lines.length === 0) lines.push(report.ok ? "ok: nothing to do" : detectionFailure(report));
  return lines.join("\n");
}

/** The one-line status message of an Uptime Kuma push (at most `max` characters). */
export function heartbeatSummary(report: RoundReport, max = 200): string {
  let text: string;
  if (report.ok) {
    const updated = report.records.filter((o) => o.status === "updated").length;
    const n = report.records.length;
    text = `OK: ${n} record${n === 1 ? "" : "s"} correct${updated ? `, ${updated} updated` : ""}`;
  } else {
    const failed = report.records.filter((o) => o.status === "failed");
    const first = failed[0];
    text = first ? `${failed.length} failed; ${outcomeLine(first)}` : detectionFailure(report);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
