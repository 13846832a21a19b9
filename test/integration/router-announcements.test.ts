/**
 * miniupnpd's NAT-PMP/PCP announcements (multicast 224.0.0.1:5350) as a trigger for router
 * sources: when the router's WAN address changes, a listener in the client namespace hears an
 * announcement, and asking natpmp again then reports the new address (the announcement's own
 * payload may still carry the old one, reference §4.2). Real miniupnpd in test namespaces;
 * skips, saying why, where they are not available.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO_ROOT } from "../support/harness.ts";
import {
  LAN_CLIENT,
  type RouterWorld,
  routerWorldUnavailable,
  startRouterWorld,
  sweepStaleNamespaces,
} from "../support/router-netns.ts";

const unavailable = routerWorldUnavailable();
if (unavailable) console.log(`router-announcements.test.ts: skipped: ${unavailable}`);

const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");
let world: RouterWorld | undefined;
let listener: ChildProcess | undefined;

beforeAll(async () => {
  if (unavailable) return;
  sweepStaleNamespaces();
  world = await startRouterWorld({ wanAddress: "11.22.33.44" });
}, 30_000);
afterAll(async () => {
  listener?.kill("SIGKILL");
  await world?.stop();
});

it.skipIf(unavailable)(
  "a WAN address change is announced; natpmp asked again reports the new address",
  async () => {
    const router = world as RouterWorld;
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        router.client,
        TSX,
        join(REPO_ROOT, "test/support/announcement-listener-cli.ts"),
        LAN_CLIENT,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    listener = child;
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const waitFor = async (pattern: RegExp, ms: number) => {
      const end = Date.now() + ms;
      while (!pattern.test(output)) {
        if (Date.now() > end) throw new Error(`no ${pattern} within ${ms} ms; listener printed: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await waitFor(/^listening$/m, 15_000);

    execFileSync("ip", ["-n", router.router, "addr", "add", "11.22.34.55/24", "dev", "wan0"]);
    execFileSync("ip", ["-n", router.router, "addr", "del", "11.22.33.44/24", "dev", "wan0"]);
    await waitFor(/"protocol":"NAT-PMP"/, 10_000);
    const events = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { protocol: string; from: string });
    expect(events[0]).toMatchObject({ from: "192.168.77.1" });
    expect(events.map((e) => e.protocol)).toContain("NAT-PMP");

    // Ask again, as a daemon would after its debounce; miniupnpd settles within a moment. (The new
    // address is in another /24: deleting a primary address also deletes its secondaries.)
    const ask = () =>
      JSON.parse(
        execFileSync(
          "ip",
          [
            "netns",
            "exec",
            router.client,
            TSX,
            join(REPO_ROOT, "test/support/ask-source-cli.ts"),
            "natpmp",
            JSON.stringify({ kind: "natpmp" }),
            "ipv4",
          ],
          { encoding: "utf8", timeout: 20_000 },
        ),
      ) as { answer?: { address: string }; refusal?: string };
    let asked = ask();
    for (let tries = 0; tries < 10 && asked.answer?.address !== "11.22.34.55"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      asked = ask();
    }
    expect(asked).toMatchObject({ answer: { address: "11.22.34.55" } });
  },
  60_000,
);
