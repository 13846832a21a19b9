/**
 * Network namespaces for tests that need real kernel addresses (the `interface` source, the echo
 * guard, the daemon's address watch). Public-looking addresses exist only inside these namespaces;
 * nothing leaves the machine (the veth pair has no peer outside the namespace).
 *
 * Names are `homing-test-<pid>-<n>`: a sweep at start removes those of processes that are gone,
 * never another live test run's. Every namespace is removed by `removeAll()` (afterEach/afterAll),
 * and the processes started in it are killed first.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { BIN, cleanEnv, REPO_ROOT, type RunResult, runProcess } from "./harness.ts";

const PREFIX = "homing-test-";

function ip(args: readonly string[]): string {
  return execFileSync("ip", [...args], {
    encoding: "utf8",
    timeout: 10_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Whether this machine lets the tests create namespaces; `reason` says why not. */
export const NETNS: { ok: boolean; reason: string } = (() => {
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    ip(["netns", "add", probe]);
    ip(["-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    ip(["netns", "del", probe]);
    return { ok: true, reason: "" };
  } catch (error) {
    try {
      ip(["netns", "del", probe]);
    } catch {}
    const reason = `network namespaces unavailable (${String((error as Error).message).split("\n")[0]}); needs root or CAP_NET_ADMIN and iproute2`;
    console.warn(`skipping namespace tests: ${reason}`);
    return { ok: false, reason };
  }
})();

/** Removes `homing-test-<pid>-*` namespaces whose process is gone (a crashed earlier run). */
export function sweepStaleNamespaces(): void {
  if (!NETNS.ok) return;
  for (const line of ip(["netns", "list"]).split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const pid = /^homing-test-(\d+)-/.exec(name)?.[1];
    if (!pid) continue;
    let alive = true;
    try {
      process.kill(Number(pid), 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      try {
        ip(["netns", "del", name]);
      } catch {}
    }
  }
}

let counter = 0;
const live = new Set<TestNamespace>();

export class TestNamespace {
  readonly name: string;
  readonly #children = new Set<ChildProcess>();

  /** A namespace with `lo` up and a veth pair v0 (the test's interface) / v1, both up. */
  constructor() {
    this.name = `${PREFIX}${process.pid}-${++counter}`;
    ip(["netns", "add", this.name]);
    live.add(this);
    this.ip("link", "set", "lo", "up");
    this.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
    this.ip("link", "set", "v0", "up");
    this.ip("link", "set", "v1", "up");
  }

  /** `ip -n NS …` */
  ip(...args: string[]): string {
    return ip(["-n", this.name, ...args]);
  }

  sysctl(key: string, value: string): void {
    execFileSync("ip", ["netns", "exec", this.name, "sysctl", "-qw", `${key}=${value}`], { timeout: 10_000 });
  }

  /** The interface's addresses as `ip -j` reports them. */
  addresses(dev = "v0"): Array<Record<string, unknown>> {
    const links = JSON.parse(this.ip("-j", "addr", "show", "dev", dev) || "[]") as Array<{
      addr_info: Array<Record<string, unknown>>;
    }>;
    return links.flatMap((link) => link.addr_info);
  }

  /** Starts a long-running process inside the namespace; it is killed by `remove()`. */
  spawn(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.name, command, ...args], {
      cwd: REPO_ROOT,
      env: env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#children.add(child);
    child.once("exit", () => this.#children.delete(child));
    return child;
  }

  /** Runs `node bin/homing <args>` inside the namespace and collects its output. */
  runCli(args: readonly string[], home: string, timeoutMs = 30_000): Promise<RunResult> {
    return runProcess("ip", ["netns", "exec", this.name, process.execPath, BIN, ...args], {
      cwd: home,
      env: cleanEnv(home),
      timeoutMs,
    });
  }

  async remove(): Promise<void> {
    await Promise.all(
      [...this.#children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
    live.delete(this);
    try {
      ip(["netns", "del", this.name]);
    } catch {}
  }
}

/** Removes every namespace this process created (afterEach / afterAll). */
export async function removeAllNamespaces(): Promise<void> {
  await Promise.all([...live].map((ns) => ns.remove()));
}

/** Polls until `check` is true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
