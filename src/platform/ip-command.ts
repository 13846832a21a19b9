/**
 * Runs iproute2's `ip` (never through a shell) with a deadline and an output cap, and reads the
 * addresses it reports. Used by the `interface` source and the IPv6 echo guard.
 */
import { type InterfaceAddress, parseIpAddrJson } from "../core/interface-address.ts";
import type { IpFamily } from "../core/ip.ts";

/** A host with hundreds of addresses prints well under this. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface IpCommandOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** `ip <args>`'s stdout, or an error that says what went wrong (not installed, no such device, timeout). */
export async function runIp(args: readonly string[], options: IpCommandOptions): Promise<string> {
  // Loaded on first use: node:child_process pulls in net, dgram and streams, about 15 ms of every
  // start, and most runs never call `ip` (docs/design.md, "Startup budget").
  const { execFile } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    execFile(
      "ip",
      [...args],
      {
        timeout: options.timeoutMs,
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: "utf8",
        env: { ...process.env, LC_ALL: "C" },
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          return reject(
            new Error("the `ip` command (iproute2) is not installed; install the iproute2 package"),
          );
        }
        if ((error as { killed?: boolean }).killed && !options.signal?.aborted) {
          return reject(new Error(`\`ip ${args.join(" ")}\` gave no answer within ${options.timeoutMs} ms`));
        }
        if (code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
          return reject(new Error(`\`ip ${args.join(" ")}\` printed more than ${MAX_OUTPUT_BYTES} bytes`));
        }
        const detail =
          String(stderr ?? "")
            .trim()
            .split("\n")[0] || error.message;
        reject(new Error(`\`ip ${args.join(" ")}\` failed: ${detail}`));
      },
    );
  });
}

/** Addresses of one interface (or all) and one family, with every flag and lifetime (`ip -j addr show`). */
export async function readInterfaceAddresses(
  family: IpFamily,
  options: IpCommandOptions & { interface?: string | undefined },
): Promise<InterfaceAddress[]> {
  const args = ["-j", family === "ipv4" ? "-4" : "-6", "addr", "show"];
  if (options.interface !== undefined) args.push("dev", options.interface);
  let text: string;
  try {
    text = await runIp(args, options);
  } catch (error) {
    if (options.interface !== undefined && /does not exist|Cannot find device/i.test(String(error))) {
      throw new Error(`there is no network interface "${options.interface}" (see \`ip link\` for the names)`);
    }
    throw error;
  }
  // `ip -j` prints nothing at all when the device has no address of that family.
  return text.trim() === "" ? [] : parseIpAddrJson(text);
}
