// Bundles src/main.ts into one CommonJS file so a cron run loads a single file and nothing else.
// CommonJS, not ESM: Node starts a CJS entry ~4 ms faster (no ESM loader), a quarter of the
// startup budget of an unchanged-address run (docs/design.md).
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// A clean dist/ also drops code caches of earlier builds (bin/homing keys them by size and mtime).
rmSync(fileURLToPath(new URL("../dist", import.meta.url)), { recursive: true, force: true });

await build({
  absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  // import() of lazily loaded modules becomes require(), so the bundle runs as one vm.Script.
  supported: { "dynamic-import": false },
  outfile: "dist/homing.cjs",
  sourcemap: "linked",
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
  define: {
    HOMING_VERSION: JSON.stringify(
      JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version,
    ),
  },
});
