/**
 * The behaviour table every kit provider runs, through the real CLI against its emulator module
 * (test/emulators/kit/emulator.ts). Each provider's test file is one line:
 * `providerTable(porkbun)`. The scenarios are the list: create (A and AAAA), unchanged with
 * zero mutating calls, a change in the safest order (the name never without its record), foreign
 * rows untouched, bad credentials (exit 1, what to fix, the secret in no output in any encoding), a
 * missing zone failing alone, rate limiting with back-off, a 5xx retried within the run, a malformed
 * reply naming the provider and the field, and a success reply that did nothing caught with nothing
 * removed.
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
const OTHER = `other.${ZONE}`;
const MISSING = "home.missing-zone.net";

export interface Setup {
  /** The store before the run: a zone with foreign rows by default. */
  rows?: Array<{ name: string; type: string; value: string }>;
  records?: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  /** Secrets the emulator expects (default: the ones homing is given). */
  emulatorSecrets?: Record<string, string>;
}

export interface Table {
  world: UpdateUrlWorld;
  emu: Emulator;
  secrets: Record<string, string>;
}

/** The foreign rows every scenario starts with: other types at the name, an A at another name. */
function foreignRows(module: ServiceModule) {
  const [first = "TXT", second = "MX"] = module.foreignTypes ?? ["TXT", "MX"];
  const value = (type: string) =>
    type === "MX" ? `10 mail.${ZONE}` : type === "TXT" ? "v=spf1 -all" : `x.${ZONE}`;
  return [
    { name: NAME, type: first, value: value(first) },
    { name: NAME, type: second, value: value(second) },
    { name: OTHER, type: "A", value: IP3 },
  ];
}

export async function setup(
  module: ServiceModule,
  hooks: TestHooks,
  options: Setup & { ipv6: boolean },
): Promise<Table> {
  const secrets = module.secrets();
  const store = new ZoneStore();
  const zone = store.addZone(ZONE);
  for (const row of [...foreignRows(module), ...(options.rows ?? [])]) store.add(zone, { ...row, ttl: 300 });
  const emu = await startEmulator(module, { secrets: options.emulatorSecrets ?? secrets, store });
  hooks.onTestFinished(() => emu.close());
  const world = await startUpdateUrlWorld(
    {
      providerId: module.type,
      type: module.type,
      secret: "unused",
      provider: ({ dir }) => ({
        ...module.config(emu.endpoint),
        ...Object.fromEntries(Object.keys(secrets).map((key) => [`${key}_file`, join(dir, key)])),
      }),
      records: options.records ?? [{ name: NAME, ipv4: true, ipv6: options.ipv6 }],
      ipv4: IP1,
      ...(options.ipv6 ? { ipv6: IP6_1 } : {}),
      lookup: () => undefined,
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

/** Runs the behaviour table for one service module. */
export function providerTable(module: ServiceModule): void {
  const definition = PROVIDERS.find((p) => p.type === module.type);
  const ipv6 = hostIpv6 && (definition?.ipv6 ?? false);

  describe.concurrent(`${module.label} (${module.type}) behaviour table`, () => {
    it("is registered in the catalog", () => {
      expect(definition, `no catalog entry of type ${module.type}`).toBeDefined();
    });

    it("creates A (and AAAA), sends nothing when unchanged, and changes without leaving the name empty", async (hooks) => {
      const { world, emu } = await setup(module, hooks, { ipv6 });
      const foreignBefore = JSON.stringify(foreignRows(module).map((r) => emu.store.rows(r.name, r.type)));
      const created = await world.run("run");
      expect(created.code, output(created)).toBe(0);
      expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
      if (ipv6) expect(emu.store.rows(NAME, "AAAA").map((r) => r.value)).toEqual([IP6_1]);

      // Unchanged, with the state file gone: the provider is listed, nothing is written.
      const writes = emu.mutations().length;
      const logged = emu.log.length;
      const cached = await world.run("run");
      expect(cached.code, output(cached)).toBe(0);
      expect(emu.log.length, "an unchanged run with a fresh cache asks nothing").toBe(logged);
      await world.editState((state) => {
        state.records = {};
        state.providers = {};
      });
      const relisted = await world.run("run", ["--force"]);
      expect(relisted.code, output(relisted)).toBe(0);
      expect(emu.mutations().length, "no mutating call when nothing changed").toBe(writes);

      world.setIpv4(IP2);
      if (ipv6) world.setIpv6(IP6_2);
      const before = emu.store.timeline.length;
      const changed = await world.run("run");
      expect(changed.code, output(changed)).toBe(0);
      expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
      if (ipv6) expect(emu.store.rows(NAME, "AAAA").map((r) => r.value)).toEqual([IP6_2]);
      for (const snapshot of emu.store.timeline.slice(before)) {
        expect(
          snapshot.get(`${NAME} A`)?.length ?? 0,
          "the name was left without an A record",
        ).toBeGreaterThan(0);
        if (ipv6) expect(snapshot.get(`${NAME} AAAA`)?.length ?? 0).toBeGreaterThan(0);
      }
      const foreignAfter = JSON.stringify(foreignRows(module).map((r) => emu.store.rows(r.name, r.type)));
      expect(foreignAfter, "foreign rows were touched").toBe(foreignBefore);
    });

    it("refuses bad credentials with exit 1, says what to fix, and leaks no secret", async (hooks) => {
      const wrong = Object.fromEntries(Object.keys(module.secrets()).map((key) => [key, "not-the-key-0000"]));
      const { world, emu, secrets } = await setup(module, hooks, { ipv6: false, emulatorSecrets: wrong });
      const result = await world.run("run", ["-vv"]);
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toMatch(module.authHint);
      expect(emu.mutations()).toEqual([]);
      const files = await filesUnder(world.stateDir);
      for (const secret of Object.values(secrets)) {
        for (const text of [result.stdout, result.stderr, ...files.map((f) => f.text)])
          expect(describeLeak(text, secret)).toBeUndefined();
      }
    });

    it("fails a name whose zone is missing alone", async (hooks) => {
      const { world, emu } = await setup(module, hooks, {
        ipv6: false,
        records: [{ name: MISSING }, { name: NAME }],
      });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toContain(MISSING);
      expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
    });

    it("backs off when rate-limited: Retry-After is kept, and no change is sent until it ends", async (hooks) => {
      const { world, emu } = await setup(module, hooks, { ipv6: false });
      emu.inject({ fault: { status: 429, headers: { "retry-after": "120" } } });
      const started = Date.now();
      const limited = await world.run("run");
      expect(limited.code, output(limited)).toBe(1);
      expect(output(limited)).toMatch(/rate-limit/i);
      const until = Date.parse((await world.state()).providers[module.type]?.backoffUntil ?? "");
      expect(until - started).toBeGreaterThanOrEqual(119_000);
      const waiting = await world.run("run");
      expect(waiting.code, output(waiting)).toBe(1);
      expect(emu.mutations(), "a change was sent during the back-off").toEqual([]);
    });

    it("retries a 5xx within the run", async (hooks) => {
      const { world, emu } = await setup(module, hooks, { ipv6: false });
      emu.inject({ fault: { status: 503 }, times: 1 });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(0);
      expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
      expect(emu.log.some((entry) => entry.fault === "503")).toBe(true);
    });

    it("names the provider and the field of a malformed reply", async (hooks) => {
      const { world, emu } = await setup(module, hooks, {
        ipv6: false,
        rows: [{ name: NAME, type: "A", value: IP3 }],
      });
      emu.inject({ fault: { kind: "malformed" }, match: (request) => !module.mutating(request) });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toContain(module.label);
      expect(output(result)).toMatch(/cannot read[^\n]*: [\w.[\]]+/);
      expect(emu.mutations()).toEqual([]);
    });

    it("catches a success reply that did nothing, and removes nothing", async (hooks) => {
      const { world, emu } = await setup(module, hooks, {
        ipv6: false,
        rows: [{ name: NAME, type: "A", value: IP3 }],
      });
      emu.inject({ fault: { kind: "lie" }, match: (request) => module.mutating(request) });
      const result = await world.run("run");
      expect(result.code, output(result)).toBe(1);
      expect(emu.store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3]);
      expect(output(result)).toMatch(/does not (confirm|show)/);
    });
  });
}
