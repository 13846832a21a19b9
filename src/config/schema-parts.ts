/** Building blocks shared by the main config schema and every provider's own schema. */
import * as v from "valibot";
import { DURATION_PATTERN } from "../core/duration.ts";

export function duration(defaultValue: string, description: string) {
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(DURATION_PATTERN, 'expected a duration like "30s", "5m" or "1h"'),
      v.description(description),
    ),
    defaultValue,
  );
}

/** A secret setting: the value inline, or `<key>_file` naming a file that holds it (or the environment). */
export function secretKeys<K extends string>(key: K, what: string) {
  return {
    [key]: v.optional(v.pipe(v.string(), v.description(`${what} (prefer ${key}_file or the environment)`))),
    [`${key}_file`]: v.optional(v.pipe(v.string(), v.description(`File holding the ${what} (mode 0600)`))),
  } as {
    [P in K | `${K}_file`]: v.OptionalSchema<
      v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.DescriptionAction<string, string>]>,
      undefined
    >;
  };
}
