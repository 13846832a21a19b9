/**
 * Writes schema/homing.schema.json from the same valibot schema the program validates with, so
 * editors (taplo / Even Better TOML, VS Code JSON) can complete and check config files.
 * `npm run schema` regenerates it; a unit test fails when it is out of date.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { toJsonSchema } from "@valibot/to-json-schema";
import { configSchema } from "../src/config/schema.ts";
import { PROVIDER_SCHEMAS } from "../src/providers/schemas.ts";

export const SCHEMA_PATH = fileURLToPath(new URL("../schema/homing.schema.json", import.meta.url));

export function buildJsonSchema(): string {
  const schema = toJsonSchema(configSchema(PROVIDER_SCHEMAS), {
    errorMode: "ignore",
    typeMode: "input",
  }) as Record<string, unknown>;
  const document = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "homing configuration",
    description: "Config file of homing, the dynamic DNS client (TOML or JSON).",
    ...schema,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, buildJsonSchema());
  console.log(`wrote ${SCHEMA_PATH}`);
}
