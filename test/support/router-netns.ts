/**
 * A router in network namespaces, for the upnp / natpmp / pcp sources: the real Debian miniupnpd
 * (`miniupnpd-nftables`) in a "router" namespace with a WAN veth (wan0, holding the "public"
 * address) and a LAN veth to a "client" namespace, where homing runs through `ip netns exec`
 * (reference §3.4). The public-looking address exists only inside the router namespace, and the
 * client's default route points at the router, so no packet leaves the machine.
 *
 * Namespaces are named `homing-test-<pid>-<n><random>-{router,client}` (unique under any vitest pool); `sweepStaleNamespaces` removes
 * those of test processes that no longer run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cleanEnv, type RunResult, runProcess } from "./harness.ts";

export const LAN_GATEWAY = "192.168.77.1";
export const LAN_CLIENT = "192.168.77.2";
export const MINIUPNPD = "/usr/sbin/miniupnpd";

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
}

/** Why router tests cannot run here, or undefined when they can. */
export function routerWorldUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (!existsSync(MINIUPNPD))
    return "miniupnpd is not installed (apt-get install miniupnpd-nftables nftables)";
  try {
    execFileSync("nft", ["--version"], { stdio: "ignore", timeout: 5000 });
  } catch {
    return "nft is not installed (apt-get install nftables)";
  }
  const probe = `homing-test-${process.pid}-probe`;
  try {
    ip("netns", "add", probe);
    ip("netns", "del", probe);
  } catch (error) {
    return `cannot create network namespaces (${(error as { stderr?: string }).stderr?.trim() || "no CAP_NET_ADMIN?"})`;
  }
  return undefined;
}

/** Removes `homing-test-<pid>-*` namespaces whose test process is gone. */
export function sweepStaleNamespaces(): void {
  let list = "";
  try {
    list = ip("netns", "list");
  } catch {
    return;
  }
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const match = /^homing-test-(\d+)-/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && existsSync(`/proc/${pid}`)) continue;
    if (pid === process.pid) continue;
    removeNamespace(name);
  }
}

/** Kills what still runs in a namespace this file created (a miniupnpd left by a killed run), then deletes it. */
function removeNamespace(name: string): void {
  try {
    for (const pid of ip("netns", "pids", name).split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  } catch {
    // No such namespace.
  }
  try {
    ip("netns", "del", name);
  } catch {
    // Already gone.
  }
}

/** Namespaces of this process still up: removed when the process exits, however the tests ended. */
const live = new Set<string>();
process.once("exit", () => {
  for (const name of live) removeNamespace(name);
});

export interface RouterWorld {
  router: string;
  client: string;
  wanAddress: string;
  /** miniupnpd's stderr so far (it logs to stderr with -d). */
  log(): string;
  /** Runs `ip netns exec <client> node bin/homing <args>`. */
  runCli(args: readonly string[], home: string, timeoutMs?: number): Promise<RunResult>;
  stop(): Promise<void>;
}

let counter = 0;

const NFT_RULESET = `table inet filter {
  chain miniupnpd { }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
}
`;

/** Creates the namespaces, starts miniupnpd with `wanAddress` on wan0 and waits until it answers. */
export async function startRouterWorld(options: { wanAddress: string }): Promise<RouterWorld> {
  const base = `homing-test-${process.pid}-${++counter}${randomBytes(2).toString("hex")}`;
  const router = `${base}-router`;
  const client = `${base}-client`;
  const dir = mkdtempSync(join(tmpdir(), "homing-router-"));
  let daemon: ChildProcess | undefined;
  let stderr = "";
  const stop = async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise<void>((resolve) => daemon?.once("exit", () => resolve()));
      daemon.kill("SIGTERM");
      const timer = setTimeout(() => daemon?.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    for (const name of [client, router]) {
      removeNamespace(name);
      live.delete(name);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    live.add(router);
    live.add(client);
    ip("netns", "add", router);
    ip("netns", "add", client);
    ip("link", "add", "wan0", "netns", router, "type", "veth", "peer", "name", "wan1", "netns", router);
    ip("link", "add", "lan0", "netns", router, "type", "veth", "peer", "name", "lan1", "netns", client);
    ip("-n", router, "addr", "add", `${options.wanAddress}/24`, "dev", "wan0");
    ip("-n", router, "addr", "add", `${LAN_GATEWAY}/24`, "dev", "lan0");
    ip("-n", client, "addr", "add", `${LAN_CLIENT}/24`, "dev", "lan1");
    for (const link of ["lo", "wan0", "wan1", "lan0"]) ip("-n", router, "link", "set", link, "up");
    for (const link of ["lo", "lan1"]) ip("-n", client, "link", "set", link, "up");
    ip("-n", client, "route", "add", "default", "via", LAN_GATEWAY);
    const nft = join(dir, "mupnp.nft");
    writeFileSync(nft, NFT_RULESET);
    execFileSync("ip", ["netns", "exec", router, "nft", "-f", nft], { stdio: "pipe", timeout: 10_000 });
    const conf = join(dir, "miniupnpd.conf");
    writeFileSync(
      conf,
      [
        "ext_ifname=wan0",
        "listening_ip=lan0",
        "http_port=5000",
        "enable_natpmp=yes",
        "enable_upnp=yes",
        "secure_mode=yes",
        "uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b",
        `allow 1024-65535 ${LAN_CLIENT.replace(/\.\d+$/, ".0")}/24 1024-65535`,
        "deny 0-65535 0.0.0.0/0 0-65535",
        "",
      ].join("\n"),
    );
    daemon = spawn(
      "ip",
      ["netns", "exec", router, MINIUPNPD, "-f", conf, "-d", "-P", join(dir, "miniupnpd.pid")],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    daemon.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < 200_000) stderr += chunk;
    });
    // Ready once its HTTP port listens in the router namespace.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`miniupnpd exited ${daemon.exitCode}: ${stderr}`);
      const listening = ip("netns", "exec", router, "ss", "-Hltun").includes(":5000");
      if (listening && ip("netns", "exec", router, "ss", "-Hlun").includes(":5351")) break;
      if (Date.now() > deadline) throw new Error(`miniupnpd did not start within 10 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    router,
    client,
    wanAddress: options.wanAddress,
    log: () => stderr,
    stop,
    runCli(args, home, timeoutMs = 30_000) {
      return runProcess("ip", ["netns", "exec", client, process.execPath, BIN, ...args], {
        cwd: home,
        env: cleanEnv(home),
        timeoutMs,
      });
    },
  };
}
