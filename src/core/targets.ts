/**
 * Records × families, expanded once: every (record, family) the config manages as a target with its
 * normalised name, record type and state key. The engine, the daemon, the status page, the
 * notifier and the CLI commands all read these instead of looping over records and families.
 */
import type { IpFamily } from "./ip.ts";
import { type AddressRecordType, normalizeName, recordTypeOf } from "./records.ts";
import { recordKey } from "./state.ts";

/** What a target needs of a `[[records]]` table (config's RecordConfig is assignable to it). */
export interface TargetRecord {
  name: string;
  provider: string;
  ipv4?: boolean;
  ipv6?: boolean;
  /** Publish the detected IPv6 /64 with this interface identifier instead of the detected address. */
  ipv6_suffix?: string | undefined;
}

export interface Target<R extends TargetRecord = TargetRecord> {
  providerId: string;
  /** Normalised: lower case, no trailing dot. */
  name: string;
  type: AddressRecordType;
  family: IpFamily;
  /** `provider/name/type`, the key of this target in the state file. */
  key: string;
  /** Index of the record in `config.records`: the order every report keeps. */
  recordIndex: number;
  record: R;
}

export const FAMILIES: readonly IpFamily[] = ["ipv4", "ipv6"];

/** Every managed (record, family), in config order, IPv4 before IPv6 within a record. */
export function expandTargets<R extends TargetRecord>(config: { records: readonly R[] }): Target<R>[] {
  const targets: Target<R>[] = [];
  config.records.forEach((record, recordIndex) => {
    const name = normalizeName(record.name);
    for (const family of FAMILIES) {
      if (!record[family]) continue;
      const type = recordTypeOf(family);
      targets.push({
        providerId: record.provider,
        name,
        type,
        family,
        key: recordKey(record.provider, name, type),
        recordIndex,
        record,
      });
    }
  });
  return targets;
}

/** The families at least one target manages, IPv4 first. */
export function familiesOf(targets: readonly Target<TargetRecord>[]): IpFamily[] {
  return FAMILIES.filter((family) => targets.some((target) => target.family === family));
}

/** The distinct names of one provider's targets, in config order. */
export function namesOf(targets: readonly Target<TargetRecord>[], providerId: string): string[] {
  return [...new Set(targets.filter((t) => t.providerId === providerId).map((t) => t.name))];
}

/**
 * What detection must find for a family: the address (targets that publish it) and the IPv6 /64
 * (targets with an `ipv6_suffix`). With no targets at all (`homing detect` on an empty config),
 * the address.
 */
export function detectionNeeds(
  targets: readonly Target<TargetRecord>[],
  family: IpFamily,
): { address: boolean; prefix: boolean } {
  const mine = targets.filter((target) => target.family === family);
  const prefix = family === "ipv6" && mine.some((target) => target.record.ipv6_suffix !== undefined);
  const address =
    mine.length === 0 || mine.some((t) => family !== "ipv6" || t.record.ipv6_suffix === undefined);
  return { address, prefix };
}
