import { describe, expect, it } from "vitest";
import { createLogger } from "./log.ts";

const SECRET = 'CANARY7Q2XZ+/=&K9M4%"\\ W8R1T';

/** Every 8-character window of the secret found in `text`. */
function survivors(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= SECRET.length; i++) {
    if (text.includes(SECRET.slice(i, i + 8))) out.push(SECRET.slice(i, i + 8));
  }
  return out;
}

describe("createLogger", () => {
  /** A reply that quotes the secret JSON-escaped once and twice, as a message quotes it. */
  const quoted = `service said ${JSON.stringify({ error: JSON.stringify({ key: SECRET }) })}`;

  it.each(["text", "json"] as const)("redacts a secret quoted in escaped replies (%s lines)", (format) => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", format, write: (line) => lines.push(line) });
    logger.addSecret(SECRET);

    logger.error(quoted, { reply: quoted, attempt: 2 });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("[redacted]");
    expect(survivors(lines[0] as string)).toEqual([]);
    if (format === "json")
      expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "error", attempt: 2 });
  });
});
