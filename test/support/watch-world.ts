/**
 * The world of the address-watch tests and the reaction bench: a network namespace with v0 holding
 * 11.22.33.44/24 and 2a00:1450:4001:81b::5, the DreamHost emulator inside it (every request it gets
 * collected, with its arrival time), and `homing daemon` inside it with `interface` sources and a
 * poll interval of one hour. The first round's records are in place when it returns.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cleanEnv } from "./harness.ts";
import { TestNamespace, waitFor } from "./netns.ts";

export const P = "2a00:1450:4001:81b";
const KEY = "ABCDEFGHIJ123456";

export interface Request {
  cmd: string;
  params: Record<string, string>;
  at: number;
}

function lines(child: ChildProcess, stream: "stdout" | "stderr", onLine: (line: string) => void): void {
  let buffer = "";
  child[stream]?.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
    }
  });
}

/** The namespace, its emulator (requests collected) and a running daemon. */
export async function startWatchWorld(options: {
  watch?: boolean;
  env?: NodeJS.ProcessEnv;
  homes: string[];
}) {
  const ns = new TestNamespace();
  ns.ip("addr", "add", "11.22.33.44/24", "dev", "v0");
  ns.ip("addr", "add", `${P}::5/64`, "dev", "v0", "nodad");
  const requests: Request[] = [];
  const emulator = ns.spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "test/emulators/dreamhost-cli.ts",
      "--key",
      KEY,
      "--zone",
      "example.com",
      "--log-requests",
      "--no-rate-limits",
    ],
    options.env,
  );
  const url = await new Promise<string>((resolve, reject) => {
    lines(emulator, "stdout", (line) => {
      const parsed = JSON.parse(line) as { url?: string } & Request;
      if (parsed.url) resolve(parsed.url);
      else requests.push(parsed);
    });
    emulator.once("exit", (code) => reject(new Error(`the emulator exited (${code})`)));
  });
  const dir = await mkdtemp(join(tmpdir(), "homing-watch-"));
  options.homes.push(dir);
  const file = join(dir, "homing.toml");
  await writeFile(
    file,
    [
      `state_dir = ${JSON.stringify(join(dir, "state"))}`,
      "[daemon]",
      'interval = "1h"',
      'jitter = "0s"',
      ...(options.watch === undefined ? [] : [`watch = ${options.watch}`]),
      "[detect.ipv4]",
      'sources = ["interface:v0"]',
      "quorum = 1",
      "[detect.ipv6]",
      'sources = [{ kind = "interface", interface = "v0" }]',
      "quorum = 1",
      "[providers.dh]",
      'type = "dreamhost"',
      `endpoint = ${JSON.stringify(url)}`,
      `api_key = "${KEY}"`,
      "[[records]]",
      'name = "home.example.com"',
      'provider = "dh"',
      "ipv4 = true",
      "ipv6 = true",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const daemon = ns.spawn(process.execPath, [BIN, "daemon", "-v", "-c", file], {
    ...cleanEnv(dir),
    ...options.env,
  });
  const log: string[] = [];
  lines(daemon, "stderr", (line) => log.push(line));
  const added = (value: string) =>
    requests.find((r) => r.cmd === "dns-add_record" && r.params.value === value);
  await waitFor(() => !!added("11.22.33.44") && !!added(`${P}::5`), "the first round's records", 20_000);
  return { ns, requests, log, daemon, added };
}
