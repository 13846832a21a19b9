/**
 * The event-driven daemon on real kernel events: `homing daemon` runs inside a network namespace
 * with `interface` sources and a poll interval of one hour; the DreamHost emulator runs in the same
 * namespace (reached over its loopback) and prints every request it gets. Changing v0's address
 * must reach the provider within seconds, not at the next poll.
 */
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NETNS, removeAllNamespaces, sweepStaleNamespaces, waitFor } from "../support/netns.ts";
import { P, type Request, startWatchWorld } from "../support/watch-world.ts";

/** The bound the test allows; the daemon aims at well under a second (bench: `--only reaction`). */
const BOUND_MS = 5000;

const homes: string[] = [];
beforeAll(sweepStaleNamespaces);
afterEach(removeAllNamespaces);
afterAll(async () => {
  await removeAllNamespaces();
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
});

describe.skipIf(!NETNS.ok)("homing daemon reacts to kernel address changes", () => {
  it("a new IPv6 address reaches the provider within seconds while the poll interval is 1 h", async () => {
    const { ns, requests, log, added } = await startWatchWorld({ homes });
    expect(log.join("\n")).toContain("watching address changes on v0");

    const changedAt = Date.now();
    ns.ip("addr", "add", `${P}::6/64`, "dev", "v0", "nodad");
    ns.ip("addr", "del", `${P}::5/64`, "dev", "v0");
    await waitFor(() => !!added(`${P}::6`), "the AAAA update", BOUND_MS);
    expect((added(`${P}::6`) as Request).at - changedAt).toBeLessThan(BOUND_MS);
    await waitFor(
      () => requests.some((r) => r.cmd === "dns-remove_record" && r.params.value === `${P}::5`),
      "the old AAAA removed",
      BOUND_MS,
    );
    expect(log.join("\n")).toMatch(
      /address change \(v0: 2a00:1450:4001:81b::6 added.*\): running a round now/,
    );
  });

  it("an IPv6 address that goes through duplicate-address detection triggers once it is usable", async () => {
    const { ns, added } = await startWatchWorld({ homes });
    const changedAt = Date.now();
    // Without nodad the address is tentative for about a second; the watch waits for the DAD event.
    ns.ip("addr", "add", `${P}::7/64`, "dev", "v0");
    ns.ip("addr", "del", `${P}::5/64`, "dev", "v0");
    await waitFor(() => !!added(`${P}::7`), "the AAAA update after DAD", BOUND_MS + 2000);
    expect((added(`${P}::7`) as Request).at - changedAt).toBeLessThan(BOUND_MS + 2000);
  });

  it("a new IPv4 address (a PPPoE reconnect) reaches the provider within seconds", async () => {
    const { ns, added } = await startWatchWorld({ homes });
    const changedAt = Date.now();
    ns.ip("addr", "del", "11.22.33.44/24", "dev", "v0");
    ns.ip("addr", "add", "11.22.33.55/24", "dev", "v0");
    await waitFor(() => !!added("11.22.33.55"), "the A update", BOUND_MS);
    expect((added("11.22.33.55") as Request).at - changedAt).toBeLessThan(BOUND_MS);
  });

  it("the ip monitor child is restarted when it dies, and the daemon still reacts", async () => {
    const { ns, log, daemon, added } = await startWatchWorld({ homes });
    const monitor = execFileSync("pgrep", ["-P", String(daemon.pid), "-f", "ip -o monitor address"], {
      encoding: "utf8",
    }).trim();
    expect(monitor).toMatch(/^\d+$/);
    process.kill(Number(monitor), "SIGKILL");
    await waitFor(
      () => log.some((line) => /address watch: .* was killed by SIGKILL; restarting in 1 s/.test(line)),
      "the restart notice",
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    ns.ip("addr", "add", `${P}::8/64`, "dev", "v0", "nodad");
    ns.ip("addr", "del", `${P}::5/64`, "dev", "v0");
    await waitFor(() => !!added(`${P}::8`), "the AAAA update after the restart", BOUND_MS);
  });

  it("daemon.watch = false turns the watch off: the change waits for the poll", async () => {
    const { ns, log, added } = await startWatchWorld({ homes, watch: false });
    expect(log.join("\n")).not.toContain("watching address changes");
    ns.ip("addr", "add", `${P}::6/64`, "dev", "v0", "nodad");
    ns.ip("addr", "del", `${P}::5/64`, "dev", "v0");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(added(`${P}::6`)).toBeUndefined();
  });
});
