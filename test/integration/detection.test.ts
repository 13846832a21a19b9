/**
 * Address detection as a user sees it through `homing run` and `homing detect`: bad answers are
 * refused per source, a hung source does not stall a run that has its quorum, and without a quorum
 * nothing at the provider changes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAllWorlds, IP1, IP2, IP3, IP6_1, lines, NAME, row, startWorld } from "../support/harness.ts";

afterEach(closeAllWorlds);

/** Delay for the agreeing sources, so the odd one out is always heard before the quorum is reached. */
const LATE = 150;

interface DetectJson {
  detection: Array<{
    family: string;
    status: string;
    address?: string;
    reason?: string;
    sources: Array<{ source: string; verdict: string; address?: string; reason?: string; hint?: string }>;
  }>;
}

describe("bad answers from one source", () => {
  it("an HTML page from one source is refused; the two others still make the quorum", async () => {
    const world = await startWorld({
      ipv4: [
        { body: `<html><body>Your IP is ${IP2}</body></html>`, contentType: "text/html" },
        { answer: IP1, delayMs: LATE },
        { answer: IP1, delayMs: LATE },
      ],
    });

    const result = await world.run("run", ["-v"]);

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
    expect(result.stderr).toMatch(/echo-a gave no usable answer: the answer is an HTML page/);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);

    const detect = JSON.parse((await world.run("detect", ["--json"])).stdout) as DetectJson;
    expect(detect.detection[0]?.sources[0]).toMatchObject({ source: "echo-a", verdict: "rejected" });
    expect(detect.detection[0]?.sources[0]?.reason).toMatch(/HTML/);
  });

  it("a minority answer is ignored and logged as a warning naming the source", async () => {
    const world = await startWorld({
      ipv4: [{ answer: IP2 }, { answer: IP1, delayMs: LATE }, { answer: IP1, delayMs: LATE }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: IPv4 source echo-a answered 81\.2\.69\.160, but echo-b and echo-c agree on 81\.2\.69\.142; ignoring echo-a$/m,
    );
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
  });
});

describe("no usable address: nothing changes at the provider", () => {
  it("private answers (10.0.0.1) are refused as not public; exit 1 and no provider call", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", IP2)],
      ipv4: [{ answer: "10.0.0.1" }, { answer: "10.0.0.1" }, { answer: "10.0.0.1" }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/cannot tell the public IPv4 address, so nothing was changed/);
    expect(result.stderr).toMatch(/10\.0\.0\.1 is not public/);
    expect(world.requests()).toEqual([]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
  });

  it("CGNAT answers (100.64.1.1) are refused with the CGNAT hint", async () => {
    const world = await startWorld({
      ipv4: [{ answer: "100.64.1.1" }, { answer: "100.64.1.1" }, { answer: "100.64.1.1" }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/carrier-grade NAT/);
    expect(result.stderr).toMatch(/\(CGNAT\)/);
    expect(result.stderr).toMatch(/ipv6 = true/);
    expect(world.requests()).toEqual([]);
  });

  it("answers of the wrong family are refused", async () => {
    const world = await startWorld({
      ipv4: [{ answer: IP6_1 }, { answer: IP6_1 }, { answer: IP6_1 }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is an IPv6 address, expected IPv4/);
    expect(world.requests()).toEqual([]);
  });

  it("disagreeing sources (no quorum): exit 1, nothing changed, stderr lists every source's answer", async () => {
    const world = await startWorld({
      records: [row(NAME, "A", IP2)],
      ipv4: [{ answer: IP1 }, { answer: IP2 }, { answer: IP3 }],
    });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/sources disagree/);
    for (const [name, ip] of [
      ["echo-a", IP1],
      ["echo-b", IP2],
      ["echo-c", IP3],
    ]) {
      expect(result.stderr).toContain(`${name}: ${ip}`);
    }
    expect(world.mutations()).toEqual([]);
    expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    const state = await world.state();
    expect(state.detection.ipv4).toMatchObject({ status: "unavailable" });
    expect(state.records[`dh/${NAME}/A`]).toMatchObject({ lastResult: "failed" });
  });
});

it("a hung source does not stall a run whose quorum two other sources already reached", async () => {
  const world = await startWorld({
    detectTimeout: "20s",
    ipv4: [{ hang: true }, { answer: IP1 }, { answer: IP1 }],
  });

  const result = await world.run("run");

  expect(result.code).toBe(0);
  expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
  expect(result.ms).toBeLessThan(5000);
  expect(world.echoes4[0]?.hits).toBe(1);
});

it("trickling, hung and oversized sources fail within detect.timeout; without a quorum nothing changes", async () => {
  const world = await startWorld({
    records: [row(NAME, "A", IP2)],
    detectTimeout: "1s",
    ipv4: [{ trickle: true }, { hang: true }, { bodyBytes: 1024 * 1024 }],
  });

  const result = await world.run("detect", ["--json"]);

  expect(result.code).toBe(1);
  expect(result.ms).toBeLessThan(4000);
  const report = JSON.parse(result.stdout) as DetectJson;
  const reasons = report.detection[0]?.sources.map((s) => `${s.source} ${s.verdict} ${s.reason}`);
  expect(reasons).toEqual([
    expect.stringMatching(/^echo-a failed .*no answer within 1000 ms/),
    expect.stringMatching(/^echo-b failed .*no answer within 1000 ms/),
    expect.stringMatching(/^echo-c failed .*larger than 4096 bytes/),
  ]);

  const run = await world.run("run");
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/no source gave a usable address/);
  expect(world.requests()).toEqual([]);
});

describe("homing detect", () => {
  it("prints the address and every source's verdict", async () => {
    const world = await startWorld({
      ipv4: [{ answer: "100.64.1.1" }, { answer: IP1, delayMs: LATE }, { answer: IP1, delayMs: LATE }],
    });

    const result = await world.run("detect");

    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out[0]).toBe(`IPv4: ${IP1}`);
    expect(out).toContainEqual(
      expect.stringMatching(/^ {2}echo-a +http +rejected +the answer 100\.64\.1\.1 .*carrier-grade/),
    );
    expect(out).toContainEqual(expect.stringMatching(/^ +hint: .*CGNAT/));
    expect(out).toContainEqual(
      expect.stringMatching(/^ {2}echo-b +http +agreed +81\.2\.69\.142 \[\d+ ms\]$/),
    );
    expect(out).toContainEqual(
      expect.stringMatching(/^ {2}echo-c +http +agreed +81\.2\.69\.142 \[\d+ ms\]$/),
    );
    expect(world.requests()).toEqual([]); // detect never talks to the provider
  });

  it("--json gives per-source verdicts; an unavailable family exits 1", async () => {
    const world = await startWorld({
      ipv4: [{ answer: IP1 }, { answer: IP2 }, { status: 500, body: "oops" }],
    });

    const result = await world.run("detect", ["--json"]);

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DetectJson;
    expect(report.detection).toHaveLength(1);
    const [ipv4] = report.detection;
    expect(ipv4).toMatchObject({ family: "ipv4", status: "unavailable" });
    expect(ipv4?.sources).toEqual([
      expect.objectContaining({ source: "echo-a", kind: "http", verdict: "answered", address: IP1 }),
      expect.objectContaining({ source: "echo-b", verdict: "answered", address: IP2 }),
      expect.objectContaining({
        source: "echo-c",
        verdict: "failed",
        reason: expect.stringMatching(/HTTP 500/),
      }),
    ]);
  });
});
