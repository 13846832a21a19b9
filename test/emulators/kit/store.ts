/**
 * The records of an emulated DNS service: zones with rows (id, fully qualified name, type, value,
 * TTL), plus a timeline of the address rows at every name after each mutating request, so a test can
 * prove that a name never went without its record in the middle of a change.
 */
export interface StoredRow {
  id: string;
  /** Fully qualified, lower case, no trailing dot. */
  name: string;
  type: string;
  value: string;
  ttl: number;
}

export interface StoredZone {
  id: string;
  name: string;
  rows: StoredRow[];
}

export class ZoneStore {
  readonly zones = new Map<string, StoredZone>();
  /** After each mutating request: "name TYPE" → values. */
  readonly timeline: Map<string, string[]>[] = [];
  #nextId = 1000;

  nextId(): string {
    return String(this.#nextId++);
  }

  addZone(name: string, id = this.nextId()): StoredZone {
    const zone = { id, name, rows: [] };
    this.zones.set(name, zone);
    return zone;
  }

  zone(nameOrId: string): StoredZone | undefined {
    const wanted = nameOrId.toLowerCase().replace(/\.$/, "");
    return this.zones.get(wanted) ?? [...this.zones.values()].find((zone) => zone.id === nameOrId);
  }

  /** The zone that holds a fully qualified name (longest suffix). */
  zoneOf(name: string): StoredZone | undefined {
    const wanted = name.toLowerCase().replace(/\.$/, "");
    return [...this.zones.values()]
      .filter((zone) => wanted === zone.name || wanted.endsWith(`.${zone.name}`))
      .sort((a, b) => b.name.length - a.name.length)[0];
  }

  /** `relative` ("", "@" or "home") to a fully qualified name in `zone`. */
  static fqdn(zone: StoredZone, relative: string): string {
    const label = relative.toLowerCase().replace(/\.$/, "");
    if (label === "" || label === "@") return zone.name;
    return label === zone.name || label.endsWith(`.${zone.name}`) ? label : `${label}.${zone.name}`;
  }

  static relative(zone: StoredZone, name: string): string {
    return name === zone.name ? "" : name.slice(0, -(zone.name.length + 1));
  }

  add(zone: StoredZone, row: Omit<StoredRow, "id"> & { id?: string }): StoredRow {
    const stored = { ...row, id: row.id ?? this.nextId(), name: row.name.toLowerCase() };
    zone.rows.push(stored);
    return stored;
  }

  rows(name: string, type?: string): StoredRow[] {
    const wanted = name.toLowerCase().replace(/\.$/, "");
    return [...this.zones.values()].flatMap((zone) =>
      zone.rows.filter((row) => row.name === wanted && (type === undefined || row.type === type)),
    );
  }

  find(id: string): { zone: StoredZone; row: StoredRow } | undefined {
    for (const zone of this.zones.values()) {
      const row = zone.rows.find((r) => r.id === id);
      if (row) return { zone, row };
    }
    return undefined;
  }

  delete(id: string): boolean {
    const found = this.find(id);
    if (!found) return false;
    found.zone.rows = found.zone.rows.filter((row) => row.id !== id);
    return true;
  }

  /** Replaces the whole set of `type` at `name` with `values`. */
  setRRset(zone: StoredZone, name: string, type: string, values: readonly string[], ttl = 300): void {
    const fq = name.toLowerCase();
    const existing = zone.rows.filter((row) => row.name === fq && row.type === type);
    zone.rows = zone.rows.filter((row) => !(row.name === fq && row.type === type));
    for (const value of values) {
      const kept = existing.find((row) => row.value === value);
      zone.rows.push(kept ?? { id: this.nextId(), name: fq, type, value, ttl });
    }
  }

  /** Notes what every name holds now (called after each mutating request). */
  record(): void {
    const snapshot = new Map<string, string[]>();
    for (const zone of this.zones.values())
      for (const row of zone.rows) {
        const key = `${row.name} ${row.type}`;
        snapshot.set(key, [...(snapshot.get(key) ?? []), row.value]);
      }
    this.timeline.push(snapshot);
  }
}
