/**
 * The one interface every detection source answers, whatever its kind (an HTTP echo, an interface,
 * a router over UPnP / NAT-PMP / PCP / TR-064, a DNS query). Consensus (core/consensus.ts) and the
 * public-address checks stay in one place (detect/detect.ts): a source only says what it saw.
 *
 * A kind is registered once, in `detect/sources/index.ts` (`SOURCE_KINDS`): its table schema (with
 * `kind = "<kind>"`), its string shorthand (`"interface:eth0"`, `"upnp"`, `"dns:cloudflare"`), and
 * `create`. The module of a kind is loaded only when a config uses it.
 */
import type { IpFamily } from "../../core/ip.ts";
import type { Logger } from "../../platform/log.ts";

export interface SourceAnswer {
  /** The address the source reports, as text (checked and canonicalised by detect.ts). */
  address?: string;
  /** For a source that yields an IPv6 prefix (a router's delegated prefix, an interface's /64). */
  prefix?: { address: string; length: number };
  /** What backs the answer, for `homing detect`: "eth0, permanent, preferred 86400 s", "UPnP at 192.168.1.1". */
  evidence: string;
}

/**
 * The source answered, but with nothing homing may use (a temporary IPv6 address, a private IPv4
 * on the interface, a router that reports 0.0.0.0 or a non-zero result code). `homing detect` shows
 * the reason and the hint; the source counts as "rejected", never as an answer.
 */
export class SourceRefusal extends Error {
  override readonly name = "SourceRefusal";
  readonly hint: string | undefined;

  constructor(reason: string, hint?: string) {
    super(reason);
    this.hint = hint;
  }
}

export interface AskOptions {
  signal: AbortSignal;
  /** Deadline of this source's whole exchange, in ms. */
  timeoutMs: number;
}

export interface DetectionSource {
  readonly kind: string;
  /** The name in reports ("cloudflare", "eth0", "upnp"). */
  readonly name: string;
  /** Where it asks, for reports and the status page: a URL without secrets, an interface, a router address. */
  readonly where: string;
  /**
   * One answer for one family, or a SourceRefusal (answered, unusable), or any other error (no
   * answer: timeout, unreachable). Must honour `signal` and `timeoutMs`, and ask over `family` only.
   */
  ask(family: IpFamily, options: AskOptions): Promise<SourceAnswer>;
}

export interface SourceContext {
  logger: Logger;
  /**
   * The family this source will be asked for: detect builds one set of sources per family, so a
   * kind whose `where` differs per family (a built-in echo service) can name the right one.
   */
  family: IpFamily;
}
