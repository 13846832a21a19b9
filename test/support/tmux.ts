/**
 * A real terminal for tests of interactive commands: the CLI runs in a tmux pane (a pseudo-terminal,
 * so stdin and stdout are TTYs and readline does its own echo), on a private tmux server
 * (`-L <unique socket>`, no config file). Keys go in with `send-keys`; what the user would see comes
 * back with `capture-pane`, the scrollback included. Every wait has a deadline and fails with the
 * screen. Close it (kill-server) when the test ends.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { BIN, cleanEnv } from "./harness.ts";

const run = promisify(execFile);
export const TMUX = "/usr/bin/tmux";

export interface TmuxCli {
  /** Everything the pane showed so far (scrollback and screen), trailing blanks trimmed. */
  screen(): Promise<string>;
  /**
   * Waits until `pattern` shows up after whatever the previous wait matched, and returns the text
   * up to the match; fails with the screen after `timeoutMs` (default 15 s).
   */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Types the text literally, then Enter. */
  type(text: string): Promise<void>;
  /** Sends keys by tmux name: "C-c", "C-d", "Enter". */
  key(name: string): Promise<void>;
  /** The CLI's exit code once it has exited; fails after `timeoutMs` (default 30 s). */
  exitCode(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** Starts `node bin/homing <args>` in a 200x60 pane, with the harness's clean environment. */
export async function startTmuxCli(
  args: readonly string[],
  options: { dir: string; cwd?: string; env?: Record<string, string> },
): Promise<TmuxCli> {
  const socket = `homing-test-${process.pid}-${randomBytes(4).toString("hex")}`;
  const exitFile = join(options.dir, `.exit-${socket}`);
  const script = join(options.dir, `.run-${socket}.sh`);
  const env = cleanEnv(options.dir, options.env);
  const exports = Object.entries(env)
    // The pane's own terminal settings stay (tmux sets TERM=screen): a TERM=dumb from CI would
    // switch readline to its line-at-a-time mode, which is not what a user's terminal does.
    .filter(([name]) => !["TERM", "TMUX", "TMUX_PANE", "COLUMNS", "LINES"].includes(name))
    .filter(([name, value]) => value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name, value]) => `export ${name}=${quote(value as string)}`);
  // The pane stays open after the CLI exits (sleep), so its last words can still be read.
  await writeFile(
    script,
    [
      "#!/bin/sh",
      ...exports,
      `cd ${quote(options.cwd ?? options.dir)}`,
      `${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(" ")}`,
      `echo $? > ${quote(exitFile)}`,
      "exec sleep 600",
      "",
    ].join("\n"),
    { mode: 0o700 },
  );
  const tmux = (...tmuxArgs: string[]) => run(TMUX, ["-L", socket, "-f", "/dev/null", ...tmuxArgs]);
  await tmux("new-session", "-d", "-s", "cli", "-x", "200", "-y", "60", script);
  let seen = 0;
  const screen = async () => {
    const { stdout } = await tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "cli");
    return stdout.replace(/\s+$/, "");
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    screen,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let text = "";
      for (;;) {
        text = await screen();
        const rest = text.slice(seen);
        const match =
          typeof pattern === "string"
            ? rest.includes(pattern)
              ? { index: rest.indexOf(pattern), length: pattern.length }
              : undefined
            : (() => {
                const found = pattern.exec(rest);
                return found ? { index: found.index, length: found[0].length } : undefined;
              })();
        if (match) {
          const upTo = rest.slice(0, match.index + match.length);
          seen += match.index + match.length;
          return upTo;
        }
        if (Date.now() > deadline)
          throw new Error(`no ${String(pattern)} on the screen within ${timeoutMs} ms; it shows:\n${text}`);
        await sleep(100);
      }
    },
    async type(text) {
      if (text !== "") await tmux("send-keys", "-t", "cli", "-l", text);
      await tmux("send-keys", "-t", "cli", "Enter");
    },
    async key(name) {
      await tmux("send-keys", "-t", "cli", name);
    },
    async exitCode(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const text = (await readFile(exitFile, "utf8")).trim();
          if (text !== "") return Number(text);
        } catch {
          // Not exited yet.
        }
        if (Date.now() > deadline)
          throw new Error(`the CLI did not exit within ${timeoutMs} ms; it shows:\n${await screen()}`);
        await sleep(100);
      }
    },
    async close() {
      await tmux("kill-server").catch(() => undefined);
    },
  };
}
