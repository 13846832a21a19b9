import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.ts";
import type { IpFamily } from "../core/ip.ts";
import type { AddressRecordType, ProviderRecord } from "../core/records.ts";
import { emptyState, type State } from "../core/state.ts";
import type { FamilyDetection } from "../detect/detect.ts";
import { ProviderError } from "../errors.ts";
import { memoryLogger } from "../platform/log.ts";
import type {
  AddResult,
  ChangeResult,
  DnsProvider,
  RecordChange,
  ReplaceManyOptions,
  UnchangedRecord,
} from "../providers/provider.ts";
import { PROVIDER_SCHEMAS } from "../providers/schemas.ts";
import { decisionLine } from "./decision.ts";
import { type RecordOutcome, runRound } from "./round.ts";

const NAME = "home.example.com";
const V4 = "81.2.69.142";
const V4B = "81.2.69.160";
const V6 = "2a00:1450:4001:81b::200e";
const V6B = "2a00:1450:4001:81b::2001";

/** A provider that cannot list: DNS rows from a map, updates recorded, answers scripted. */
class FakeUpdateUrl implements DnsProvider {
  readonly id = "dd";
  readonly label = "Fake";
  readonly capabilities: DnsProvider["capabilities"] = { list: false, change: "update-url" };
  readonly foreignRowHint = "";
  fingerprint = "0123456789abcdef";
  dns: ProviderRecord[] = [];
  lookupFails = false;
  calls: Array<{ changes: RecordChange[]; unchanged: UnchangedRecord[] }> = [];
  answer: (change: RecordChange) => ChangeResult = () => ({});

  async lookup(names: readonly string[]): Promise<ProviderRecord[]> {
    if (this.lookupFails)
      throw new ProviderError("DNS lookup timed out", { kind: "transient", provider: this.id });
    return this.dns.filter((row) => names.includes(row.name));
  }
  async replaceMany(changes: readonly RecordChange[], options: ReplaceManyOptions): Promise<ChangeResult[]> {
    this.calls.push({ changes: [...changes], unchanged: [...options.unchanged] });
    return changes.map((change) => this.answer(change));
  }
  async add(): Promise<AddResult> {
    throw new Error("not used");
  }
  async remove(): Promise<void> {
    throw new Error("not used");
  }
  async verifyAccess(): Promise<string> {
    return "";
  }
}

function world(options: { ipv6?: boolean } = {}) {
  const config = v.parse(configSchema(PROVIDER_SCHEMAS), {
    providers: { dd: { type: "custom", url: "https://example.net/u?ip={ip}" } },
    records: [{ name: NAME, provider: "dd", ipv4: true, ipv6: options.ipv6 ?? false }],
  });
  const provider = new FakeUpdateUrl();
  const state: State = emptyState();
  const address: Record<IpFamily, string> = { ipv4: V4, ipv6: V6 };
  let clock = Date.parse("2026-05-01T12:00:00Z");
  const logger = memoryLogger("debug");
  const round = (flags: { force?: boolean; dryRun?: boolean } = {}) =>
    runRound({
      config,
      state,
      logger,
      now: () => new Date(clock),
      signal: new AbortController().signal,
      dryRun: flags.dryRun ?? false,
      force: flags.force ?? false,
      detect: async (family): Promise<FamilyDetection> => ({
        family,
        status: "known",
        address: address[family],
        sources: [],
      }),
      provider: async () => provider,
    });
  return {
    config,
    provider,
    state,
    address,
    logger,
    round,
    advance(ms: number) {
      clock += ms;
    },
  };
}

const row = (type: AddressRecordType, value: string): ProviderRecord => ({
  name: NAME,
  type,
  value,
  owned: true,
});

describe("runRound with a provider that cannot list", () => {
  it("sends once, then answers from the state without a call (and without one under --force)", async () => {
    const w = world();
    const first = await w.round();
    w.advance(2 * 3_600_000);
    const later = await w.round();
    const forced = await w.round({ force: true });

    expect(first.records).toMatchObject([{ status: "updated", address: V4, previous: null }]);
    expect(later.records).toMatchObject([{ status: "unchanged" }]);
    expect(forced.records).toMatchObject([{ status: "unchanged" }]);
    expect(w.provider.calls).toHaveLength(1);
    expect(
      w.logger.lines.some((line) =>
        line.includes("--force does not resend unchanged addresses to Fake (dd)"),
      ),
    ).toBe(true);
  });

  it("a nochg answer counts as unchanged and verifies the address", async () => {
    const w = world();
    w.provider.answer = () => ({ unchanged: true });

    const report = await w.round();

    expect(report.records).toMatchObject([{ status: "unchanged", address: V4 }]);
    expect(w.state.records[`dd/${NAME}/A`]).toMatchObject({ published: V4, verifiedAt: report.finishedAt });
  });

  it("a failed lookup falls back to the state file alone", async () => {
    const w = world();
    await w.round();
    w.advance(2 * 3_600_000);
    w.provider.lookupFails = true;

    const report = await w.round();

    expect(report.records).toMatchObject([{ status: "unchanged", cached: true }]);
    expect(w.provider.calls).toHaveLength(1);
    expect(w.logger.lines.some((line) => line.includes("deciding from the state file alone"))).toBe(true);
  });

  it("an IPv6 change goes with the unchanged IPv4 (answered from the cache this round) as a sibling", async () => {
    const w = world({ ipv6: true });
    await w.round();
    w.address.ipv6 = V6B;

    const report = await w.round();

    expect(report.records.map((r) => `${r.type} ${r.status}`)).toEqual(["A unchanged", "AAAA updated"]);
    expect(w.provider.calls[1]).toEqual({
      changes: [{ name: NAME, type: "AAAA", add: V6B, remove: [] }],
      unchanged: [{ name: NAME, type: "A", value: V4 }],
    });
  });

  it("--dry-run plans without a call", async () => {
    const w = world();
    w.provider.dns = [row("A", V4B)];

    const report = await w.round({ dryRun: true });

    expect(report.records).toMatchObject([{ status: "planned", previous: V4B, address: V4 }]);
    expect(w.provider.calls).toEqual([]);
  });

  it("a halt is persisted with the fingerprint, blocks later rounds without a call, and lifts when it changes", async () => {
    const w = world();
    w.provider.answer = () => ({
      error: new ProviderError("Fake rejected the password (badauth)", {
        kind: "auth",
        provider: "dd",
        halt: "account",
      }),
    });

    const first = await w.round();

    expect(first.records[0]?.reason).toBe(
      "Fake rejected the password (badauth); homing sends nothing more to dd until its config changes",
    );
    expect(w.state.providers.dd?.halted).toMatchObject({
      fingerprint: "0123456789abcdef",
      reason: "Fake rejected the password (badauth)",
    });

    w.address.ipv4 = V4B;
    const second = await w.round();

    expect(second.records[0]?.status).toBe("failed");
    expect(second.records[0]?.reason).toMatch(
      /\(badauth\) \(since .*\); no request was sent: fix the config; homing retries once it changes$/,
    );
    expect(w.provider.calls).toHaveLength(1);

    w.provider.fingerprint = "fedcba9876543210";
    w.provider.answer = () => ({});
    const third = await w.round();

    expect(third.records[0]?.status).toBe("updated");
    expect(w.provider.calls).toHaveLength(2);
    expect(w.state.providers.dd?.halted).toBeUndefined();
  });

  it("a rate limit persists a back-off; the next round sends nothing inside it", async () => {
    const w = world();
    w.provider.answer = () => ({
      error: new ProviderError("Fake: 911", {
        kind: "rate_limited",
        provider: "dd",
        retryAfterMs: 1_800_000,
      }),
    });

    await w.round();
    w.advance(60_000);
    const second = await w.round();

    expect(w.state.providers.dd?.backoffUntil).toBe(
      new Date(Date.parse("2026-05-01T12:30:00Z")).toISOString(),
    );
    expect(second.records[0]?.reason).toMatch(/^Fake: 911; no changes are made until/);
    expect(w.provider.calls).toHaveLength(1);
  });
});

describe("the decision of each record, in words (-v, homing explain)", () => {
  it("says what DNS and the state said, what was planned, and why it was or was not sent", async () => {
    const w = world();
    w.provider.lookupFails = true;
    const planned = await w.round({ dryRun: true });
    w.provider.lookupFails = false;
    const sent = await w.round();
    w.provider.dns = [row("A", V4)];
    w.advance(2 * 3_600_000);
    const kept = await w.round();
    w.state.providers.dd = {
      backoffUntil: new Date(Date.parse("2026-05-01T15:00:00Z")).toISOString(),
      backoffReason: "Fake asked homing to slow down",
    };
    w.address.ipv4 = V4B;
    const held = await w.round();

    expect(planned.records[0]?.decision).toEqual([
      "not answered from the cache: no earlier run in the state file",
      "DNS could not be asked; deciding from the state file alone",
      "the service has accepted no address from homing yet",
      `planned: create ${V4}`,
      "dry run: nothing sent",
    ]);
    expect(sent.records[0]?.decision).toEqual([
      "not answered from the cache: no earlier run in the state file",
      "DNS answers no address",
      "the service has accepted no address from homing yet",
      `planned: create ${V4}`,
      "Fake accepted the change",
    ]);
    expect(kept.records[0]?.decision).toEqual([
      "not answered from the cache: last verified 2h ago, recheck is every 60m",
      `DNS answers ${V4}`,
      `the service last accepted ${V4} 2h ago`,
      "matches the detected address; nothing to change; not sent (Fake counts repeated no-change updates as abuse)",
    ]);
    expect(held.records[0]?.decision).toEqual([
      `not answered from the cache: the cached ${V4} differs from the detected ${V4B}`,
      `DNS answers ${V4}`,
      `the service last accepted ${V4} just now`,
      `planned change ${V4} -> ${V4B}`,
      expect.stringMatching(
        /^held back, nothing sent: Fake asked homing to slow down; no changes are made until/,
      ),
    ]);
    // -v: the same steps, one line per record.
    expect(w.logger.lines).toContain(decisionLine(held.records[0] as RecordOutcome));
  });
});
