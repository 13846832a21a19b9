/**
 * The fritzbox source through the real CLI against the Fritz!Box emulator on loopback: IGD without
 * credentials (`homing detect` and `homing run` publish what the box reports), TR-064 with digest
 * auth from a password file or HOMING_FRITZBOX_PASSWORD in one quorum with an echo service, IPv6
 * from the box, and a wrong password reported without the password.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { type FritzboxEmulator, startFritzbox } from "../emulators/fritzbox.ts";
import {
  closeAllWorlds,
  configToml,
  IP1,
  IP2,
  IP6_1,
  NAME,
  startWorld,
  type World,
} from "../support/harness.ts";

const boxes: FritzboxEmulator[] = [];
afterEach(async () => {
  await closeAllWorlds();
  for (const box of boxes.splice(0)) await box.close();
});

const PASSWORD = "correct horse battery staple";

interface DetectJson {
  detection: Array<{
    family: string;
    status: string;
    address?: string;
    sources: Array<{
      source: string;
      kind: string;
      verdict: string;
      address?: string;
      reason?: string;
      where?: string;
    }>;
  }>;
}

/** The world's config with `[detect.ipv4]` (and optionally `[detect.ipv6]`) replaced. */
async function writeConfig(
  world: World,
  ipv4: { sources: string; quorum: number },
  ipv6?: { sources: string; quorum: number },
): Promise<void> {
  let toml = configToml(world.spec).replace(
    /\[detect\.ipv4\]\nsources = \[[\s\S]*?\n\]\nquorum = \d+/,
    `[detect.ipv4]\nsources = ${ipv4.sources}\nquorum = ${ipv4.quorum}`,
  );
  if (ipv6) {
    toml = toml
      .replace(
        "\n[providers.dh]",
        `\n[detect.ipv6]\nsources = ${ipv6.sources}\nquorum = ${ipv6.quorum}\n\n[providers.dh]`,
      )
      .replace("ipv6 = false", "ipv6 = true");
  }
  await writeFile(world.configPath, toml, { mode: 0o600 });
}

async function box(state: Parameters<typeof startFritzbox>[0] = {}): Promise<FritzboxEmulator> {
  const emulator = await startFritzbox({ password: PASSWORD, ...state });
  boxes.push(emulator);
  return emulator;
}

it("without credentials: detect and run use the address the box's IGD service reports", async () => {
  const world = await startWorld();
  const emulator = await box({ ipv4: IP2 });
  await writeConfig(world, {
    sources: `[{ kind = "fritzbox", host = "${emulator.host}", port = ${emulator.port} }]`,
    quorum: 1,
  });

  const detect = await world.run("detect", ["--json"]);
  expect(detect.stderr).toBe("");
  expect(detect.code).toBe(0);
  const [ipv4] = (JSON.parse(detect.stdout) as DetectJson).detection;
  expect(ipv4).toMatchObject({ status: "known", address: IP2 });
  expect(ipv4?.sources).toEqual([
    expect.objectContaining({ source: "fritzbox", kind: "fritzbox", verdict: "agreed", address: IP2 }),
  ]);

  const run = await world.run("run");
  expect(run.code).toBe(0);
  expect(world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
  expect(emulator.requests.some((r) => r.path === "/igdupnp/control/WANIPConn1")).toBe(true);
});

it("TR-064 with digest auth (password file) agrees with an echo service in one quorum", async () => {
  const world = await startWorld();
  const emulator = await box({ ipv4: IP1, algorithm: "SHA-256", igd: false });
  const passwordFile = join(world.dir, "fritzbox.pass");
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const echo = world.spec.ipv4Sources?.[0];
  await writeConfig(world, {
    sources: `[{ kind = "fritzbox", name = "box", host = "${emulator.host}", port = ${emulator.port}, username = "homing", password_file = "${passwordFile}" }, { url = "${echo?.url}", name = "echo-a" }]`,
    quorum: 2,
  });

  const detect = await world.run("detect", ["--json"]);
  expect(detect.code).toBe(0);
  const [ipv4] = (JSON.parse(detect.stdout) as DetectJson).detection;
  expect(ipv4).toMatchObject({ status: "known", address: IP1 });
  expect(ipv4?.sources.map((s) => [s.source, s.kind, s.verdict])).toEqual([
    ["box", "fritzbox", "agreed"],
    ["echo-a", "http", "agreed"],
  ]);
  expect(emulator.requests.filter((r) => r.authorization?.includes("algorithm=SHA-256"))).toHaveLength(1);
});

it("HOMING_FRITZBOX_PASSWORD: a wrong password is reported, never shown", async () => {
  const world = await startWorld();
  const emulator = await box();
  await writeConfig(world, {
    sources: `[{ kind = "fritzbox", host = "${emulator.host}", port = ${emulator.port}, username = "homing" }]`,
    quorum: 1,
  });

  const wrong = "not-the-password-4711";
  const failed = await world.run("detect", ["--json"], { env: { HOMING_FRITZBOX_PASSWORD: wrong } });
  expect(failed.code).not.toBe(0);
  const [ipv4] = (JSON.parse(failed.stdout) as DetectJson).detection;
  expect(ipv4?.sources[0]).toMatchObject({ verdict: "failed" });
  expect(ipv4?.sources[0]?.reason).toMatch(/refused the login of user "homing"/);
  expect(failed.stdout + failed.stderr).not.toContain(wrong);

  const right = await world.run("detect", ["--json"], { env: { HOMING_FRITZBOX_PASSWORD: PASSWORD } });
  expect(right.code).toBe(0);
  expect((JSON.parse(right.stdout) as DetectJson).detection[0]).toMatchObject({ status: "known" });
  expect(right.stdout + right.stderr).not.toContain(PASSWORD);
});

it("IPv6: the box's own address over the X_AVM_DE actions; a box without IPv6 is refused", async () => {
  const world = await startWorld();
  const emulator = await box({ ipv4: IP1 });
  const fritz = `{ kind = "fritzbox", host = "${emulator.host}", port = ${emulator.port} }`;
  await writeConfig(world, { sources: `[${fritz}]`, quorum: 1 }, { sources: `[${fritz}]`, quorum: 1 });

  const detect = await world.run("detect", ["--json"]);
  expect(detect.stderr).toBe("");
  expect(detect.code).toBe(0);
  const ipv6 = (JSON.parse(detect.stdout) as DetectJson).detection.find((d) => d.family === "ipv6");
  expect(ipv6).toMatchObject({ status: "known", address: IP6_1 });
  expect(emulator.requests.map((r) => r.soapAction)).toContain(
    '"urn:schemas-upnp-org:service:WANIPConnection:1#X_AVM_DE_GetExternalIPv6Address"',
  );

  emulator.state.ipv6 = "";
  emulator.state.prefix = undefined;
  const none = await world.run("detect", ["--json"]);
  const refused = (JSON.parse(none.stdout) as DetectJson).detection.find((d) => d.family === "ipv6");
  expect(refused?.status).toBe("unavailable");
  expect(refused?.sources[0]).toMatchObject({ kind: "fritzbox", verdict: "rejected" });
  expect(refused?.sources[0]?.reason).toMatch(/no IPv6 address or prefix yet/);
});
