/**
 * What a push changes and what the router is told: the round's config narrowed to the pushed
 * records and families, and the dyndns2 reply line of each host from the round's report. Pure.
 */
import type { Config } from "../config/schema.ts";
import { normalizeName } from "../core/records.ts";
import type { RoundReport } from "../engine/round.ts";
import type { PushedAddresses } from "./request.ts";

/** The reply words of the dyndns2 grammar the bridge uses (help.dyn.com/return-codes). */
export type ReplyCode = "good" | "nochg" | "badauth" | "nohost" | "notfqdn" | "abuse" | "911";

/** The config of a push round: only `names`, and only the families the push carries. */
export function narrowConfig(config: Config, names: ReadonlySet<string>, pushed: PushedAddresses): Config {
  const records = config.records
    .filter((record) => names.has(normalizeName(record.name)))
    .map((record) => ({
      ...record,
      ipv4: record.ipv4 && pushed.ipv4 !== undefined,
      ipv6:
        record.ipv6 &&
        (pushed.ipv6 !== undefined || (record.ipv6_suffix !== undefined && pushed.prefix !== undefined)),
    }))
    .filter((record) => record.ipv4 || record.ipv6);
  return { ...config, records };
}

/** The reply line for one host after the push round: good, nochg, or 911 when it failed. */
export function hostReply(name: string, report: RoundReport): string {
  const key = normalizeName(name);
  const outcomes = report.records
    .filter((outcome) => normalizeName(outcome.name) === key)
    .sort((a, b) => a.type.localeCompare(b.type));
  if (outcomes.length === 0 || outcomes.some((o) => o.status === "failed" || o.address === undefined)) {
    return "911";
  }
  const addresses = outcomes.map((o) => o.address).join(",");
  return outcomes.some((o) => o.status === "updated") ? `good ${addresses}` : `nochg ${addresses}`;
}
