/**
 * Which zone holds a name, for every provider that addresses records by zone. The zone comes from
 * the config (`zone`), or from the API: either one call that lists every zone of the account, or one
 * lookup per candidate parent, longest first. The longest suffix wins. Each zone is asked about once
 * per run; a name whose zone cannot be found fails alone (a permanent error for that name only).
 */
import { normalizeName } from "../../core/records.ts";
import { ProviderError } from "../../errors.ts";

export interface Zone {
  /** The zone's name, normalised (lower case, no trailing dot). */
  name: string;
  /** The service's handle for it (an id); the name when the service addresses zones by name. */
  id: string;
}

export interface ZoneSource {
  /** The zone of exactly this name, or null when the account has none. */
  lookup?(name: string, signal: AbortSignal): Promise<Zone | null>;
  /** Every zone of the account. Preferred over `lookup` when both exist: one call for all names. */
  all?(signal: AbortSignal): Promise<Zone[]>;
  /**
   * The service's zones are registered domains, which never nest (a registrar's DNS: Porkbun,
   * GoDaddy): `lookup` probes the shortest candidate first, so a round costs one lookup per zone,
   * not one per name.
   */
  registeredDomains?: boolean;
  /** The message for a name no zone holds (default: "<label> has no zone for <name> in this account …"). */
  notFound?(name: string, asked: readonly string[]): string;
}

/** Whose zones: the provider id and the service's name, for messages. */
export interface ZoneOwner {
  readonly id: string;
  readonly label: string;
}

export interface ZoneOf {
  zone: Zone;
  /** The name relative to the zone: "" at the apex, "home" for home.example.com. */
  relative: string;
}

/** Candidate zones of a name, longest first, down to two labels. */
export function zoneCandidates(name: string): string[] {
  const labels = normalizeName(name).split(".");
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join("."));
  return out;
}

export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

export function relativeName(name: string, zone: string): string {
  return name === zone ? "" : name.slice(0, -(zone.length + 1));
}

export class Zones {
  readonly #owner: ZoneOwner;
  readonly #source: ZoneSource;
  readonly #configured: string | undefined;
  readonly #help: string;
  /** Zones found, by name. "Not found" is never remembered: one empty answer (a glitch, a token whose
   * zone access had not propagated yet) must not fail every later round of a daemon. */
  readonly #found = new Map<string, Zone>();
  /** The zone each name was found in, so a name is looked up once per run, not once per call. */
  readonly #byName = new Map<string, ZoneOf>();
  #all: Promise<Zone[]> | undefined;

  /** `help`: where the user sees or creates zones, for the not-found message. */
  constructor(
    owner: ZoneOwner | { readonly label: string; readonly options: { readonly id: string } },
    source: ZoneSource,
    configured: string | undefined,
    help: string,
  ) {
    this.#owner = "options" in owner ? { id: owner.options.id, label: owner.label } : owner;
    this.#source = source;
    this.#configured = configured === undefined ? undefined : normalizeName(configured);
    this.#help = help;
  }

  async #lookup(candidate: string, signal: AbortSignal): Promise<Zone | null> {
    const known = this.#found.get(candidate);
    if (known) return known;
    let zone: Zone | null;
    if (this.#source.lookup && (!this.#source.all || candidate === this.#configured))
      zone = await this.#source.lookup(candidate, signal);
    else if (this.#source.all)
      zone = (await this.#allZones(signal)).find((z) => z.name === candidate) ?? null;
    else zone = null;
    if (zone) this.#found.set(candidate, zone);
    return zone;
  }

  /** Every zone of the account, asked once, and again after a name was not found in it. */
  #allZones(signal: AbortSignal): Promise<Zone[]> {
    const all = this.#source.all;
    if (!all) return Promise.resolve([]);
    this.#all ??= all(signal).catch((error: unknown) => {
      this.#all = undefined;
      throw error;
    });
    return this.#all;
  }

  #error(message: string): ProviderError {
    return new ProviderError(message, { kind: "permanent", provider: this.#owner.id });
  }

  /** The zone that holds `name`, and the name relative to it. */
  async of(name: string, signal: AbortSignal): Promise<ZoneOf> {
    const wanted = normalizeName(name);
    const known = this.#byName.get(wanted);
    if (known) return known;
    const { id, label } = this.#owner;
    const configured = this.#configured;
    if (configured !== undefined && !inZone(wanted, configured)) {
      throw this.#error(
        `${wanted} is not inside the zone ${configured} (providers.${id}.zone): fix the record's name or the zone, or use another provider entry for that domain`,
      );
    }
    const candidates =
      configured !== undefined
        ? [configured]
        : this.#source.registeredDomains
          ? zoneCandidates(wanted).reverse()
          : zoneCandidates(wanted);
    if (configured === undefined && !this.#source.lookup && !this.#source.all)
      throw this.#error(`${label} needs the zone of ${wanted}: set providers.${id}.zone`);
    for (const candidate of candidates) {
      const zone =
        configured !== undefined && !this.#source.lookup && !this.#source.all
          ? { name: configured, id: configured }
          : await this.#lookup(candidate, signal);
      if (zone) {
        const found = { zone, relative: relativeName(wanted, candidate) };
        this.#byName.set(wanted, found);
        return found;
      }
    }
    this.#all = undefined;
    throw this.#error(
      this.#source.notFound?.(wanted, candidates) ??
        `${label} has no zone for ${wanted} in this account (asked for ${candidates.join(", ")}): ${this.#help}${configured === undefined ? "" : `, or fix providers.${id}.zone`}`,
    );
  }
}
