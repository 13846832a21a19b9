/**
 * Standalone echo server for demos and manual tests:
 *
 *   tsx test/emulators/ip-echo-cli.ts --answer 81.2.69.142 [--format text|json|trace]
 *       [--host 127.0.0.1|::1] [--port 0] [--answer-file PATH]
 *
 * Prints one JSON line `{"url":"..."}` once listening, then serves until SIGTERM/SIGINT.
 * With --answer-file, the file is re-read on every request: its trimmed text is the answer, or, when it
 * starts with "{", a JSON EchoBehaviour. A missing or empty file falls back to --answer (or, without
 * --answer, the client's own address).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type EchoBehaviour, type EchoFormat, startEcho } from "./ip-echo.ts";

const FORMATS: readonly string[] = ["text", "json", "trace"];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      answer: { type: "string" },
      "answer-file": { type: "string" },
      format: { type: "string", default: "text" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
    },
    strict: true,
  });
  const host = values.host;
  if (host !== "127.0.0.1" && host !== "::1") throw new Error(`--host must be 127.0.0.1 or ::1, not ${host}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: bad port ${values.port}`);
  if (!FORMATS.includes(values.format)) throw new Error(`--format must be one of ${FORMATS.join(", ")}`);
  const base: EchoBehaviour = { format: values.format as EchoFormat };
  if (values.answer !== undefined) base.answer = values.answer;
  const answerFile = values["answer-file"];

  const server = await startEcho(base, {
    host,
    port,
    ...(answerFile === undefined ? {} : { onRequest: (echo) => echo.set(readBehaviour(answerFile, base)) }),
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** The behaviour described by the answer file, or `base` when it is missing, empty or unreadable. */
function readBehaviour(path: string, base: EchoBehaviour): EchoBehaviour {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch {
    return base;
  }
  if (text === "") return base;
  if (!text.startsWith("{")) return { ...base, answer: text };
  try {
    return { ...base, ...(JSON.parse(text) as EchoBehaviour) };
  } catch {
    return { ...base, status: 500, body: `bad JSON in ${path}` };
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ip-echo-cli: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
