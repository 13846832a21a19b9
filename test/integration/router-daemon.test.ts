/**
 * The daemon reacts to the router's NAT-PMP/PCP announcements: `homing daemon` with a natpmp
 * source runs in the client namespace (interval 1 h, so only the trigger can explain a second
 * round), the DreamHost emulator runs there too, and when miniupnpd's WAN address changes the
 * daemon hears the announcement, asks again and publishes the new address. Real miniupnpd in test
 * namespaces; skips, saying why, where they are not available.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BIN, canaryKey, cleanEnv, REPO_ROOT } from "../support/harness.ts";
import {
  type RouterWorld,
  routerWorldUnavailable,
  startRouterWorld,
  sweepStaleNamespaces,
} from "../support/router-netns.ts";

const unavailable = routerWorldUnavailable();
if (unavailable) console.log(`router-daemon.test.ts: skipped: ${unavailable}`);

let world: RouterWorld | undefined;
const children: ChildProcess[] = [];
let home: string | undefined;

beforeAll(async () => {
  if (unavailable) return;
  sweepStaleNamespaces();
  world = await startRouterWorld({ wanAddress: "11.22.33.44" });
}, 30_000);
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await world?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

function inClient(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn("ip", ["netns", "exec", (world as RouterWorld).client, ...args], {
    cwd: home,
    env: cleanEnv(home as string),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let text = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  return { child, output: () => text };
}

async function waitFor(output: () => string, pattern: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(output())) {
    if (Date.now() > end) throw new Error(`no ${pattern} within ${ms} ms; output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it.skipIf(unavailable)(
  "an announcement of a new WAN address runs a round that publishes it",
  async () => {
    const router = world as RouterWorld;
    home = mkdtempSync(join(tmpdir(), "homing-router-daemon-"));
    const key = canaryKey();
    const emulator = inClient([
      join(REPO_ROOT, "node_modules", ".bin", "tsx"),
      join(REPO_ROOT, "test/emulators/dreamhost-cli.ts"),
      "--key",
      key,
      "--zone",
      "example.com",
    ]);
    await waitFor(emulator.output, /"url"/, 15_000);
    const url = (JSON.parse(emulator.output().split("\n")[0] as string) as { url: string }).url;
    const config = join(home, "homing.toml");
    writeFileSync(
      config,
      [
        `state_dir = "${join(home, "state")}"`,
        "[detect]",
        'timeout = "5s"',
        "[detect.ipv4]",
        'sources = ["natpmp"]',
        "quorum = 1",
        "[daemon]",
        'interval = "1h"',
        'jitter = "0s"',
        "[providers.dh]",
        'type = "dreamhost"',
        `endpoint = "${url}"`,
        `api_key = "${key}"`,
        "[[records]]",
        'name = "home.example.com"',
        'provider = "dh"',
        "ipv4 = true",
        "ipv6 = false",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const daemon = inClient([process.execPath, BIN, "daemon", "-c", config, "-v"]);
    await waitFor(daemon.output, /listening for NAT-PMP\/PCP announcements/, 15_000);
    await waitFor(daemon.output, /home\.example\.com A created 11\.22\.33\.44/, 15_000);

    const changed = Date.now();
    execFileSync("ip", ["-n", router.router, "addr", "add", "11.22.34.55/24", "dev", "wan0"]);
    execFileSync("ip", ["-n", router.router, "addr", "del", "11.22.33.44/24", "dev", "wan0"]);
    await waitFor(daemon.output, /announcement from 192\.168\.77\.1: running a round now/, 10_000);
    await waitFor(daemon.output, /home\.example\.com A 11\.22\.33\.44 -> 11\.22\.34\.55 \(dh\)/, 15_000);
    expect(Date.now() - changed).toBeLessThan(15_000);

    daemon.child.kill("SIGTERM");
    await new Promise((resolve) => daemon.child.once("close", resolve));
    expect(daemon.output()).not.toMatch(/\berror\b/i);
  },
  60_000,
);
