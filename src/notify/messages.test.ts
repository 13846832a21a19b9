import { describe, expect, it } from "vitest";
import type { RecordOutcome, RoundReport } from "../engine/round.ts";
import {
  adviceFor,
  composeMessage,
  describeEvent,
  heartbeatBody,
  heartbeatSummary,
  type NotifyEvent,
  startedMessage,
  stoppedMessage,
} from "./messages.ts";

const ref = { provider: "dh", name: "home.example.com", type: "A" as const };
const NAS = { provider: "dh", name: "nas.example.com", type: "AAAA" as const };

describe("describeEvent", () => {
  it.each<{ event: NotifyEvent; text: string }>([
    {
      event: { ...ref, kind: "changed", previous: "81.2.69.142", address: "81.2.69.160" },
      text: "home.example.com A: 81.2.69.142 → 81.2.69.160 (dh)",
    },
    {
      event: { ...ref, kind: "changed", previous: null, address: "81.2.69.160" },
      text: "home.example.com A: created with 81.2.69.160 (dh)",
    },
    {
      event: { ...ref, kind: "changed", previous: undefined, address: "81.2.69.160" },
      text: "home.example.com A: now 81.2.69.160 (dh)",
    },
    {
      event: {
        ...ref,
        kind: "failing",
        failures: 3,
        reason: "DreamHost rejected the API key (invalid_api_key).",
      },
      text: 'home.example.com A has failed 3 rounds in a row: DreamHost rejected the API key (invalid_api_key). homing retries every round; run "homing check" to test the provider settings, and see the log for details.',
    },
    {
      event: {
        ...ref,
        kind: "failing",
        failures: 5,
        reason:
          "the public IPv4 address is unknown (only 1 of 3 sources answered); the record was left as it is",
      },
      text: 'home.example.com A has failed 5 rounds in a row: the public IPv4 address is unknown (only 1 of 3 sources answered); the record was left as it is. Check this host\'s internet connection; "homing detect" shows what each address source answers.',
    },
    {
      event: { ...ref, kind: "recovered", failures: 4, address: "81.2.69.160", changed: false },
      text: "home.example.com A works again after 4 failed rounds: 81.2.69.160 (dh)",
    },
    {
      event: {
        ...ref,
        kind: "recovered",
        failures: 1,
        address: "81.2.69.160",
        changed: true,
        previous: "81.2.69.142",
      },
      text: "home.example.com A works again after 1 failed round: 81.2.69.142 → 81.2.69.160 (dh)",
    },
    {
      event: { ...ref, kind: "recovered", failures: undefined, address: undefined, changed: false },
      text: "home.example.com A works again (dh)",
    },
  ])("$text", ({ event, text }) => {
    expect(describeEvent(event)).toBe(text);
  });
});

describe("adviceFor", () => {
  it("tells to wait out a provider back-off", () => {
    expect(adviceFor("slow_down_bucko; no changes are made until 2026-01-01T10:00:00Z (in 40m)")).toBe(
      "homing waits as the provider asked and retries after that; nothing to do unless it lasts.",
    );
  });
});

describe("composeMessage", () => {
  it("has nothing to say without events", () => {
    expect(composeMessage([])).toBeUndefined();
  });

  it("gives one event its own title", () => {
    expect(
      composeMessage([{ ...ref, kind: "changed", previous: "81.2.69.142", address: "81.2.69.160" }]),
    ).toEqual({
      title: "homing: home.example.com A changed",
      body: "home.example.com A: 81.2.69.142 → 81.2.69.160 (dh)",
      severity: "info",
    });
    expect(
      composeMessage([{ ...ref, kind: "recovered", failures: 3, address: "81.2.69.160", changed: false }]),
    ).toMatchObject({ title: "homing: home.example.com A recovered", severity: "success" });
    expect(composeMessage([{ ...ref, kind: "failing", failures: 3, reason: "x" }])).toMatchObject({
      title: "homing: home.example.com A is failing",
      severity: "warning",
    });
  });

  it("counts several events in the title and lists them one per line", () => {
    const message = composeMessage([
      { ...ref, kind: "changed", previous: "81.2.69.142", address: "81.2.69.160" },
      { ...NAS, kind: "failing", failures: 3, reason: "timeout." },
    ]);
    expect(message).toEqual({
      title: "homing: 1 changed, 1 failing",
      body: [
        "home.example.com A: 81.2.69.142 → 81.2.69.160 (dh)",
        'nas.example.com AAAA has failed 3 rounds in a row: timeout. homing retries every round; run "homing check" to test the provider settings, and see the log for details.',
      ].join("\n"),
      severity: "warning",
    });
  });
});

describe("daemon messages", () => {
  it("says where homing started and what it keeps up to date", () => {
    expect(
      startedMessage({
        version: "0.1.0",
        hostname: "pi",
        records: ["home.example.com A", "home.example.com AAAA"],
        schedule: "every 5m",
      }),
    ).toEqual({
      title: "homing started",
      body: "homing 0.1.0 started on pi: keeping home.example.com A, home.example.com AAAA up to date, every 5m.",
      severity: "info",
    });
    expect(
      startedMessage({
        version: "0.1.0",
        hostname: "pi",
        records: ["a A", "b A", "c A", "d A", "e A"],
        schedule: "every 5m",
      }).body,
    ).toBe("homing 0.1.0 started on pi: keeping 5 records up to date, every 5m.");
  });

  it("says how long it ran and that records are no longer kept up to date", () => {
    expect(
      stoppedMessage({
        hostname: "pi",
        uptimeMs: 3 * 3_600_000 + 12 * 60_000,
        roundsOk: 11,
        roundsFailed: 1,
      }),
    ).toEqual({
      title: "homing stopped",
      body: "homing stopped on pi after 3h12m (12 rounds, 11 ok, 1 failed). DNS records are not kept up to date until it runs again.",
      severity: "warning",
    });
    expect(stoppedMessage({ hostname: "pi", uptimeMs: 4000, roundsOk: 0, roundsFailed: 0 }).body).toContain(
      "after 4s (no round finished)",
    );
  });
});

function report(records: RecordOutcome[], ok: boolean): RoundReport {
  return {
    startedAt: "2026-01-01T10:00:00.000Z",
    finishedAt: "2026-01-01T10:00:01.250Z",
    dryRun: false,
    detection: [],
    records,
    ok,
  };
}

describe("heartbeat texts", () => {
  const fine: RecordOutcome = { ...ref, status: "unchanged", address: "81.2.69.160", warnings: [] };
  const moved: RecordOutcome = {
    ...NAS,
    status: "updated",
    address: "2a00:1450:4001:81b::2001",
    previous: "2a00:1450:4001:81b::200e",
    warnings: [],
  };
  const broken: RecordOutcome = { ...NAS, status: "failed", reason: "connection refused", warnings: [] };

  it("summarises a good round", () => {
    expect(heartbeatSummary(report([fine, moved], true))).toBe("OK: 2 records correct, 1 updated");
    expect(heartbeatBody(report([fine, moved], true))).toBe(
      "home.example.com A is 81.2.69.160\nnas.example.com AAAA updated: 2a00:1450:4001:81b::200e → 2a00:1450:4001:81b::2001",
    );
  });

  it("puts failures first", () => {
    expect(heartbeatSummary(report([fine, broken], false))).toBe(
      "1 failed; nas.example.com AAAA failed: connection refused",
    );
    expect(heartbeatBody(report([fine, broken], false))).toBe(
      "nas.example.com AAAA failed: connection refused\nhome.example.com A is 81.2.69.160",
    );
  });

  it("names a detection failure when no record could run", () => {
    const failed: RoundReport = {
      ...report([], false),
      detection: [{ family: "ipv4", status: "unavailable", reason: "no quorum", sources: [] }],
    };
    expect(heartbeatSummary(failed)).toBe("ipv4 detection failed: no quorum");
  });

  it("keeps the Kuma message short", () => {
    const long: RecordOutcome = { ...broken, reason: "x".repeat(500) };
    expect(heartbeatSummary(report([long], false)).length).toBe(200);
  });
});
