/**
 * The words of a round's decisions: what the cache, DNS or the provider said about one (record,
 * family), what was planned, and why something was or was not sent. Each outcome keeps its steps
 * (`RecordOutcome.decision`); `-v` logs them as one line per record (`decisionLine`) and
 * `homing explain` prints them grouped per record, so both read the same sentences.
 */
import { formatDuration } from "../core/duration.ts";
import type { RecordOutcome } from "./round.ts";

/** How long ago `at` was, in words: "4m ago", "just now". */
export function ago(at: string, now: Date): string {
  const ms = now.getTime() - Date.parse(at);
  if (!Number.isFinite(ms)) return "at an unknown time";
  return ms < 1000 ? "just now" : `${formatDuration(ms)} ago`;
}

/** The state file answered: the address, its age and when the provider is asked next. */
export function cacheHit(
  address: string,
  options: { verifiedAt: string; now: Date; recheckMs: number },
): string[] {
  const age = options.now.getTime() - Date.parse(options.verifiedAt);
  return [
    `cached ${address} from ${ago(options.verifiedAt, options.now)} matches the detected address`,
    `provider not asked (next check in ${formatDuration(Math.max(0, options.recheckMs - age))}, or now with --force)`,
  ];
}

/** Why the state file could not answer, so the provider is asked. */
export function cacheMiss(why: string): string {
  return `not answered from the cache: ${why}`;
}

/** What a provider's list showed at (name, type), and a CNAME at the name (which blocks any change). */
export function providerHolds(
  label: string,
  type: string,
  rows: ReadonlyArray<{ type: string; value: string }>,
): string {
  const shown = [
    ...rows.filter((row) => row.type.toUpperCase() === type).map((row) => row.value),
    ...rows.filter((row) => row.type.toUpperCase() === "CNAME").map((row) => `CNAME ${row.value}`),
  ];
  return shown.length === 0
    ? `asked ${label}: no ${type} record`
    : `asked ${label}: holds ${shown.join(", ")}`;
}

/** What a DNS lookup showed (providers that cannot be asked); undefined: the lookup failed. */
export function dnsAnswers(values: readonly string[] | undefined): string {
  if (values === undefined) return "DNS could not be asked; deciding from the state file alone";
  return values.length === 0 ? "DNS answers no address" : `DNS answers ${values.join(", ")}`;
}

/** The last address an update-URL service accepted, from the state file. */
export function lastAccepted(address: string | undefined, at: string | null | undefined, now: Date): string {
  if (address === undefined) return "the service has accepted no address from homing yet";
  return `the service last accepted ${address}${at ? ` ${ago(at, now)}` : ""}`;
}

export const KEEP = "matches the detected address; nothing to change";

/** The change the plan makes: replace `previous`, or create the record. */
export function planned(previous: string | null | undefined, desired: string): string {
  return previous ? `planned change ${previous} -> ${desired}` : `planned: create ${desired}`;
}

export const DRY_RUN = "dry run: nothing sent";

export function done(label: string): string {
  return `${label} accepted the change`;
}

export function skipped(reason: string): string {
  return `skipped: ${reason}`;
}

export function failed(reason: string): string {
  return `failed: ${reason}`;
}

/** Held back by a rate-limit back-off: planned, not sent. */
export function heldBack(reason: string): string {
  return `held back, nothing sent: ${reason}`;
}

/** Where a decision has no steps (an outcome built outside the engine): its status and reason. */
function fallback(outcome: RecordOutcome): string[] {
  if (outcome.status === "failed") return [failed(outcome.reason ?? "failed")];
  return [outcome.status];
}

/** The steps of `outcome`, in order. */
export function decisionSteps(outcome: RecordOutcome): string[] {
  return outcome.decision && outcome.decision.length > 0 ? outcome.decision : fallback(outcome);
}

/** One record's decision as one line (`-v`): `home.example.com A (cf): asked …; planned change …`. */
export function decisionLine(outcome: RecordOutcome): string {
  return `${outcome.name} ${outcome.type} (${outcome.provider}): ${decisionSteps(outcome).join("; ")}`;
}
