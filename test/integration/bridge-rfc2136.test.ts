/**
 * The router bridge (issue 12) updating an RFC 2136 name on a real BIND 9: the real Debian
 * ddclient and inadyn push to `homing daemon`, and homing sends the signed UPDATE. Loopback only.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type DnsServer,
  dig,
  type Rfc2136World,
  serverAvailable,
  startBind,
  startRfc2136World,
  stopAllServers,
} from "../support/dns-servers.ts";
import { BIN, cleanEnv, IP1, IP2, IP3 } from "../support/harness.ts";

const run = promisify(execFile);
const available =
  serverAvailable("bind") && existsSync("/usr/bin/ddclient") && existsSync("/usr/sbin/inadyn");
const NAME = "home.example.com";
const PASSWORD = "bind-Router-5521";

let server: DnsServer;
const worlds: Rfc2136World[] = [];
const running = new Set<ChildProcess>();

beforeAll(async () => {
  if (!available) return;
  server = await startBind({
    keys: [{ name: "homing-key" }],
    zones: [
      {
        name: "example.com",
        records: [`home 300 IN A ${IP1}`],
        grants: [{ key: "homing-key", name: NAME }],
      },
    ],
  });
});
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});
afterAll(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
  await stopAllServers();
});

async function daemonWithBridge(): Promise<{ world: Rfc2136World; port: number; output: () => string }> {
  const world = await startRfc2136World(server, { records: [NAME] });
  worlds.push(world);
  const passFile = join(world.dir, "router.pass");
  await writeFile(passFile, `${PASSWORD}\n`, { mode: 0o600 });
  await appendFile(
    world.configPath,
    `\n[bridge]\nlisten = "127.0.0.1:0"\n\n[[bridge.clients]]\nuser = "router"\npassword_file = "${passFile}"\nhostnames = ["${NAME}"]\n`,
  );
  const child = spawn(process.execPath, [BIN, "daemon", "-c", world.configPath, "-v"], {
    cwd: world.dir,
    env: cleanEnv(world.dir, world.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let text = "";
  const onData = (chunk: Buffer) => {
    text += chunk.toString("utf8");
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const pattern = /router bridge at http:\/\/127\.0\.0\.1:(\d+)\//;
  const deadline = Date.now() + 15_000;
  while (!pattern.test(text) || !/daemon started/.test(text)) {
    if (Date.now() > deadline) throw new Error(`the bridge did not start:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { world, port: Number((pattern.exec(text) as RegExpExecArray)[1]), output: () => text };
}

describe.skipIf(!available)("the router bridge in front of RFC 2136 (BIND)", () => {
  it("real ddclient, then real inadyn, update the name; a wrong password changes nothing", async () => {
    const { world, port, output } = await daemonWithBridge();
    const dir = join(world.dir, "routers");
    await mkdir(join(dir, "inadyn-cache"), { recursive: true });
    const ddclient = async (password: string, ip: string) => {
      const cfg = join(dir, `ddclient-${ip}-${password.length}.conf`);
      await writeFile(
        cfg,
        `daemon=0\nsyslog=no\nssl=no\nprotocol=dyndns2\nserver=127.0.0.1:${port}\nlogin=router\npassword='${password}'\nuse=ip\nip=${ip}\n${NAME}\n`,
        { mode: 0o600 },
      );
      const result = await run(
        "/usr/bin/ddclient",
        [
          "-foreground",
          "-daemon=0",
          "-verbose",
          "-noquiet",
          "-force",
          "-file",
          cfg,
          "-cache",
          `${cfg}.cache`,
        ],
        { timeout: 30_000 },
      ).catch((error: { stdout?: string; stderr?: string }) => error);
      return `${result.stdout ?? ""}${result.stderr ?? ""}`;
    };
    const out = await ddclient(PASSWORD, IP2);
    expect(out, out).toMatch(/SUCCESS/);
    expect(dig(server, NAME, "A")).toEqual([IP2]);
    const bad = await ddclient("wrong-password", IP3);
    expect(bad, bad).toMatch(/badauth/);
    expect(dig(server, NAME, "A")).toEqual([IP2]);

    await writeFile(join(dir, "inadyn-cache", `${NAME}.cache`), `${IP2}\n`);
    const cfg = join(dir, "inadyn.conf");
    await writeFile(
      cfg,
      `custom name@homing {\n  ssl = false\n  username = router\n  password = "${PASSWORD}"\n  ddns-server = "127.0.0.1:${port}"\n  ddns-path = "/nic/update?hostname=%h&myip=%i"\n  checkip-command = "echo ${IP3}"\n  hostname = ${NAME}\n}\n`,
      { mode: 0o600 },
    );
    await run(
      "/usr/sbin/inadyn",
      [
        "--once",
        "--foreground",
        "--no-pidfile",
        `--cache-dir=${join(dir, "inadyn-cache")}`,
        `--config=${cfg}`,
      ],
      { timeout: 30_000 },
    ).catch(() => undefined);
    expect(dig(server, NAME, "A"), output()).toEqual([IP3]);
    expect(output()).not.toContain(PASSWORD);
    expect(output()).not.toContain(world.secret);
  });
});
