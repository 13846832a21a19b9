import { parseAddress } from "./ip.ts";
import type { AddressRecordType, ProviderRecord } from "./records.ts";

/**
 * What to do for one (name, type). Computed purely from the desired address and the provider's rows
 * at that name, so every safety rule lives here and is tested table-wise:
 * - rows homing does not own are never removed;
 * - a CNAME at the name blocks the record (it would be removed or shadowed otherwise);
 * - the desired value is added before any stale row is removed.
 */
export type RecordPlan =
  | { kind: "keep"; warnings: string[] }
  | {
      kind: "change";
      /** The value to add first; undefined when it is already present and only stale rows go. */
      add: string | undefined;
      /** Owned rows of the same type whose value is not the desired one, exact provider strings. */
      remove: ProviderRecord[];
      /**
       * The address being replaced, for the report: the one homing last published when it is among
       * the stale rows, else the first stale owned value.
       */
      previous: string | undefined;
      warnings: string[];
    }
  | { kind: "blocked"; reason: string; warnings: string[] };

export interface PlanInput {
  name: string;
  type: AddressRecordType;
  desired: string;
  /** Every row the provider holds at `name`, of any type. */
  rows: readonly ProviderRecord[];
  /** Wording for rows homing does not own, e.g. "a DreamHost-managed record (web hosting)". */
  foreignRowHint?: string;
  /** The address homing last published at (name, type) (state file), if any. */
  published?: string | undefined;
}

/** Two record values name the same address (any spelling of an IPv6 address), or the same text. */
export function sameAddress(a: string, b: string): boolean {
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  if (pa && pb) return pa.canonical === pb.canonical;
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export function planRecord(input: PlanInput): RecordPlan {
  const { name, type, desired, rows, published } = input;
  const warnings: string[] = [];
  const cname = rows.find((row) => row.type.toUpperCase() === "CNAME");
  if (cname) {
    return {
      kind: "blocked",
      reason:
        `${name} is a CNAME (alias) for "${cname.value}", so it cannot also hold an ${type} record: ` +
        `remove the CNAME at your DNS provider, or configure the CNAME's target name in homing instead`,
      warnings,
    };
  }
  const sameType = rows.filter((row) => row.type.toUpperCase() === type);
  const foreign = sameType.filter((row) => !row.owned);
  const foreignOther = foreign.filter((row) => !sameAddress(row.value, desired));
  if (foreignOther.length > 0) {
    const values = foreignOther.map((row) => `"${row.value}"`).join(", ");
    const hint = input.foreignRowHint ?? "a record homing does not own";
    warnings.push(
      `${name} also has ${type} ${values}, ${hint}; homing never removes it, so the name keeps resolving to it too`,
    );
  }
  const present = sameType.some((row) => sameAddress(row.value, desired));
  const stale = sameType.filter((row) => row.owned && !sameAddress(row.value, desired));
  if (present && stale.length === 0) return { kind: "keep", warnings };
  return {
    kind: "change",
    add: present ? undefined : desired,
    remove: stale,
    previous: (stale.find((row) => published !== undefined && sameAddress(row.value, published)) ?? stale[0])
      ?.value,
    warnings,
  };
}

/**
 * What to do for one (name, type) at a provider that cannot list (dyndns2, DuckDNS, custom URL).
 * Such services ban accounts for repeated no-change updates, so the state file's last accepted
 * address is the guard and the DNS lookup only fills in when there is no state:
 * - accepted == desired: keep. If DNS answers something else, caches may simply lag: keep, and
 *   re-send only once the acceptance is older than `refreshAfterMs` (a forced refresh);
 * - accepted != desired: send (the lookup is not consulted: it may show a cached older address);
 * - nothing accepted yet: keep when DNS already answers the desired address, otherwise send.
 */
export type GuardDecision =
  | {
      kind: "keep";
      /** Decided from the state file alone (nothing was verified this run). */
      fromState: boolean;
      /** Worth an info line: why DNS and the state disagree. */
      note?: string;
    }
  | {
      kind: "send";
      /** The address being replaced, for the report. */
      previous: string | undefined;
      note?: string;
    };

export interface GuardInput {
  name: string;
  type: AddressRecordType;
  desired: string;
  /** The DNS answer for (name, type); undefined when the lookup failed. */
  resolved: readonly string[] | undefined;
  /** The last address the service accepted (state file) and when that was last confirmed. */
  accepted: { address: string; at: string | null } | undefined;
  now: number;
  refreshAfterMs: number;
}

export function guardUpdate(input: GuardInput): GuardDecision {
  const { name, type, desired, resolved, accepted } = input;
  const shows = resolved?.some((value) => sameAddress(value, desired)) ?? false;
  const answer = resolved === undefined ? "" : resolved.length === 0 ? "no address" : resolved.join(", ");
  if (accepted && sameAddress(accepted.address, desired)) {
    if (resolved === undefined) return { kind: "keep", fromState: true };
    if (shows) return { kind: "keep", fromState: false };
    const age = accepted.at === null ? Number.POSITIVE_INFINITY : input.now - Date.parse(accepted.at);
    if (!(age < input.refreshAfterMs)) {
      return {
        kind: "send",
        previous: resolved[0],
        note: `${name} ${type}: the service accepted ${desired} at ${accepted.at ?? "an unknown time"}, but DNS still answers ${answer}; re-sending it once (forced refresh)`,
      };
    }
    return {
      kind: "keep",
      fromState: true,
      note: `${name} ${type}: DNS answers ${answer}, but the service accepted ${desired} at ${accepted.at}; DNS caches lag, so homing does not re-send it (it will once, if DNS still disagrees a day after that)`,
    };
  }
  if (accepted) return { kind: "send", previous: accepted.address };
  if (shows) return { kind: "keep", fromState: false };
  return { kind: "send", previous: resolved?.[0] };
}
