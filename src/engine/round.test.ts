import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.ts";
import type { AddressRecordType, ProviderRecord } from "../core/records.ts";
import { emptyState } from "../core/state.ts";
import { ProviderError } from "../errors.ts";
import { memoryLogger } from "../platform/log.ts";
import type { AddResult, DnsProvider, RecordChange, ReplaceResult } from "../providers/provider.ts";
import { PROVIDER_SCHEMAS } from "../providers/schemas.ts";
import { changeLines } from "./report-lines.ts";
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
    this.capabilities = { list: true, change: "in-place", maxConcurrency };
  }
  async list(): Promise<ProviderRecord[]> {
    return [];
  }
  async replace(change: RecordChange): Promise<ReplaceResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    if (change.name === this.failOn) {
      throw new ProviderError("token rejected", { kind: "auth", provider: this.id });
    }
    this.changed.push(change.name);
    return { removed: change.remove.map((row) => row.value) };
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
  const config = v.parse(configSchema(PROVIDER_SCHEMAS), {
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

/** A listing provider holding one A set at `home.example.com`; `replaces` says how it changes it. */
class SetProvider implements DnsProvider {
  readonly id = "ns";
  readonly label = "Fake";
  readonly foreignRowHint = "";
  readonly ownership = "homing owns the whole A set here";
  readonly capabilities: DnsProvider["capabilities"];
  replace?: (change: RecordChange) => Promise<ReplaceResult>;

  readonly values: string[];

  constructor(values: string[], replaces: boolean) {
    this.values = values;
    this.capabilities = { list: true, change: replaces ? "rrset" : "add-remove" };
    if (replaces) {
      this.replace = async () => {
        const removed = this.values.splice(0);
        this.values.push(ADDRESS);
        return { removed };
      };
    }
  }
  async list(): Promise<ProviderRecord[]> {
    return this.values.map((value) => ({ name: "home.example.com", type: "A", value, owned: true }));
  }
  async add(_name: string, _type: AddressRecordType, value: string): Promise<AddResult> {
    this.values.push(value);
    return { confirmed: true };
  }
  async remove(record: ProviderRecord): Promise<void> {
    this.values.splice(this.values.indexOf(record.value), 1);
  }
  async verifyAccess(): Promise<string> {
    return "";
  }
}

const PUBLISHED = "81.2.69.142";
const HAND = "192.0.2.7";

function setRound(provider: SetProvider, dryRun = false) {
  const config = v.parse(configSchema(PROVIDER_SCHEMAS), {
    providers: { ns: { type: "rfc2136", server: "127.0.0.1:53" } },
    records: [{ name: "home.example.com", provider: "ns" }],
  });
  const state = emptyState();
  state.records["ns/home.example.com/A"] = {
    provider: "ns",
    name: "home.example.com",
    type: "A",
    published: PUBLISHED,
    verifiedAt: "2026-01-01T00:00:00Z",
    changedAt: null,
    lastRunAt: "2026-01-01T00:00:00Z",
    lastResult: "updated",
    lastError: null,
    failures: 0,
  };
  const logger = memoryLogger();
  const report = runRound({
    config,
    state,
    logger,
    now: () => new Date("2026-11-20T10:00:00Z"),
    signal: new AbortController().signal,
    dryRun,
    force: false,
    detect: async (family) => ({ family, status: "known", address: ADDRESS, sources: [] }),
    provider: async () => provider,
  });
  return { report, logger };
}

describe("a change that removes values homing did not publish", () => {
  it.each([
    ["replaced whole in one call", true],
    ["added, then each old row removed", false],
  ])(
    "%s: the outcome lists every removed value, the line and a warning name the extra one",
    async (_, replaces) => {
      // The hand-added value is listed first: `previous` is still the one homing published.
      const provider = new SetProvider([HAND, PUBLISHED], replaces);
      const { report, logger } = setRound(provider);
      const [outcome] = (await report).records;
      expect(outcome).toMatchObject({ status: "updated", previous: PUBLISHED, address: ADDRESS });
      expect([...(outcome?.removed ?? [])].sort()).toEqual([HAND, PUBLISHED].sort());
      expect(provider.values).toEqual([ADDRESS]);
      const warning = `home.example.com A (ns): also removed ${HAND}, which homing had not published (homing owns the whole A set here)`;
      expect(outcome?.warnings).toEqual([warning]);
      expect(logger.lines).toContainEqual(`warning: ${warning}`);
      expect(changeLines(await report)).toEqual([
        `home.example.com A ${PUBLISHED} -> ${ADDRESS} (ns); also removed ${HAND}`,
      ]);
    },
  );

  it("a dry run says what it would remove", async () => {
    const provider = new SetProvider([PUBLISHED, HAND], true);
    const { report } = setRound(provider, true);
    expect(changeLines(await report)).toEqual([
      `would change home.example.com A ${PUBLISHED} -> ${ADDRESS} (ns); would also remove ${HAND}`,
    ]);
    expect(provider.values).toEqual([PUBLISHED, HAND]);
  });

  it("replacing only the address homing published adds nothing to the line and warns of nothing", async () => {
    const provider = new SetProvider([PUBLISHED], true);
    const { report, logger } = setRound(provider);
    const [outcome] = (await report).records;
    expect(outcome).toMatchObject({ status: "updated", removed: [PUBLISHED], warnings: [] });
    expect(changeLines(await report)).toEqual([`home.example.com A ${PUBLISHED} -> ${ADDRESS} (ns)`]);
    expect(logger.lines.filter((line) => line.startsWith("warning"))).toEqual([]);
  });
});

describe("the state's detection answers", () => {
  it("keep each source's URL, so two sources on one host stay apart", async () => {
    const config = v.parse(configSchema(PROVIDER_SCHEMAS), {
      providers: { cf: { type: "cloudflare", api_token: "x" } },
      records: [{ name: "home.example.com", provider: "cf" }],
    });
    const state = emptyState();
    const urls = ["http://127.0.0.1:38080/ip", "http://127.0.0.1:38080/v4?key=[redacted]"];
    await runRound({
      config,
      state,
      logger: memoryLogger(),
      now: () => new Date("2026-11-20T10:00:00Z"),
      signal: new AbortController().signal,
      dryRun: true,
      force: false,
      detect: async (family) => ({
        family,
        status: "known",
        address: ADDRESS,
        sources: urls.map((url) => ({
          source: "127.0.0.1:38080",
          kind: "http",
          url,
          verdict: "agreed",
          address: ADDRESS,
        })),
      }),
      provider: async () => new SlowProvider(1),
    });
    expect(state.detection.ipv4?.sources.map((source) => source.url)).toEqual(urls);
  });
});
