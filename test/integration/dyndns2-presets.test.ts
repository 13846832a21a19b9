/**
 * Every dyndns2 preset against the emulator acting as that service (test/emulators/dyndns2.ts,
 * DYNDNS2_BEHAVIOURS): the real CLI creates the A record (and the AAAA where the preset takes IPv6)
 * at the preset's update path with the login the service wants, sends nothing for an unchanged
 * address, and fails with a clear message, and no password anywhere in its output, on a wrong one.
 * The presets run concurrently: each has its own emulator, DNS responder, echoes and temp dir.
 */
import { writeFile } from "node:fs/promises";
import { describe, it } from "vitest";
import { DYNDNS2_PRESETS, type Dyndns2Preset } from "../../src/providers/dyndns2/schema.ts";
import { startDyndns2Emulator } from "../emulators/dyndns2.ts";
import { hasIpv6Loopback, IP1, IP2, IP6_1, lines, NAME } from "../support/harness.ts";
import { canarySecret, leakedFragment, startUpdateUrlWorld } from "../support/update-url-world.ts";

const ipv6Loopback = await hasIpv6Loopback();
const USER = "homing-user";
const presets = Object.entries(DYNDNS2_PRESETS as Record<string, Dyndns2Preset>);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.concurrent("dyndns2 presets: each against its service's emulator", () => {
  it.for(presets)(
    "%s: create, nothing for an unchanged address, a clear refusal of a wrong password",
    async ([id, preset], { onTestFinished, expect }) => {
      const withIpv6 = preset.ipv6 && ipv6Loopback;
      const index = presets.findIndex(([other]) => other === id);
      const password = canarySecret();
      // The login the service sees: the preset's fixed one, the hostname itself, or the configured one.
      const login = preset.username ?? (preset.loginIsHostname ? NAME : USER);
      const emu = await startDyndns2Emulator({
        behaviour: { preset: id },
        accounts: [{ username: login, password, hosts: [NAME] }],
      });
      onTestFinished(() => emu.close());
      const path = new URL(preset.server).pathname;
      const ipv6Path = preset.serverIpv6 ? `/ipv6${new URL(preset.serverIpv6).pathname}` : path;
      const world = await startUpdateUrlWorld(
        {
          providerId: id,
          type: "dyndns2",
          provider: ({ secretPath, resolver }) => ({
            preset: id,
            // Every HTTP provider takes `endpoint`; for dyndns2 it is the same as `server`: half the
            // presets use one spelling, half the other.
            [index % 2 === 0 ? "server" : "endpoint"]: `${emu.origin}${path}`,
            ...(preset.serverIpv6 ? { server_ipv6: `${emu.origin}${ipv6Path}` } : {}),
            // Presets that know the login are tried without one, as their users will write them.
            ...(login === USER ? { username: USER } : {}),
            password_file: secretPath,
            resolver,
            timeout: "5s",
          }),
          secret: password,
          records: [{ name: NAME, ipv4: true, ipv6: withIpv6 }],
          ...(withIpv6 ? { ipv6: IP6_1 } : {}),
          lookup: (name, type) => emu.lookup(name, type),
        },
        { onTestFinished },
      );

      const created = await world.run("run");

      expect(created.stderr).toBe("");
      expect(created.code).toBe(0);
      expect(lines(created.stdout).sort()).toEqual(
        [
          `${NAME} A created ${IP1} (${id})`,
          ...(withIpv6 ? [`${NAME} AAAA created ${IP6_1} (${id})`] : []),
        ].sort(),
      );
      expect(emu.records()[NAME]).toEqual(withIpv6 ? { ipv4: IP1, ipv6: IP6_1 } : { ipv4: IP1 });
      const sent = emu.requests.length;
      expect(sent).toBe(withIpv6 && preset.dualStack === "separate" ? 2 : 1);
      for (const request of emu.requests) {
        const ipv6Only = request.params.myip?.includes(":") && request.params.myipv6 === undefined;
        expect(request.path).toBe(ipv6Only ? ipv6Path : path);
        expect(request.username).toBe(login);
        expect({ ...request.params, hostname: undefined }).toMatchObject(preset.params);
      }

      const unchanged = await world.run("run");

      expect(unchanged.code).toBe(0);
      expect(unchanged.stdout + unchanged.stderr).toBe("");
      expect(emu.requests).toHaveLength(sent);

      const wrong = canarySecret();
      await writeFile(world.secretPath, `${wrong}\n`, { mode: 0o600 });
      world.setIpv4(IP2);
      const refused = await world.run("run");

      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(
          `${escapeRegExp(preset.label)} (rejected the username "${escapeRegExp(login)}" and the password from file .*\\(badauth\\)|refused the update with HTTP 40[013]\\b.*check providers\\.${id}\\.username and the password)`,
        ),
      );
      expect(refused.stderr).toContain(preset.credentials);
      expect(emu.requests.length).toBeGreaterThan(sent);
      expect(emu.records()[NAME]?.ipv4).toBe(IP1);
      for (const secret of [password, wrong]) {
        for (const output of [created, unchanged, refused]) {
          expect(leakedFragment(output.stdout + output.stderr, secret)).toBeUndefined();
        }
        expect(JSON.stringify(emu.requests)).not.toContain(secret);
      }
    },
  );
});

describe("dyndns2 presets whose login is the hostname", () => {
  it("he: two names go in two requests, each with its own name as the username (same key)", async ({
    onTestFinished,
    expect,
  }) => {
    const other = "other.example.com";
    const password = canarySecret();
    const emu = await startDyndns2Emulator({
      behaviour: { preset: "he" },
      accounts: [NAME, other].map((host) => ({ username: host, password, hosts: [host] })),
    });
    onTestFinished(() => emu.close());
    const world = await startUpdateUrlWorld(
      {
        providerId: "he",
        type: "dyndns2",
        provider: ({ secretPath, resolver }) => ({
          preset: "he",
          server: emu.url,
          password_file: secretPath,
          resolver,
          timeout: "5s",
        }),
        secret: password,
        records: [{ name: NAME }, { name: other }],
        lookup: (name, type) => emu.lookup(name, type),
      },
      { onTestFinished },
    );

    const result = await world.run("run");
    const check = await world.run("check");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(emu.requests.map((r) => [r.username, r.params.hostname])).toEqual([
      [NAME, NAME],
      [other, other],
    ]);
    expect(check.stdout).toMatch(/provider he \(Hurricane Electric\): ok, .*username each hostname, /);
  });
});
