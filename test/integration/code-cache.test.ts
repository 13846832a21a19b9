/**
 * Where bin/homing keeps its V8 code cache (docs/design.md, "Startup budget"): next to the bundle
 * when that directory is writable, else $XDG_CACHE_HOME/homing or ~/.cache/homing (created 0700),
 * else nowhere, and a cache never fails a command. A copy of bin/ and the bundle stands in for an
 * install; "not writable" is a read-only directory for a normal user, and for root (who can write
 * anyway) the children run as nobody.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import moduleApi from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/harness.ts";

const root = process.getuid?.() === 0;
const NOBODY = 65534;
/** Node 22.1+ uses its built-in compile cache in a subdirectory; Node 20 writes one file per command. */
const builtIn = typeof (moduleApi as { enableCompileCache?: unknown }).enableCompileCache === "function";

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) {
    spawnSync("chmod", ["-R", "u+w", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Install {
  dir: string;
  bin: string;
  dist: string;
  home: string;
}

/** bin/ and the bundle copied into a fresh prefix; `writable: false` makes dist/ unwritable for the child. */
function install(writable: boolean): Install {
  const dir = mkdtempSync(join(tmpdir(), "homing-cache-"));
  temps.push(dir);
  chmodSync(dir, 0o755);
  const bin = join(dir, "bin");
  const dist = join(dir, "dist");
  mkdirSync(bin);
  mkdirSync(dist);
  copyFileSync(join(REPO_ROOT, "bin", "homing"), join(bin, "homing"));
  copyFileSync(join(REPO_ROOT, "bin", "package.json"), join(bin, "package.json"));
  copyFileSync(join(REPO_ROOT, "dist", "homing.cjs"), join(dist, "homing.cjs"));
  chmodSync(join(bin, "homing"), 0o755);
  if (!writable) chmodSync(dist, 0o555);
  const home = join(dir, "home");
  mkdirSync(home, { mode: 0o755 });
  if (root) chownSync(home, NOBODY, NOBODY);
  return { dir, bin: join(bin, "homing"), dist, home };
}

/** Runs the installed `homing version`; as nobody when this test runs as root, unless `asRoot`. */
function run(target: Install, env: Record<string, string>, asRoot = false) {
  const result = spawnSync(process.execPath, [target.bin, "version"], {
    cwd: target.dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    ...(root && !asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The cache entries homing wrote in `dir` (either kind), none when it does not exist. */
function cacheEntries(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.startsWith(".homing"));
  } catch {
    return [];
  }
}

const expected = builtIn
  ? [".homing-compile-cache"]
  : [expect.stringMatching(/^\.homing\.cjs\..*\.other\.cache$/)];

describe("the code cache", () => {
  it("is written next to the bundle when that directory is writable", () => {
    const target = install(true);
    const xdg = join(target.home, "xdg-cache");
    const result = run(target, { HOME: target.home, XDG_CACHE_HOME: xdg }, true);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(cacheEntries(target.dist)).toEqual(expected);
    expect(cacheEntries(join(xdg, "homing"))).toEqual([]);
  });

  it("goes to $XDG_CACHE_HOME/homing (0700) when the install is read-only, and the next run uses it", () => {
    const target = install(false);
    const xdg = join(target.home, "xdg-cache");
    const first = run(target, { HOME: target.home, XDG_CACHE_HOME: xdg });
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^homing \d/);
    expect(cacheEntries(target.dist)).toEqual([]);
    const cacheDir = join(xdg, "homing");
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const entries = cacheEntries(cacheDir);
    expect(entries).toEqual(expected);

    const before = statSync(join(cacheDir, entries[0] as string));
    const second = run(target, { HOME: target.home, XDG_CACHE_HOME: xdg });
    expect(second).toMatchObject({ code: 0, stderr: "", stdout: first.stdout });
    if (!builtIn) {
      // Read and accepted: bin/homing rewrites a cache only when it is missing or V8 rejected it.
      const after = statSync(join(cacheDir, entries[0] as string));
      expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    }
  });

  it("goes to ~/.cache/homing without XDG_CACHE_HOME (a relative one is ignored, as the spec says)", () => {
    const target = install(false);
    const result = run(target, { HOME: target.home, XDG_CACHE_HOME: "relative/cache" });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(cacheEntries(join(target.home, ".cache", "homing"))).toEqual(expected);
    expect(cacheEntries(join(target.dir, "relative"))).toEqual([]);
  });

  it("is skipped silently when nothing is writable: the command still runs", () => {
    const target = install(false);
    chmodSync(target.home, 0o555);
    for (let i = 0; i < 2; i++) {
      const result = run(target, { HOME: target.home });
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout).toMatch(/^homing \d/);
    }
    expect(readdirSync(target.home)).toEqual([]);
    expect(cacheEntries(target.dist)).toEqual([]);
  });
});
