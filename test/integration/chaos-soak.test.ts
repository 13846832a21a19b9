/**
 * The short chaos soak (test/support/chaos.ts): the real daemon against the DreamHost emulator
 * (add-then-remove, the most dangerous) and the Cloudflare one (in place), for a few hundred rounds
 * of random faults. `npm run bench` runs the full one (2,000 rounds each).
 *
 * Reproduce a run: CHAOS_SEED=<seed printed in the report> npx vitest run test/integration/chaos-soak.test.ts
 * (CHAOS_ROUNDS changes the length).
 */
import { expect, it } from "vitest";
import { type ChaosProvider, formatChaos, runChaos } from "../support/chaos.ts";

const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : undefined;
const cases: Array<[ChaosProvider, number]> = [
  ["dreamhost", Number(process.env.CHAOS_ROUNDS ?? 250)],
  ["cloudflare", Number(process.env.CHAOS_ROUNDS ?? 150)],
];

it.each(cases)(
  "keeps every promise through rounds of faults (%s, %i rounds)",
  { timeout: 180_000 },
  async (provider, rounds) => {
    const report = await runChaos({ provider, rounds, ...(seed !== undefined ? { seed } : {}) });
    const text = formatChaos(report);
    process.stdout.write(`${text}\n`);
    expect(report.rounds).toBe(rounds);
    // Every fault family met the daemon at least once, so a quiet run cannot pass for a chaotic one.
    const kinds = Object.keys(report.faults);
    const families = ["address change", "detection:", "provider ", "kill -9"];
    // State write failures need a tmpfs (root); elsewhere the report says they were not injected.
    if (!report.notInjected.some((reason) => reason.startsWith("state write"))) families.push("state write");
    for (const family of families) {
      expect(
        kinds.some((kind) => kind.startsWith(family)),
        `no "${family}" fault in:\n${text}`,
      ).toBe(true);
    }
    expect(report.violationCount, text).toBe(0);
  },
);
