/**
 * Standalone runner for the DreamHost emulator, for manual runs and for tests that spawn the client
 * as a separate process:
 *
 *   tsx test/emulators/dreamhost-cli.ts --port 0 --key KEY --zone example.com [--zone example.org]
 *       [--log-requests] [--no-rate-limits]
 *
 * Starts the emulator with that one key (cmds "*") on account "123456" and the given zones, prints
 * {"url":"..."} as a single JSON line on stdout (the port is only known once listening), and runs
 * until SIGTERM or SIGINT.
 */
import { parseArgs } from "node:util";
import { startDreamHostEmulator } from "./dreamhost.ts";

const ACCOUNT_ID = "123456";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      key: { type: "string" },
      zone: { type: "string", multiple: true, default: [] },
      "latency-ms": { type: "string", default: "0" },
      "log-requests": { type: "boolean", default: false },
      "no-rate-limits": { type: "boolean", default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  const latencyMs = Number(values["latency-ms"]);
  if (values.key === undefined || values.key === "") throw new Error("--key is required");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port: ${values.port}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new Error(`bad --latency-ms: ${values["latency-ms"]}`);

  const emulator = await startDreamHostEmulator(
    {
      keys: { [values.key]: { accountIds: [ACCOUNT_ID], cmds: "*" } },
      zones: values.zone.map((zone) => ({ accountId: ACCOUNT_ID, zone })),
      records: [],
      latencyMs,
      // --no-rate-limits: for benches that change the address more often than DreamHost allows.
      ...(values["no-rate-limits"] ? { rateLimits: [] } : {}),
    },
    { port, host: values.host },
  );
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  // --log-requests: every request as one JSON line on stdout (its `at` is the arrival time), for
  // tests whose emulator runs in another network namespace.
  if (values["log-requests"]) {
    let printed = 0;
    setInterval(() => {
      while (printed < emulator.requests.length) {
        process.stdout.write(`${JSON.stringify(emulator.requests[printed])}\n`);
        printed++;
      }
    }, 10);
  }

  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dreamhost-cli: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
