/**
 * `homing records`: what each provider holds at the managed names (or, for a provider that cannot
 * list, what DNS answers and what the service last accepted, from the state file), as text.
 */
import type { State } from "../core/state.ts";
import type { Target } from "../core/targets.ts";

/** A row at a managed name: from the provider's list, or from a DNS lookup (`source: "dns"`). */
export interface ShownRecord {
  provider: string;
  name: string;
  type: string;
  value: string;
  owned: boolean;
  source: "provider" | "dns";
}

/** The address a provider that cannot list last accepted, from the state file. */
export interface AcceptedRecord {
  provider: string;
  name: string;
  type: string;
  value: string;
  at: string | null;
}

/** What the state file says the providers in `unlisted` last accepted for their targets. */
export function acceptedRecords(
  targets: readonly Target[],
  unlisted: ReadonlySet<string>,
  state: State,
): AcceptedRecord[] {
  const accepted: AcceptedRecord[] = [];
  for (const target of targets) {
    if (!unlisted.has(target.providerId)) continue;
    const entry = state.records[target.key];
    if (entry?.published) {
      accepted.push({
        provider: target.providerId,
        name: target.name,
        type: target.type,
        value: entry.published,
        at: entry.verifiedAt,
      });
    }
  }
  return accepted;
}

export interface RecordsView {
  /** The managed names, one per record, in config order. */
  names: ReadonlyArray<{ provider: string; name: string }>;
  rows: readonly ShownRecord[];
  accepted: readonly AcceptedRecord[];
  /** Providers whose read failed (their error is logged): "no records" would be wrong for them. */
  failedProviders: ReadonlySet<string>;
  /** Per provider id: its label and whether it lists. */
  providers: ReadonlyMap<string, { label: string; list: boolean }>;
}

/** The text of `homing records`: the rows of each managed name, marked by where they come from. */
export function recordsText(view: RecordsView): string[] {
  const lines: string[] = [];
  for (const { provider: id, name } of view.names) {
    const rows = view.rows.filter((r) => r.provider === id && r.name === name);
    const provider = view.providers.get(id);
    if (rows.length === 0 && !view.failedProviders.has(id)) {
      lines.push(`${name} (${id}${provider?.list === false ? ", DNS answer" : ""}): no records`);
    }
    for (const row of rows) {
      const notes = [
        row.provider,
        ...(row.source === "dns" ? ["DNS answer"] : []),
        ...(row.owned ? [] : ["not managed by homing"]),
      ];
      lines.push(`${name} ${row.type} ${row.value} (${notes.join(", ")})`);
    }
    for (const entry of view.accepted.filter((a) => a.provider === id && a.name === name)) {
      lines.push(
        `${name} ${entry.type} ${entry.value} (${entry.provider}, last accepted by ${provider?.label ?? "the service"}${entry.at ? ` at ${entry.at}` : ""}, from the state file)`,
      );
    }
  }
  return lines;
}
