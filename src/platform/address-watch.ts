/**
 * Watches the kernel's address events for the daemon (issue 11, part 8) without a native addon: a
 * supervised `ip -o monitor address` child. Each event is only a trigger; the round re-reads the
 * state (`ip -j addr show`), so a missed or odd line costs nothing but a poll interval.
 *
 * - iproute2 flushes every monitor event even into a pipe (reference §2.3), so lines arrive at once.
 * - A new IPv6 address first appears as `tentative`; the kernel sends a second event when duplicate
 *   address detection is done (about 1 s later), so tentative events are skipped and that one
 *   triggers.
 * - Lifetime refreshes (every router advertisement) repeat an event with the same flags: skipped.
 * - Events are gathered for `debounceMs` (250 ms), then one `onChange` fires: a burst of changes
 *   (a reconnect replaces several addresses) makes one round, well within a second.
 * - The child is restarted with back-off (1 s, doubling to 60 s) when it dies, followed by one
 *   `onChange`, since events may have been lost; it is killed on `stop()`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type AddressEvent, parseMonitorLine } from "../core/monitor-line.ts";
import { errorMessage } from "../errors.ts";
import type { Logger } from "./log.ts";

/** An event line is ~150 characters; anything far longer is not one (and is dropped). */
const MAX_LINE = 4096;
const MAX_STDERR = 2048;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
/** A child that lived this long was healthy: the next failure starts the back-off afresh. */
const HEALTHY_MS = 60_000;

export interface AddressWatchOptions {
  /** Interface names to watch, or "all". */
  interfaces: ReadonlySet<string> | "all";
  /** Called once per burst of relevant changes, with a short description for the log. */
  onChange: (what: string) => void;
  logger: Logger;
  debounceMs?: number;
  /** The monitor command (tests and the bench may replace it). */
  command?: readonly string[];
}

export interface AddressWatch {
  stop(): Promise<void>;
}

export function watchAddresses(options: AddressWatchOptions): AddressWatch {
  const { logger } = options;
  const debounceMs = options.debounceMs ?? 250;
  const [command, ...args] = options.command ?? ["ip", "-o", "monitor", "address"];
  const seen = new Map<string, string>();
  let child: ChildProcess | undefined;
  let stopped = false;
  let backoffMs = FIRST_BACKOFF_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let pending: string[] = [];
  let exited: Promise<void> = Promise.resolve();

  const fire = (what: string) => {
    if (stopped) return;
    if (!pending.includes(what)) pending.push(what);
    debounceTimer ??= setTimeout(() => {
      debounceTimer = undefined;
      const described = pending.length > 3 ? [...pending.slice(0, 3), `${pending.length - 3} more`] : pending;
      pending = [];
      if (!stopped) options.onChange(described.join(", "));
    }, debounceMs);
  };

  const relevant = (event: AddressEvent): boolean => {
    if (options.interfaces !== "all" && !options.interfaces.has(event.interface)) return false;
    if (event.scope === "link" || event.scope === "host") return false;
    const key = `${event.interface} ${event.address}`;
    if (event.deleted) {
      seen.delete(key);
      return true;
    }
    if (event.flags.includes("tentative") || event.flags.includes("optimistic")) return false;
    const flags = [...event.flags].sort().join(" ");
    if (seen.get(key) === flags) return false;
    seen.set(key, flags);
    return true;
  };

  const onLine = (line: string) => {
    const event = parseMonitorLine(line);
    if (!event) {
      if (line.trim() !== "") logger.debug(`address watch: ignoring the line "${line.slice(0, 120)}"`);
      return;
    }
    if (!relevant(event)) return;
    fire(
      `${event.interface}: ${event.address} ${event.deleted ? "removed" : "added"}${event.flags.length ? ` (${event.flags.join(" ")})` : ""}`,
    );
  };

  const start = () => {
    if (stopped) return;
    const startedAt = Date.now();
    let stderr = "";
    let buffer = "";
    let dropping = false;
    const proc = spawn(command as string, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    child = proc;
    exited = new Promise((resolve) => {
      proc.once("close", () => resolve());
    });
    proc.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!dropping) onLine(line);
        dropping = false;
        newline = buffer.indexOf("\n");
      }
      if (buffer.length > MAX_LINE) {
        buffer = "";
        dropping = true;
      }
    });
    proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.slice(0, MAX_STDERR - stderr.length);
    });
    let ended = false;
    const onEnd = (why: string) => {
      if (ended) return;
      ended = true;
      if (child === proc) child = undefined;
      if (stopped) return;
      if (Date.now() - startedAt >= HEALTHY_MS) backoffMs = FIRST_BACKOFF_MS;
      const detail = stderr.trim().split("\n")[0];
      logger.warn(
        `address watch: \`${[command, ...args].join(" ")}\` ${why}${detail ? ` (${detail})` : ""}; restarting in ${backoffMs / 1000} s (the interval poll still runs)`,
      );
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        start();
        // Events may have been missed while it was down.
        fire("the address watch restarted");
      }, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    };
    proc.once("error", (error) => onEnd(`could not run: ${errorMessage(error)}`));
    proc.once("exit", (code, signal) =>
      onEnd(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  };

  start();
  logger.debug(
    `address watch: watching ${options.interfaces === "all" ? "every interface" : [...options.interfaces].join(", ")}`,
  );

  return {
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      clearTimeout(debounceTimer);
      const running = child;
      child = undefined;
      if (running && running.exitCode === null && running.signalCode === null) {
        running.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          exited,
          new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              running.kill("SIGKILL");
              resolve();
            }, 2000);
          }),
        ]);
        clearTimeout(timer);
      }
    },
  };
}
