/**
 * The state-store interface a topology runs against. Every store holds entries addressed by
 * (key, window start, window end); key-value stores use the window `[0, 0]`. The StreamTask
 * Durable Object implements it on SQLite inside the transaction that also commits the input
 * offset; MemoryStores implements it in memory, for tests and for running a topology anywhere.
 */

export interface StoreEntry {
  /** The key as text (see keyText): what entries are looked up and partitioned by. */
  key: string;
  /** The key as the topology produced it. */
  keyValue: unknown;
  windowStart: number;
  windowEnd: number;
  value: unknown;
}

export interface StoreScan {
  key?: string;
  /** Entries whose window starts at or after `from`. */
  from?: number;
  /** Entries whose window starts at or before `to`. */
  to?: number;
  limit: number;
}

export interface StateStores {
  get(store: string, key: string, start: number, end: number): StoreEntry | undefined;
  put(entry: StoreEntry & { store: string }): void;
  delete(store: string, key: string, start: number, end: number): void;
  /** The key's entries whose window overlaps `[from, to]`, by window start. */
  overlapping(store: string, key: string, from: number, to: number): StoreEntry[];
  /** All entries whose window ends at or before `end`, by window end then key. */
  endedBy(store: string, end: number): StoreEntry[];
  /** Removes entries whose window ends before `end`. */
  purge(store: string, end: number): void;
  scan(store: string, scan: StoreScan): StoreEntry[];
}

/**
 * A key as text: strings as they are, anything else as JSON. Output and repartition records are
 * keyed by this text, so it decides the partition a key lands on.
 */
export function keyText(key: unknown): string {
  return typeof key === "string" ? key : JSON.stringify(key ?? null);
}

const byStartThenKey = (a: StoreEntry, b: StoreEntry) =>
  a.windowStart - b.windowStart || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** State stores in memory, ordered as the SQLite ones are. */
export class MemoryStores implements StateStores {
  private readonly stores = new Map<string, Map<string, StoreEntry>>();

  private of(store: string): Map<string, StoreEntry> {
    let m = this.stores.get(store);
    if (!m) {
      m = new Map();
      this.stores.set(store, m);
    }
    return m;
  }

  get(store: string, key: string, start: number, end: number): StoreEntry | undefined {
    return this.of(store).get(JSON.stringify([key, start, end]));
  }

  put(entry: StoreEntry & { store: string }): void {
    const { store, ...rest } = entry;
    this.of(store).set(JSON.stringify([rest.key, rest.windowStart, rest.windowEnd]), structuredClone(rest));
  }

  delete(store: string, key: string, start: number, end: number): void {
    this.of(store).delete(JSON.stringify([key, start, end]));
  }

  overlapping(store: string, key: string, from: number, to: number): StoreEntry[] {
    return [...this.of(store).values()]
      .filter((e) => e.key === key && e.windowEnd >= from && e.windowStart <= to)
      .sort(byStartThenKey);
  }

  endedBy(store: string, end: number): StoreEntry[] {
    return [...this.of(store).values()]
      .filter((e) => e.windowEnd <= end)
      .sort((a, b) => a.windowEnd - b.windowEnd || byStartThenKey(a, b));
  }

  purge(store: string, end: number): void {
    const m = this.of(store);
    for (const [id, e] of m) if (e.windowEnd < end) m.delete(id);
  }

  scan(store: string, scan: StoreScan): StoreEntry[] {
    return [...this.of(store).values()]
      .filter(
        (e) =>
          (scan.key === undefined || e.key === scan.key) &&
          (scan.from === undefined || e.windowStart >= scan.from) &&
          (scan.to === undefined || e.windowStart <= scan.to),
      )
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.windowStart - b.windowStart))
      .slice(0, scan.limit);
  }
}
