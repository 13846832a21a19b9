/**
 * Strict reply parsing: each provider describes the fields it reads with a valibot schema, and a
 * reply that does not match is a transient error that names the provider, the call and the field
 * ("Porkbun sent a reply homing cannot read when asked to list …: records.0.content: expected a
 * string"). A row homing cannot read could be the record itself, so it is never skipped and never
 * read as an empty value.
 */
import * as v from "valibot";
import type { Api } from "./http.ts";

export function parseReply<S extends v.GenericSchema>(
  api: Api,
  schema: S,
  body: unknown,
  what: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? "the reply";
  const expected = issue.expected ? `expected ${issue.expected}` : issue.message;
  const received = issue.received ? `, got ${api.shown(issue.received, 40)}` : "";
  throw api.error(
    `${api.label} sent a reply homing cannot read when asked to ${what}: ${path}: ${expected}${received}; homing retries later`,
    "transient",
  );
}

/** A field that services send as a number or a string (ids, TTLs): read as a string. */
export const idString = v.pipe(
  v.union([v.string(), v.pipe(v.number(), v.integer())]),
  v.transform((value) => String(value)),
);

/** A TTL that arrives as a number or a numeric string. */
export const ttlNumber = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/))]),
  v.transform((value) => Number(value)),
);
