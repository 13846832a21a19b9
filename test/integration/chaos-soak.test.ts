/**
 * The short chaos soak (test/support/chaos.ts): the real daemon against the DreamHost emulator for a
 * few hundred rounds of random faults. `npm run bench` runs the full one (2,000 rounds).
 *
 * Reproduce a run: CHAOS_SEED=<seed printed in the report> npx vitest run test/integration/chaos-soak.test.ts
 * (CHAOS_ROUNDS changes the length).
 */
import { expect, it } from "vitest";
import { formatChaos, runChaos } from "../support/chaos.ts";

const rounds = Number(process.env.CHAOS_ROUNDS ?? 300);
const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : undefined;

it(`keeps every promise through ${rounds} rounds of faults (DreamHost)`, { timeout: 240_000 }, async () => {
  const report = await runChaos({ rounds, ...(seed !== undefined ? { seed } : {}) });
  const text = formatChaos(report);
  process.stdout.write(`${text}\n`);
  expect(report.rounds).toBe(rounds);
  // Every fault family met the daemon at least once, so a quiet run cannot pass for a chaotic one.
  const kinds = Object.keys(report.faults);
  for (const family of ["address change", "detection:", "provider ", "kill -9"]) {
    expect(
      kinds.some((kind) => kind.startsWith(family)),
      `no "${family}" fault in:\n${text}`,
    ).toBe(true);
  }
  expect(report.violationCount, text).toBe(0);
});
