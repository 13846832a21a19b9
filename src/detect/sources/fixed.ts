/**
 * The `fixed` kind: always the same answer. For a static setup (a server whose address never
 * changes, a delegated prefix that is static) and for tests that need a source of a known answer
 * without any network. Its answer still passes detect.ts's public-address check.
 */
import { type DetectionSource, type SourceAnswer, SourceRefusal } from "./source.ts";

export interface FixedSourceTable {
  kind: "fixed";
  address?: string | undefined;
  prefix?: string | undefined;
  name?: string | undefined;
}

export function create(table: FixedSourceTable): DetectionSource {
  const answer: SourceAnswer = { evidence: "fixed in the config" };
  if (table.address !== undefined) answer.address = table.address;
  if (table.prefix !== undefined) {
    const slash = table.prefix.indexOf("/");
    const length = Number(table.prefix.slice(slash + 1));
    if (slash === -1 || !/^\d{1,3}$/.test(table.prefix.slice(slash + 1))) {
      throw new Error(`fixed source: prefix "${table.prefix}" is not like "2001:db8:1200::/56"`);
    }
    answer.prefix = { address: table.prefix.slice(0, slash), length };
  }
  return {
    kind: "fixed",
    name: table.name ?? "fixed",
    where: "config",
    async ask() {
      if (answer.address === undefined && answer.prefix === undefined) {
        throw new SourceRefusal(
          "the fixed source has neither address nor prefix",
          'set address = "…" or prefix = "…/56"',
        );
      }
      return answer;
    },
  };
}
