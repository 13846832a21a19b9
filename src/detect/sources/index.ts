/**
 * The registry of detection source kinds: each kind once, by its module (table schema, string
 * shorthand, `create`). See source.ts.
 */
import * as dns from "./dns.ts";

export const SOURCE_KINDS = {
  dns,
} as const;
