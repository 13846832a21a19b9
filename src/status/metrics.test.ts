import { describe, expect, it } from "vitest";
import { fixtureContext, fixtureReport, NOW } from "../../test/support/status-fixture.ts";
import { emptyCounters, escapeLabelValue, MetricsObserver, renderMetrics } from "./metrics.ts";
import { buildSnapshot } from "./snapshot.ts";

/**
 * The whole exposition for the fixture after one good and one failed round. A change to any metric
 * name, label, HELP text or ordering shows up here: review it like an API change (dashboards and
 * alerts depend on these names).
 */
const GOLDEN = `# HELP homing_build_info Version of the running homing; always 1.
# TYPE homing_build_info gauge
homing_build_info{version="0.1.0"} 1
# HELP homing_up 1 when /healthz answers 200 (the last round succeeded, or failures are younger than the grace period), else 0.
# TYPE homing_up gauge
homing_up 1
# HELP homing_start_time_seconds When the daemon started, in seconds since the Unix epoch.
# TYPE homing_start_time_seconds gauge
homing_start_time_seconds 1747224000
# HELP homing_rounds_total Update rounds since the daemon started, by result.
# TYPE homing_rounds_total counter
homing_rounds_total{result="ok"} 1
homing_rounds_total{result="failed"} 1
# HELP homing_round_duration_seconds Wall-clock time of update rounds.
# TYPE homing_round_duration_seconds summary
homing_round_duration_seconds_sum 1.7
homing_round_duration_seconds_count 2
# HELP homing_round_running 1 while a round is running.
# TYPE homing_round_running gauge
homing_round_running 0
# HELP homing_last_success_timestamp_seconds When the last successful round finished, in seconds since the Unix epoch (absent before the first one).
# TYPE homing_last_success_timestamp_seconds gauge
homing_last_success_timestamp_seconds 1747741620
# HELP homing_last_failure_timestamp_seconds When the last failed round finished, in seconds since the Unix epoch (absent before the first one).
# TYPE homing_last_failure_timestamp_seconds gauge
homing_last_failure_timestamp_seconds 1747742220
# HELP homing_next_round_timestamp_seconds When the next scheduled round starts, in seconds since the Unix epoch (absent while a round runs).
# TYPE homing_next_round_timestamp_seconds gauge
homing_next_round_timestamp_seconds 1747742520
# HELP homing_record_updates_total Record checks by outcome: unchanged, updated (changed at the provider), failed, planned (dry run).
# TYPE homing_record_updates_total counter
homing_record_updates_total{provider="dh",name="home.example.com",type="A",result="unchanged"} 2
homing_record_updates_total{provider="dh",name="home.example.com",type="A",result="updated"} 0
homing_record_updates_total{provider="dh",name="home.example.com",type="A",result="failed"} 0
homing_record_updates_total{provider="dh",name="home.example.com",type="AAAA",result="unchanged"} 2
homing_record_updates_total{provider="dh",name="home.example.com",type="AAAA",result="updated"} 0
homing_record_updates_total{provider="dh",name="home.example.com",type="AAAA",result="failed"} 0
homing_record_updates_total{provider="dh",name="nas.example.com",type="A",result="unchanged"} 1
homing_record_updates_total{provider="dh",name="nas.example.com",type="A",result="updated"} 0
homing_record_updates_total{provider="dh",name="nas.example.com",type="A",result="failed"} 1
# HELP homing_record_failures_total Rounds in which a record could not be checked or changed.
# TYPE homing_record_failures_total counter
homing_record_failures_total{provider="dh",name="home.example.com",type="A"} 0
homing_record_failures_total{provider="dh",name="home.example.com",type="AAAA"} 0
homing_record_failures_total{provider="dh",name="nas.example.com",type="A"} 1
# HELP homing_record_consecutive_failures Failed rounds in a row per record (0 when the last one worked).
# TYPE homing_record_consecutive_failures gauge
homing_record_consecutive_failures{provider="dh",name="home.example.com",type="A"} 0
homing_record_consecutive_failures{provider="dh",name="home.example.com",type="AAAA"} 0
homing_record_consecutive_failures{provider="dh",name="nas.example.com",type="A"} 2
# HELP homing_record_last_change_timestamp_seconds When homing last changed the record at the provider, in seconds since the Unix epoch.
# TYPE homing_record_last_change_timestamp_seconds gauge
homing_record_last_change_timestamp_seconds{provider="dh",name="home.example.com",type="A"} 1747737000
homing_record_last_change_timestamp_seconds{provider="dh",name="home.example.com",type="AAAA"} 1747396800
homing_record_last_change_timestamp_seconds{provider="dh",name="nas.example.com",type="A"} 1747569600
# HELP homing_published_address_info The address each record holds at the provider, as a label; always 1.
# TYPE homing_published_address_info gauge
homing_published_address_info{provider="dh",name="home.example.com",type="A",address="81.2.69.170"} 1
homing_published_address_info{provider="dh",name="home.example.com",type="AAAA",address="2a00:1450:4001:81b::200e"} 1
homing_published_address_info{provider="dh",name="nas.example.com",type="A",address="81.2.69.160"} 1
# HELP homing_detected_address_info The public address detection last settled on, per family, as a label; always 1.
# TYPE homing_detected_address_info gauge
homing_detected_address_info{family="ipv4",address="81.2.69.170"} 1
homing_detected_address_info{family="ipv6",address="2a00:1450:4001:81b::200e"} 1
# HELP homing_detection_duration_seconds Time to settle the public address per family (the slowest source that was waited for).
# TYPE homing_detection_duration_seconds summary
homing_detection_duration_seconds_sum{family="ipv4"} 0.174
homing_detection_duration_seconds_count{family="ipv4"} 2
homing_detection_duration_seconds_sum{family="ipv6"} 0.24
homing_detection_duration_seconds_count{family="ipv6"} 2
# HELP homing_detection_failures_total Detection sources that failed or gave an unusable answer, by family and source.
# TYPE homing_detection_failures_total counter
homing_detection_failures_total{family="ipv4",source="ipinfo"} 2
# HELP homing_provider_backoff 1 while a provider asked homing to slow down and no changes are made, else 0.
# TYPE homing_provider_backoff gauge
homing_provider_backoff{provider="dh"} 0
# HELP homing_provider_halted 1 while a provider is halted: it refused in a way only a config change can fix, and nothing is sent to it.
# TYPE homing_provider_halted gauge
homing_provider_halted{provider="dh"} 0
`;

function twoRounds(): MetricsObserver {
  const observer = new MetricsObserver();
  observer.roundFinished(fixtureReport({ ok: true }));
  observer.roundFinished(fixtureReport({ ok: false }));
  return observer;
}

describe("renderMetrics", () => {
  it("matches the golden exposition", () => {
    const observer = twoRounds();
    const snapshot = buildSnapshot(fixtureContext({ failing: true }), fixtureReport({ ok: false }), {
      failingSince: observer.failingSince(),
    });
    expect(renderMetrics(snapshot, observer.counters())).toBe(GOLDEN);
  });

  it("is valid text format 0.0.4: HELP and TYPE once per family, before its samples", () => {
    const text = renderMetrics(buildSnapshot(fixtureContext(), fixtureReport()), twoRounds().counters());
    expect(text.endsWith("\n")).toBe(true);
    const typed = new Map<string, string>();
    let current = "";
    for (const line of text.trimEnd().split("\n")) {
      const help = /^# HELP (homing_[a-z0-9_]+) \S/.exec(line);
      const type = /^# TYPE (homing_[a-z0-9_]+) (counter|gauge|summary)$/.exec(line);
      if (help) {
        expect(typed.has(help[1] as string)).toBe(false);
        current = help[1] as string;
        continue;
      }
      if (type) {
        expect(type[1]).toBe(current);
        typed.set(current, type[2] as string);
        continue;
      }
      const sample =
        /^(homing_[a-z0-9_]+?)(_sum|_count)?(\{(?:[a-z_]+="(?:[^"\\\n]|\\["\\n])*",?)*\})? (\S+)$/.exec(line);
      expect(sample, line).not.toBeNull();
      expect([current, `${current}_sum`, `${current}_count`]).toContain(`${sample?.[1]}${sample?.[2] ?? ""}`);
      expect(Number.isNaN(Number(sample?.[4]))).toBe(false);
    }
    for (const [name, type] of typed) {
      if (type === "counter") expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
    }
  });

  it("escapes backslash, double quote and line feed in label values", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const snapshot = buildSnapshot(fixtureContext(), undefined);
    snapshot.daemon.version = 'v1 "quoted"\\\nnext';
    const text = renderMetrics(snapshot, emptyCounters());
    expect(text).toContain('homing_build_info{version="v1 \\"quoted\\"\\\\\\nnext"} 1\n');
    expect(text.split("\n").filter((line) => line.startsWith("homing_build_info"))).toHaveLength(1);
  });

  it("before the first round: counters at zero, no last-success sample, known records listed", () => {
    const context = fixtureContext({
      daemon: { lastSuccessAt: undefined, lastFailureAt: undefined, startedAt: NOW },
    });
    const text = renderMetrics(buildSnapshot(context, undefined), new MetricsObserver().counters());
    expect(text).toContain('homing_rounds_total{result="ok"} 0\n');
    expect(text).toContain('homing_rounds_total{result="failed"} 0\n');
    expect(text).not.toContain("homing_last_success_timestamp_seconds ");
    expect(text).toContain('homing_record_failures_total{provider="dh",name="nas.example.com",type="A"} 0\n');
    expect(text).not.toContain("homing_detection_duration_seconds_sum");
    expect(text).toContain("homing_up 1\n");
  });
});

describe("MetricsObserver", () => {
  it("tracks when the current run of failures began, and forgets it on success", () => {
    const observer = new MetricsObserver();
    expect(observer.failingSince()).toBeUndefined();
    const failed = fixtureReport({ ok: false });
    observer.roundFinished(failed);
    observer.roundFinished({ ...failed, finishedAt: new Date(NOW.getTime() + 300_000).toISOString() });
    expect(observer.failingSince()).toBe(failed.finishedAt);
    observer.roundFinished(fixtureReport({ ok: true }));
    expect(observer.failingSince()).toBeUndefined();
  });

  it("counts outcomes per record, source failures, unavailable families and detection time", () => {
    const observer = twoRounds();
    observer.roundFinished({
      startedAt: NOW.toISOString(),
      finishedAt: NOW.toISOString(),
      dryRun: false,
      detection: [
        {
          family: "ipv4",
          status: "unavailable",
          reason: "no two sources agree",
          sources: [
            {
              source: "ipify",
              kind: "http",
              url: "https://api.ipify.org/",
              verdict: "rejected",
              reason: "HTML",
              ms: 200,
            },
          ],
        },
      ],
      records: [],
      ok: false,
    });
    const counters = observer.counters();
    expect(counters.rounds).toEqual({ ok: 1, failed: 2 });
    expect(counters.recordFailures).toEqual([
      { provider: "dh", name: "nas.example.com", type: "A", value: 1 },
    ]);
    expect(counters.detectionUnavailable).toEqual([{ family: "ipv4", value: 1 }]);
    expect(counters.detectionFailures).toEqual([
      { family: "ipv4", source: "ipinfo", value: 2 },
      { family: "ipv4", source: "ipify", value: 1 },
    ]);
    expect(counters.detectionDuration.find((d) => d.family === "ipv4")).toEqual({
      family: "ipv4",
      sumSeconds: 0.087 + 0.087 + 0.2,
      count: 3,
    });
    // A copy: the renderer cannot change the observer's numbers.
    counters.rounds.ok = 99;
    expect(observer.counters().rounds.ok).toBe(1);
  });
});
