// Bundles src/main.ts into one CommonJS file so a cron run loads a single file and nothing else.
// CommonJS, not ESM: Node starts a CJS entry ~4 ms faster (no ESM loader), a quarter of the
// startup budget of an unchanged-address run (docs/design.md).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;

const result = await build({
  absWorkingDir: root,
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
  define: { HOMING_VERSION: JSON.stringify(version) },
  write: false,
});

// Each file is replaced atomically (temp + rename), so a homing process or a test run that starts
// during a rebuild sees either the old bundle or the new one, never none.
mkdirSync(dist, { recursive: true });
for (const file of result.outputFiles) {
  const temp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temp, file.contents);
  renameSync(temp, file.path);
}
// Code caches of earlier builds (bin/homing keys them by size and mtime) are never read again.
for (const name of readdirSync(dist)) {
  if (name.startsWith(".homing.cjs.") && name.endsWith(".cache")) rmSync(join(dist, name), { force: true });
}
console.log(
  `built ${result.outputFiles
    .map((f) => basename(f.path))
    .filter((n) => n.endsWith(".cjs"))
    .join(", ")}`,
);
