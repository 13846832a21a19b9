/**
 * The behaviour table of the kit's update-URL providers (services that cannot list: Namecheap
 * dynamic DNS, FreeDNS, …), the counterpart of provider-table.ts. It runs the real CLI against the
 * service's emulator module (test/emulators/kit/emulator.ts) with the DNS responder answering the
 * emulator's records, since DNS lookups stand in for a list. Scenarios: set A (and AAAA where the
 * service takes it) on a record that exists at the service; unchanged = zero requests (also with
 * the state file gone and --force); a change sent once; bad credentials (exit 1, what to fix, the
 * secret in no output in any encoding); a service error for one name failing that name alone; a 429
 * back-off; a 5xx retried within the run; a garbled reply reported naming the provider; and a
 * "success" reply that is not the documented confirmation reported and not trusted.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/providers/catalog.ts";
import { type Emulator, type ServiceModule, startEmulator } from "../emulators/kit/emulator.ts";
import { ZoneStore } from "../emulators/kit/store.ts";
import {
  filesUnder,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP3,
  IP6_1,
  IP6_2,
  NAME,
  type TestHooks,
  ZONE,
} from "./harness.ts";
import { describeLeak } from "./leak-check.ts";
import { startUpdateUrlWorld, type UpdateUrlWorld } from "./update-url-world.ts";

const hostIpv6 = await hasIpv6Loopback();
/** A name in the zone the service does not have (no record, not linked to the credentials). */
export const UNKNOWN = `unknown.${ZONE}`;
/** The address the service holds before homing's first update (these services cannot create). */
export const OLD6 = "2a00:1450:4001:81b::1";

interface Setup {
  records?: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  emulatorSecrets?: Record<string, string>;
  ipv6: boolean;
}

export interface UrlTable {
  world: UpdateUrlWorld;
  emu: Emulator;
  secrets: Record<string, string>;
}

/** An emulator with NAME's records at the service, a world whose DNS answers the emulator's records. */
export async function urlSetup(module: ServiceModule, hooks: TestHooks, options: Setup): Promise<UrlTable> {
  const secrets = module.secrets();
  const store = new ZoneStore();
  const zone = store.addZone(ZONE);
  store.add(zone, { name: NAME, type: "A", value: IP3, ttl: 60 });
  if (options.ipv6) store.add(zone, { name: NAME, type: "AAAA", value: OLD6, ttl: 60 });
  const emu = await startEmulator(module, { secrets: options.emulatorSecrets ?? secrets, store });
  hooks.onTestFinished(() => emu.close());
  const world = await startUpdateUrlWorld(
    {
      providerId: module.type,
      type: module.type,
      secret: "unused",
      provider: ({ dir, resolver }) => ({
        ...module.config(emu.endpoint),
        resolver,
        timeout: "5s",
        ...Object.fromEntries(Object.keys(secrets).map((key) => [`${key}_file`, join(dir, key)])),
      }),
      records: options.records ?? [{ name: NAME, ipv4: true, ipv6: options.ipv6 }],
      ipv4: IP1,
      ...(options.ipv6 ? { ipv6: IP6_1 } : {}),
      lookup: (name, type) =>
        emu.store.rows(name).length === 0 ? undefined : emu.store.rows(name, type).map((row) => row.value),
    },
    hooks,
  );
  for (const [key, value] of Object.entries(secrets))
    await writeFile(join(world.dir, key), `${value}\n`, { mode: 0o600 });
  return { world, emu, secrets };
}

export function output(result: { stdout: string; stderr: string }): string {
  return `${result.stdout}\n${result.stderr}`;
}

/** Runs the update-URL behaviour table for one service module. */
export function updateUrlTable(module: ServiceModule): void {
  const definition = PROVIDERS.find((p) => p.type === module.type);
  const ipv6 = hostIpv6 && (definition?.ipv6 ?? false);
  const values = (emu: Emulator, type = "A") => emu.store.rows(NAME, type).map((row) => row.value);

  describe.concurrent(`${module.label} (${module.type}) update-URL behaviour table`, () => {
    it("is registered in the catalog as an update-url provider", () => {
      expect(definition, `no catalog entry of type ${module.type}`).toBeDefined();
      expect(definition?.change).toBe("update-url");
    });

    it("sets A (and AAAA), asks nothing when unchanged, and sends a change once", async (hooks) => {
      const { world, emu } = await urlSetup(module, hooks, { ipv6 });
      const first = await world.run("run");
      expect(first.code, output(first)).toBe(0);
      expect(values(emu)).toEqual([IP1]);
      if (ipv6) expect(values(emu, "AAAA")).toEqual([IP6_1]);
      const sent = emu.log.length;
      expect(sent, "one request per family").toBe(ipv6 ? 2 : 1);

      const again = await world.run("run");
      expect(again.code, output(again)).toBe(0);
      await world.editState((state) => {
        state.records = {};
        state.providers = {};
      });
      const forced = await world.run("run", ["--force"]);
      expect(forced.code, output(forced)).toBe(0);
      expect(emu.log.length, "an unchanged address is never sent").toBe(sent);

      world.setIpv4(IP2);
      if (ipv6) world.setIpv6(IP6_2);
      const changed = await world.run("run");
      expect(changed.code, output(changed)).toBe(0);
      expect(values(emu)).toEqual([IP2]);
      if (ipv6) expect(values(emu, "AAAA")).toEqual([IP6_2]);
      expect(emu.log.length - sent, "the change is sent once").toBe(ipv6 ? 2 : 1);
      const after = await world.run("run");
      expect(after.code, output(after)).toBe(0);
      expect(emu.log.length - sent).toBe(ipv6 ? 2 : 1);
    });

    it("refuses bad credentials with exit 1, says what to fix, and leaks no secret", async (hooks) => {
      const wrong = Object.fromEntries(Object.keys(module.secrets()).map((key) => [key, "not-the-key-0000"]));
      const { world, emu, secrets } = await urlSetup(module, hooks, { ipv6: false, emulatorSecrets: wrong });
      const result = await world.run("run", ["-vv"]);
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toMatch(module.authHint);
      expect(values(emu)).toEqual([IP3]);
      const files = await filesUnder(world.stateDir);
      for (const secret of Object.values(secrets))
        for (const text of [result.stdout, result.stderr, ...files.map((f) => f.text)])
          expect(describeLeak(text, secret)).toBeUndefined();
    });

    it("fails a name the service refuses alone", async (hooks) => {
      const { world, emu } = await urlSetup(module, hooks, {
        ipv6: false,
        records: [{ name: UNKNOWN }, { name: NAME }],
      });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toContain(UNKNOWN);
      expect(values(emu)).toEqual([IP1]);
    });

    it("backs off when rate-limited: Retry-After is kept, and nothing is sent until it ends", async (hooks) => {
      const { world, emu } = await urlSetup(module, hooks, { ipv6: false });
      emu.inject({ fault: { status: 429, headers: { "retry-after": "120" } } });
      const started = Date.now();
      const limited = await world.run("run");
      expect(limited.code, output(limited)).toBe(1);
      expect(output(limited)).toMatch(/rate-limit/i);
      const until = Date.parse((await world.state()).providers[module.type]?.backoffUntil ?? "");
      expect(until - started).toBeGreaterThanOrEqual(119_000);
      const asked = emu.log.length;
      const waiting = await world.run("run");
      expect(waiting.code, output(waiting)).toBe(1);
      expect(emu.log.length, "a request was sent during the back-off").toBe(asked);
    });

    it("retries a 5xx within the run", async (hooks) => {
      const { world, emu } = await urlSetup(module, hooks, { ipv6: false });
      emu.inject({ fault: { status: 503 }, times: 1 });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(0);
      expect(values(emu)).toEqual([IP1]);
      expect(emu.log.some((entry) => entry.fault === "503")).toBe(true);
    });

    it("names the provider when the reply is garbled", async (hooks) => {
      const { world, emu } = await urlSetup(module, hooks, { ipv6: false });
      emu.inject({ fault: { kind: "garbage" } });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toContain(module.label);
      expect(output(result)).toMatch(/cannot read/);
    });

    it("does not trust a success reply that is not the documented confirmation", async (hooks) => {
      const { world, emu } = await urlSetup(module, hooks, { ipv6: false });
      emu.inject({ fault: { kind: "lie" } });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(1);
      expect(values(emu)).toEqual([IP3]);
      expect(output(result)).toMatch(/does not (confirm|show)/);
    });
  });
}
