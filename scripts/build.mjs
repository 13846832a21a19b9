// Bundles src/main.ts into one CommonJS file so a cron run loads a single file and nothing else.
// CommonJS, not ESM: Node starts a CJS entry ~4 ms faster (no ESM loader), a quarter of the
// startup budget of an unchanged-address run (docs/design.md).
import { createHash } from "node:crypto";
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
  writeFileSync(temp, file.path.endsWith(".cjs") ? withBuildId(file.text) : file.contents);
  renameSync(temp, file.path);
}

/**
 * Marks the bundle with a hash of its own text, just before the sourceMappingURL comment (after all
 * mapped code, so the map stays right). bin/homing names its code cache by it: npm gives every
 * installed file the same mtime and Docker's COPY a new inode, so neither tells two builds apart.
 */
function withBuildId(text) {
  const id = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const map = text.lastIndexOf("//# sourceMappingURL=");
  const at = map >= 0 ? map : text.length;
  return `${text.slice(0, at)}//# homing-build=${id}\n${text.slice(at)}`;
}
// Code caches of earlier builds (bin/homing keys them by size and mtime) are never read again.
for (const name of readdirSync(dist)) {
  if (name.startsWith(".homing.cjs.") && name.endsWith(".cache")) rmSync(join(dist, name), { force: true });
}
// Node 22.1+'s built-in compile cache, which bin/homing puts here on those versions.
rmSync(join(dist, ".homing-compile-cache"), { recursive: true, force: true });

// The man page, generated from the same command table as the help and the completion scripts.
const manSource = await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/manpage.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  write: false,
  logLevel: "warning",
});
const manModule = { exports: {} };
new Function("module", "exports", manSource.outputFiles[0].text)(manModule, manModule.exports);
// The date is the package's, not the build's, so a rebuild of the same version is byte-identical.
const manDate = process.env.SOURCE_DATE_EPOCH
  ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString().slice(0, 10)
  : "2026";
mkdirSync(join(root, "man"), { recursive: true });
const manFile = join(root, "man", "homing.1");
writeFileSync(`${manFile}.${process.pid}.tmp`, manModule.exports.manPage(version, manDate));
renameSync(`${manFile}.${process.pid}.tmp`, manFile);

console.log(
  `built man/homing.1, ${result.outputFiles
    .map((f) => basename(f.path))
    .filter((n) => n.endsWith(".cjs"))
    .join(", ")}`,
);
