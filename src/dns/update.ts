/**
 * Builds RFC 2136 UPDATE messages (pure: no I/O, no clock). The DDNS edit is "delete the RRset,
 * add the new record" in ONE message, which the server applies atomically; optional prerequisites
 * make it a compare-and-swap (the server answers NXRRSET when the RRset is not what we saw).
 */
import { CLASS, encodeRdata, type Message, OPCODE, type ResourceRecord, requestFlags, TYPE } from "./wire.ts";

/** What the RRset must be before the change: exactly these values, or absent. */
export type Expectation = { values: readonly string[] } | "absent";

export interface UpdateSpec {
  id: number;
  zone: string;
  prerequisites?: readonly ResourceRecord[];
  updates: readonly ResourceRecord[];
}

export function updateMessage(spec: UpdateSpec): Message {
  return {
    id: spec.id,
    flags: requestFlags(OPCODE.UPDATE),
    question: [{ name: spec.zone, type: TYPE.SOA, class: CLASS.IN }],
    answer: [...(spec.prerequisites ?? [])],
    authority: [...spec.updates],
    additional: [],
  };
}

const EMPTY = Buffer.alloc(0);

/** Update: delete every record of `type` at `name` (class ANY, TTL 0, no data). */
export function deleteRRset(name: string, type: number): ResourceRecord {
  return { name, type, class: CLASS.ANY, ttl: 0, rdata: EMPTY };
}

/** Update: delete the one record with this value (class NONE, TTL 0). */
export function deleteRecord(name: string, type: number, value: string): ResourceRecord {
  return { name, type, class: CLASS.NONE, ttl: 0, rdata: encodeRdata(type, value) };
}

/** Update: add a record (class IN). */
export function addRecord(name: string, type: number, ttl: number, value: string): ResourceRecord {
  return { name, type, class: CLASS.IN, ttl, rdata: encodeRdata(type, value) };
}

/**
 * Prerequisites for an expectation: "RRset exists (value dependent)" with every expected value
 * (the server compares the whole RRset), or "RRset does not exist" (class NONE).
 */
export function expectRRset(name: string, type: number, expectation: Expectation): ResourceRecord[] {
  if (expectation === "absent") return [{ name, type, class: CLASS.NONE, ttl: 0, rdata: EMPTY }];
  return expectation.values.map((value) => ({
    name,
    type,
    class: CLASS.IN,
    ttl: 0,
    rdata: encodeRdata(type, value),
  }));
}

export interface ReplaceSpec {
  id: number;
  zone: string;
  name: string;
  type: number;
  ttl: number;
  value: string;
  /** When given, the update applies only if the RRset is exactly this (compare-and-swap). */
  expect?: Expectation;
}

/** One UPDATE that leaves exactly `value` (with `ttl`) as the RRset of `type` at `name`. */
export function replaceRRset(spec: ReplaceSpec): Message {
  return updateMessage({
    id: spec.id,
    zone: spec.zone,
    ...(spec.expect ? { prerequisites: expectRRset(spec.name, spec.type, spec.expect) } : {}),
    updates: [deleteRRset(spec.name, spec.type), addRecord(spec.name, spec.type, spec.ttl, spec.value)],
  });
}
