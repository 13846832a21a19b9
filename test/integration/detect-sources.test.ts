/**
 * Sources of several kinds through the real CLI, and IPv6 prefix plus suffix: a record for a LAN
 * host publishes the detected /64 with its own interface identifier. The `fixed` kind stands in for
 * a router that answers a delegated prefix (no network needed); the provider is the DreamHost
 * emulator, the IPv4 sources are the echo emulators.
 */
import { writeFile } from "node:fs/promises";
import { afterEach, expect, it } from "vitest";
import { closeAllWorlds, configToml, IP1, lines, NAME, startWorld, type World } from "../support/harness.ts";

afterEach(closeAllWorlds);

const NAS = "nas.example.com";
const SUFFIX = "::1234:5678:9abc:def0";

async function writeSuffixConfig(world: World, ipv6Sources: string): Promise<void> {
  const base = configToml(world.spec);
  const toml = base.replace(
    "\n[providers.dh]",
    `\n[detect.ipv6]\nsources = ${ipv6Sources}\nquorum = 2\n\n[providers.dh]`,
  );
  await writeFile(
    world.configPath,
    `${toml}\n[[records]]\nname = "${NAS}"\nprovider = "dh"\nipv4 = false\nipv6 = true\nipv6_suffix = "${SUFFIX}"\n`,
  );
}

it("a record with ipv6_suffix publishes the detected prefix plus its suffix, and follows a new prefix", async () => {
  const world = await startWorld();
  await writeSuffixConfig(
    world,
    '[{ kind = "fixed", prefix = "2a01:4f8:1200::/56", name = "router" }, "fixed:2a01:4f8:1200::77"]',
  );

  const run = await world.run("run");

  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(lines(run.stdout)).toEqual([
    `${NAME} A created ${IP1} (dh)`,
    `${NAS} AAAA created 2a01:4f8:1200:0:1234:5678:9abc:def0 (dh)`,
  ]);
  expect(world.rows(NAS, "AAAA").map((r) => r.value)).toEqual(["2a01:4f8:1200:0:1234:5678:9abc:def0"]);

  const detect = await world.run("detect", ["--json"]);
  expect(detect.code).toBe(0);
  const report = JSON.parse(detect.stdout) as {
    detection: Array<{
      family: string;
      status: string;
      prefix?: string;
      sources: Array<Record<string, unknown>>;
    }>;
  };
  const ipv6 = report.detection.find((d) => d.family === "ipv6");
  expect(ipv6).toMatchObject({ status: "known", prefix: "2a01:4f8:1200::/64" });
  expect(ipv6?.sources).toEqual([
    expect.objectContaining({
      source: "router",
      kind: "fixed",
      where: "config",
      verdict: "agreed",
      prefix: "2a01:4f8:1200::/56",
    }),
    expect.objectContaining({
      source: "fixed",
      kind: "fixed",
      verdict: "agreed",
      address: "2a01:4f8:1200::77",
    }),
  ]);
  const ipv4 = report.detection.find((d) => d.family === "ipv4");
  expect(ipv4?.sources[0]).toMatchObject({
    kind: "http",
    url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
  });
  expect(ipv4?.sources[0]).not.toHaveProperty("where");

  const text = await world.run("detect");
  expect(lines(text.stdout)).toContainEqual("IPv6: prefix 2a01:4f8:1200::/64");
  expect(lines(text.stdout)).toContainEqual(
    expect.stringMatching(
      /^ {2}router +fixed +agreed +prefix 2a01:4f8:1200::\/56 \(fixed in the config\) \[\d+ ms\]$/,
    ),
  );

  // The ISP hands out a new prefix: the NAS's record follows, with the same suffix.
  await writeSuffixConfig(
    world,
    '[{ kind = "fixed", prefix = "2a01:4f8:2a00::/56" }, "fixed:2a01:4f8:2a00::9"]',
  );
  const again = await world.run("run");
  expect(again.code).toBe(0);
  expect(lines(again.stdout)).toEqual([
    `${NAS} AAAA 2a01:4f8:1200:0:1234:5678:9abc:def0 -> 2a01:4f8:2a00:0:1234:5678:9abc:def0 (dh)`,
  ]);
  expect(world.rows(NAS, "AAAA").map((r) => r.value)).toEqual(["2a01:4f8:2a00:0:1234:5678:9abc:def0"]);
});

it("sources that disagree on the prefix change nothing, and say why", async () => {
  const world = await startWorld();
  await writeSuffixConfig(
    world,
    '[{ kind = "fixed", prefix = "2a01:4f8:1200::/56" }, "fixed:2a01:4f8:1200:5::9"]',
  );

  const run = await world.run("run");

  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/nas\.example\.com AAAA.*prefix is unknown.*disagree/);
  expect(world.rows(NAS, "AAAA")).toEqual([]);
});

it("a source kind that cannot answer (upnp asked for IPv6) fails that source only, with the reason", async () => {
  const world = await startWorld();
  await writeSuffixConfig(world, '["upnp", "fixed:2a01:4f8:1200::9", "fixed:2a01:4f8:1200::10"]');

  const detect = await world.run("detect", ["--json"]);
  const report = JSON.parse(detect.stdout) as {
    detection: Array<{ family: string; status: string; sources: Array<Record<string, unknown>> }>;
  };
  const ipv6 = report.detection.find((d) => d.family === "ipv6");
  expect(ipv6?.status).toBe("known");
  expect(ipv6?.sources[0]).toMatchObject({
    kind: "upnp",
    verdict: expect.stringMatching(/failed|rejected|not needed/),
  });
});
