/**
 * Asks one detection source directly and prints `{ answer }` or `{ refusal, hint }` or `{ error }`
 * as JSON: lets a test run a source module inside a network namespace (`ip netns exec NS tsx
 * test/support/ask-source-cli.ts <module> '<config json>' <family> [timeoutMs]`).
 */

import type { DetectionSource, SourceContext } from "../../src/detect/sources/source.ts";
import { SourceRefusal } from "../../src/detect/sources/source.ts";
import { memoryLogger } from "../../src/platform/log.ts";

const [module, configJson, family = "ipv4", timeout = "5000"] = process.argv.slice(2);
const loaded = (await import(`../../src/detect/sources/${module}.ts`)) as {
  create(config: unknown, context: SourceContext): DetectionSource;
};
const source = loaded.create(JSON.parse(configJson ?? "{}"), {
  logger: memoryLogger(),
  family: (family ?? "ipv4") as "ipv4" | "ipv6",
});
const started = Date.now();
try {
  const answer = await source.ask(family as "ipv4" | "ipv6", {
    signal: new AbortController().signal,
    timeoutMs: Number(timeout),
  });
  process.stdout.write(`${JSON.stringify({ answer, ms: Date.now() - started })}\n`);
} catch (error) {
  if (error instanceof SourceRefusal)
    process.stdout.write(
      `${JSON.stringify({ refusal: error.message, hint: error.hint, ms: Date.now() - started })}\n`,
    );
  else
    process.stdout.write(
      `${JSON.stringify({ error: (error as Error).message, ms: Date.now() - started })}\n`,
    );
}
