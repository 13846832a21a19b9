/**
 * `homing notify --test`: one test message to every notification target and one ping to every
 * heartbeat, each tried once (a test should answer quickly and show the first failure, not hide it
 * behind retries), all at the same time. Each result names the target by its safe label and says
 * why it failed, redacted for the target's secrets.
 */
import { redact } from "../core/secret.ts";
import { errorMessage } from "../errors.ts";
import { healthchecksUrl, heartbeatSecrets, sendPing, uptimeKumaUrl } from "./heartbeat.ts";
import type { NotifySetup } from "./index.ts";
import { testMessage } from "./messages.ts";
import { createSender, type SenderConfig, type SendFunction } from "./senders.ts";

export interface TestResult {
  kind: "notification" | "heartbeat";
  /** Safe to print: scheme and server for a target, service and host for a heartbeat. */
  target: string;
  ok: boolean;
  ms: number;
  /** Why it failed, redacted. */
  error?: string;
}

export interface TestSendOptions {
  hostname: string;
  /** Endpoint overrides for the default senders (tests). */
  senderConfig?: SenderConfig;
  /** Replaces the real senders (unit tests). */
  send?: SendFunction;
  /** Milliseconds since some start (default performance.now). */
  clock?: () => number;
}

async function timed(
  kind: TestResult["kind"],
  target: string,
  secrets: readonly string[],
  attempt: () => Promise<void>,
  clock: () => number,
): Promise<TestResult> {
  const started = clock();
  try {
    await attempt();
    return { kind, target, ok: true, ms: Math.round(clock() - started) };
  } catch (error) {
    const ms = Math.round(clock() - started);
    return { kind, target, ok: false, ms, error: redact(errorMessage(error), secrets) };
  }
}

/** Sends the test to everything `setup` configures; never throws for a failed send. */
export async function sendTestMessages(setup: NotifySetup, options: TestSendOptions): Promise<TestResult[]> {
  const clock = options.clock ?? (() => performance.now());
  const send = options.send ?? createSender(options.senderConfig);
  const message = testMessage({ hostname: options.hostname });
  const { timeoutMs } = setup;
  const body = `${message.body}\n`;
  const pings: Array<Promise<TestResult>> = [];
  const { healthchecks, uptimeKuma } = setup.heartbeats;
  if (healthchecks) {
    // A success ping: it only restarts the check's period, which the next round does anyway.
    const url = healthchecksUrl(healthchecks, "", undefined);
    pings.push(
      timed(
        "heartbeat",
        `healthchecks ${url.host}`,
        heartbeatSecrets(healthchecks),
        () => sendPing(url, { method: "POST", body, timeoutMs }),
        clock,
      ),
    );
  }
  if (uptimeKuma) {
    const url = uptimeKumaUrl(uptimeKuma, true, "homing notify --test", 0);
    pings.push(
      timed(
        "heartbeat",
        `Uptime Kuma ${url.host}`,
        heartbeatSecrets(uptimeKuma),
        () => sendPing(url, { method: "GET", body: undefined, timeoutMs }),
        clock,
      ),
    );
  }
  return Promise.all([
    ...setup.targets.map((target) =>
      timed("notification", target.label, target.secrets, () => send(target, message, { timeoutMs }), clock),
    ),
    ...pings,
  ]);
}

/** One line per result: `notification ntfy://ntfy.sh: ok (120 ms)`, `…: failed (30 ms): why`. */
export function testResultLines(results: readonly TestResult[]): string[] {
  return results.map(
    (r) => `${r.kind} ${r.target}: ${r.ok ? "ok" : "failed"} (${r.ms} ms)${r.ok ? "" : `: ${r.error}`}`,
  );
}
