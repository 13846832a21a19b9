import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildJsonSchema, SCHEMA_PATH } from "./schema.ts";

describe("schema/homing.schema.json", () => {
  it("is generated from the current config schema (run `npm run schema` after changing it)", () => {
    expect(readFileSync(SCHEMA_PATH, "utf8")).toBe(buildJsonSchema());
  });

  it("rejects unknown keys and documents defaults, so editors can complete and check configs", () => {
    const schema = JSON.parse(buildJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.recheck).toMatchObject({ default: "1h", pattern: expect.any(String) });
    expect(
      schema.properties.providers.additionalProperties.anyOf ??
        schema.properties.providers.additionalProperties.oneOf,
    ).toBeDefined();
  });
});
