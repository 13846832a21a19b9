// Bundles src/main.ts into one ESM file so a cron run loads a single file and nothing else.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outfile: "dist/homing.mjs",
  sourcemap: "linked",
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
  define: { HOMING_VERSION: JSON.stringify(JSON.parse(readFileSync("package.json", "utf8")).version) },
});
