import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../config/schema.ts";
import type { AddressRecordType, ProviderRecord } from "../core/records.ts";
import { emptyState } from "../core/state.ts";
import { ProviderError } from "../errors.ts";
import { memoryLogger } from "../platform/log.ts";
import type { AddResult, DnsProvider, RecordChange } from "../providers/provider.ts";
import { runRound } from "./round.ts";

const ADDRESS = "81.2.69.160";

/** A listing provider whose changes take a little while, so overlapping ones can be counted. */
class SlowProvider implements DnsProvider {
  readonly id = "cf";
  readonly label = "Fake";
  readonly foreignRowHint = "";
  readonly capabilities: DnsProvider["capabilities"];
  inFlight = 0;
  maxInFlight = 0;
  changed: string[] = [];
  failOn: string | undefined;

  constructor(maxConcurrency: number) {
    this.capabilities = { canList: true, atomicReplace: false, updateInPlace: true, maxConcurrency };
  }
  async list(): Promise<ProviderRecord[]> {
    return [];
  }
  async replace(change: RecordChange): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    if (change.name === this.failOn) {
      throw new ProviderError("token rejected", { kind: "auth", provider: this.id });
    }
    this.changed.push(change.name);
  }
  async add(_name: string, _type: AddressRecordType, _value: string): Promise<AddResult> {
    return { confirmed: true };
  }
  async remove(): Promise<void> {}
  async verifyAccess(): Promise<string> {
    return "";
  }
}

function round(provider: SlowProvider, names: string[]) {
  const config = v.parse(ConfigSchema, {
    providers: { cf: { type: "cloudflare", api_token: "x" } },
    records: names.map((name) => ({ name, provider: "cf" })),
  });
  return runRound({
    config,
    state: emptyState(),
    logger: memoryLogger(),
    now: () => new Date("2026-11-20T10:00:00Z"),
    signal: new AbortController().signal,
    dryRun: false,
    force: false,
    detect: async (family) => ({ family, status: "known", address: ADDRESS, sources: [] }),
    provider: async () => provider,
  });
}

const names = Array.from({ length: 10 }, (_, i) => `host${i}.example.com`);

describe("runRound with several changes", () => {
  it.each([1, 3])(
    "keeps at most maxConcurrency=%i changes in flight, and reports every record in config order",
    async (limit) => {
      const provider = new SlowProvider(limit);
      const report = await round(provider, names);
      expect(provider.maxInFlight).toBe(limit);
      expect(provider.changed.sort()).toEqual([...names].sort());
      expect(report.records.map((r) => [r.name, r.status])).toEqual(names.map((name) => [name, "updated"]));
      expect(report.ok).toBe(true);
    },
  );

  it("stops starting changes after an auth failure; the rest fail with that reason, unsent", async () => {
    const provider = new SlowProvider(1);
    provider.failOn = "host3.example.com";
    const report = await round(provider, names);
    expect(provider.changed).toEqual(names.slice(0, 3));
    expect(report.records.filter((r) => r.status === "failed").map((r) => r.reason)).toEqual(
      Array(7).fill("token rejected"),
    );
  });
});
