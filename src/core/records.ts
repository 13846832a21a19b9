import type { IpFamily } from "./ip.ts";

export type AddressRecordType = "A" | "AAAA";

export function recordTypeOf(family: IpFamily): AddressRecordType {
  return family === "ipv4" ? "A" : "AAAA";
}

export function familyOf(type: AddressRecordType): IpFamily {
  return type === "A" ? "ipv4" : "ipv6";
}

/**
 * One DNS record as a provider reports it. `value` is the provider's exact string (removals must
 * send it back byte for byte). `owned` is false for rows homing must never change: rows the provider
 * manages itself (DreamHost's `editable: "0"`), or rows another tool marked as its own.
 */
export interface ProviderRecord {
  name: string;
  type: string;
  value: string;
  owned: boolean;
  /** Provider-specific handle (a record id), when the provider has one. */
  id?: string;
  ttl?: number;
}

/** Lower-case, no trailing dot: the form every comparison uses. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Undefined when `name` is a usable fully qualified host name, otherwise what is wrong with it. */
export function describeBadHostname(name: string): string | undefined {
  const normalized = normalizeName(name);
  if (normalized.length === 0) return "the name is empty";
  if (normalized.length > 253) return "the name is longer than 253 characters";
  const labels = normalized.split(".");
  if (labels.length < 2) return "the name must be fully qualified, like home.example.com";
  for (const [index, label] of labels.entries()) {
    if (index === 0 && label === "*") continue;
    if (!LABEL.test(label)) return `the label "${label}" is not a valid DNS label`;
  }
  return undefined;
}
