/**
 * The echo guard (issue 11, part 7). An echo service sees the address of the outgoing connection;
 * with IPv6 privacy extensions that is a temporary address of this host, which expires within a
 * day. When an echo's IPv6 answer is one of this host's temporary addresses, the guard refuses it
 * (`[detect.ipv6] temporary = "refuse"`, the default) or swaps in the stable address of the same
 * interface (`"replace"`), and says so either way: never published silently.
 */
import { chooseInterfaceAddress, type InterfaceAddress } from "../core/interface-address.ts";
import { parseAddress } from "../core/ip.ts";
import { readInterfaceAddresses } from "../platform/ip-command.ts";
import type { AnswerGuard } from "./detect.ts";

export type TemporaryPolicy = "refuse" | "replace";

export type AddressReader = (options: {
  signal: AbortSignal;
  timeoutMs: number;
}) => Promise<InterfaceAddress[]>;

const readAll: AddressReader = (options) => readInterfaceAddresses("ipv6", options);

/**
 * A guard for one detection: the host's addresses are read once (`ip -j -6 addr show`) however many
 * echo sources answer. When they cannot be read (no iproute2, not Linux), answers are kept: the
 * guard cannot tell, and says so at debug level through `onUnreadable`.
 */
export function temporaryGuard(
  policy: TemporaryPolicy,
  options: { read?: AddressReader; onUnreadable?: (error: unknown) => void } = {},
): AnswerGuard {
  const read = options.read ?? readAll;
  let addresses: Promise<InterfaceAddress[] | undefined> | undefined;
  return async (answer, ask) => {
    addresses ??= read(ask).catch((error: unknown) => {
      options.onUnreadable?.(error);
      return undefined;
    });
    const all = await addresses;
    const wanted = parseAddress(answer)?.canonical;
    const own = all?.find((entry) => parseAddress(entry.address)?.canonical === wanted);
    if (!all || !own?.flags.includes("temporary")) return { kind: "keep" };
    const iface = own.interface;
    const what = `${answer} is a temporary (privacy) IPv6 address of this host (${iface}): it changes within a day, so homing does not publish it`;
    if (policy === "refuse") {
      return {
        kind: "refuse",
        reason: what,
        hint: `set temporary = "replace" in [detect.ipv6] to publish ${iface}'s stable address instead, or use the source "interface:${iface}"`,
      };
    }
    const choice = chooseInterfaceAddress(
      all.filter((entry) => entry.interface === iface),
      { family: "ipv6", where: iface },
    );
    if (!choice.ok) {
      return {
        kind: "refuse",
        reason: `${what}, and ${iface} has no stable address to use instead (${choice.reason})`,
        ...(choice.hint ? { hint: choice.hint } : {}),
      };
    }
    return {
      kind: "replace",
      address: choice.address,
      note: `the echo answered ${answer}, a temporary address of ${iface}; using ${iface}'s stable address ${choice.address} (${choice.evidence}) instead`,
    };
  };
}
