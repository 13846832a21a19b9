/**
 * A test world for the providers that cannot list (dyndns2, DuckDNS, custom): IP echo servers, a
 * DNS responder for the guard lookups (fed by the service emulator), a temp dir with the secret file
 * (mode 0600) and a config file, and the real CLI (test/support/harness.ts `runCli`).
 */
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type DnsResponder, type DnsType, startDnsResponder } from "../emulators/dns-responder.ts";
import { type EchoServer, startEcho } from "../emulators/ip-echo.ts";
import { IP1, makeTempDir, type RunOptions, type RunResult, runCli, type TestHooks } from "./harness.ts";

export type TomlValue = string | number | boolean | string[] | number[] | Record<string, string>;

export interface UpdateUrlWorldOptions {
  providerId: string;
  /** The provider table (without `type`), once the paths are known. */
  provider: (paths: { dir: string; secretPath: string; resolver: string }) => Record<string, TomlValue>;
  type: string;
  /** Written to `<dir>/secret` with mode 0600. */
  secret: string;
  records: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  /** The address the IPv4 echoes agree on (default IP1). */
  ipv4?: string;
  /** When set, IPv6 echoes on ::1 agree on it (the test must skip without IPv6 loopback). */
  ipv6?: string;
  /** What DNS answers: usually the emulator's records. */
  lookup: (name: string, type: DnsType) => readonly string[] | undefined;
  /** Raw TOML lines at the top level (e.g. `recheck = "0s"`). */
  topLevel?: string[];
}

export interface UpdateUrlWorld {
  dir: string;
  configPath: string;
  stateDir: string;
  statePath: string;
  secretPath: string;
  dns: DnsResponder;
  echoes4: EchoServer[];
  echoes6: EchoServer[];
  /** Edit, then `writeConfig()`. */
  provider: Record<string, TomlValue>;
  setIpv4(address: string): void;
  setIpv6(address: string): void;
  run(command: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
  writeConfig(): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the state file loosely
  state(): Promise<any>;
  /** Rewrites parts of the state file (to age an acceptance, say). */
  // biome-ignore lint/suspicious/noExplicitAny: the tests edit the state file loosely
  editState(edit: (state: any) => void): Promise<void>;
  close(): Promise<void>;
}

function toml(value: TomlValue): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => toml(item)).join(", ")}]`;
  return `{ ${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)} = ${JSON.stringify(item)}`)
    .join(", ")} }`;
}

export async function startUpdateUrlWorld(
  options: UpdateUrlWorldOptions,
  hooks: TestHooks,
): Promise<UpdateUrlWorld> {
  const dir = await makeTempDir("homing-url-");
  const secretPath = join(dir, "secret");
  await writeFile(secretPath, `${options.secret}\n`, { mode: 0o600 });
  await chmod(secretPath, 0o600);
  const dns = await startDnsResponder({ lookup: options.lookup });
  const ipv4 = options.ipv4 ?? IP1;
  const echoes4 = await Promise.all([0, 1, 2].map(() => startEcho({ answer: ipv4 })));
  const echoes6 = options.ipv6
    ? await Promise.all([0, 1, 2].map(() => startEcho({ answer: options.ipv6 as string }, { host: "::1" })))
    : [];
  const stateDir = join(dir, "state");
  const configPath = join(dir, "homing.toml");
  const provider = options.provider({ dir, secretPath, resolver: dns.address });
  const render = (): string => {
    const lines = [
      `state_dir = ${JSON.stringify(stateDir)}`,
      `timeout = "30s"`,
      ...(options.topLevel ?? []),
      "",
      "[detect]",
      `timeout = "5s"`,
      "",
      "[detect.ipv4]",
      `sources = [${echoes4.map((e, i) => `{ url = ${JSON.stringify(e.url)}, name = "echo-${i}" }`).join(", ")}]`,
      "quorum = 2",
    ];
    if (echoes6.length > 0) {
      lines.push(
        "",
        "[detect.ipv6]",
        `sources = [${echoes6.map((e, i) => `{ url = ${JSON.stringify(e.url)}, name = "echo6-${i}" }`).join(", ")}]`,
        "quorum = 2",
      );
    }
    lines.push("", `[providers.${options.providerId}]`, `type = ${JSON.stringify(options.type)}`);
    for (const [key, value] of Object.entries(provider)) lines.push(`${key} = ${toml(value)}`);
    for (const record of options.records) {
      lines.push(
        "",
        "[[records]]",
        `name = ${JSON.stringify(record.name)}`,
        `provider = ${JSON.stringify(options.providerId)}`,
        `ipv4 = ${record.ipv4 ?? true}`,
        `ipv6 = ${record.ipv6 ?? false}`,
      );
    }
    return `${lines.join("\n")}\n`;
  };
  const statePath = join(stateDir, "state.json");
  const world: UpdateUrlWorld = {
    dir,
    configPath,
    stateDir,
    statePath,
    secretPath,
    dns,
    echoes4,
    echoes6,
    provider,
    setIpv4(address) {
      for (const echo of echoes4) echo.set({ answer: address });
    },
    setIpv6(address) {
      for (const echo of echoes6) echo.set({ answer: address });
    },
    run(command, args = [], runOptions = {}) {
      return runCli([command, "-c", configPath, ...args], dir, runOptions);
    },
    async writeConfig() {
      await writeFile(configPath, render(), { mode: 0o600 });
    },
    async state() {
      return JSON.parse(await readFile(statePath, "utf8"));
    },
    async editState(edit) {
      const state = JSON.parse(await readFile(statePath, "utf8"));
      edit(state);
      await writeFile(statePath, JSON.stringify(state), { mode: 0o600 });
    },
    async close() {
      await Promise.all([dns.close(), ...echoes4.map((e) => e.close()), ...echoes6.map((e) => e.close())]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await world.writeConfig();
  hooks.onTestFinished(() => world.close());
  return world;
}

/** A secret that is easy to grep for: CANARY + 10 random upper-case letters and digits. */
export { canaryKey as canarySecret } from "./harness.ts";

/**
 * Any 8-character window of `secret` found in `text` (canary secrets are CANARY + 10 random
 * characters, so every window holds at least 2 of them): a secret cut short counts as a leak too.
 */
export function leakedFragment(text: string, secret: string): string | undefined {
  for (let i = 0; i + 8 <= secret.length; i++) {
    const fragment = secret.slice(i, i + 8);
    if (text.includes(fragment)) return fragment;
  }
  return undefined;
}
