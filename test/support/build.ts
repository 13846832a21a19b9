/**
 * Vitest global setup of the integration project: builds dist/homing.cjs once, so the suite always
 * runs the CLI built from the current source (bin/homing loads that bundle).
 */
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "./harness.ts";

export default function setup(): void {
  const result = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(
      `node scripts/build.mjs failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
}
