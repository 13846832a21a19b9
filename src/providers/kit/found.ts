/**
 * A read whose 404 means "there is none" (a zone not in the account, a set not yet created): the
 * reply read with its schema, or null. Every other refusal is classified by `Api` as usual.
 */
import type * as v from "valibot";
import type { Api } from "./http.ts";
import { parseReply } from "./reply.ts";

export async function getOrNull<S extends v.GenericSchema>(
  api: Api,
  request: { path: string; what: string; query?: Record<string, string | number | undefined> },
  schema: S,
  signal: AbortSignal,
): Promise<v.InferOutput<S> | null> {
  const { status, body } = await api.json({ method: "GET", ...request, accept: [404] }, signal);
  return status === 404 ? null : parseReply(api, schema, body, request.what);
}
