/**
 * The state-store interface a topology runs against. Every store holds entries addressed by
 * (key, window start, window end); key-value stores use the window `[0, 0]`. The StreamTask
 * Durable Object implements it on SQLite inside the transaction that also commits the input
 * offset; MemoryStores implements it in memory, for tests and for running a topology anywhere.
 */

import { entryOf, newMap } from "./maps.ts";

export interface StoreEntry {
  /** The key as text (see keyText): what entries are looked up and partitioned by. */
  key: string;
  /** The key as the topology produced it. */
  keyValue: unknown;
  windowStart: number;
  windowEnd: number;
  value: unknown;
}

/** One window of one key. */
export interface WindowRef {
  key: string;
  start: number;
  end: number;
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
  /** Puts several entries of one store (the SQLite stores in one statement). */
  putMany(store: string, entries: readonly StoreEntry[]): void;
  delete(store: string, key: string, start: number, end: number): void;
  /** The entries of these (key, window)s that exist (the SQLite stores in one query). */
  getMany(store: string, windows: readonly WindowRef[]): StoreEntry[];
  /**
   * A dedupe store: when each of these ids was seen (event time), for those it holds (the
   * SQLite stores in one query). Dedupe stores hold one small row per id, apart from the
   * windowed entries, since a dedupe writes one per record.
   */
  seenIds(store: string, ids: readonly string[]): Map<string, number>;
  /** Records ids as seen at these times, replacing what the store held for them. */
  putSeenIds(store: string, seen: ReadonlyMap<string, number>): void;
  /** Forgets the ids seen before `before` (the SQLite stores sweep a slice per call). */
  purgeSeenIds(store: string, before: number): void;
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

/** One store: entries by key, then by window; and a lower bound of their window ends. */
interface MemoryStore {
  byKey: Map<string, Map<string, StoreEntry>>;
  /** No entry's window ends before this, so purges and closings below it cost nothing. */
  minEnd: number;
}

/** A window of a key as the in-memory stores and caches index it. */
export const windowId = (start: number, end: number) => `${start}/${end}`;
const newStore = (): MemoryStore => ({ byKey: new Map(), minEnd: Number.POSITIVE_INFINITY });

/** State stores in memory, ordered as the SQLite ones are. */
export class MemoryStores implements StateStores {
  private readonly stores = new Map<string, MemoryStore>();
  /** Dedupe stores: per store, when each id was seen. */
  private readonly seen = new Map<string, Map<string, number>>();

  private of(store: string): MemoryStore {
    return entryOf(this.stores, store, newStore);
  }

  private *entries(m: MemoryStore): Iterable<StoreEntry> {
    for (const windows of m.byKey.values()) yield* windows.values();
  }

  get(store: string, key: string, start: number, end: number): StoreEntry | undefined {
    return this.of(store).byKey.get(key)?.get(windowId(start, end));
  }

  put(entry: StoreEntry & { store: string }): void {
    const { store, ...rest } = entry;
    const m = this.of(store);
    entryOf(m.byKey, rest.key, newMap).set(windowId(rest.windowStart, rest.windowEnd), structuredClone(rest));
    if (rest.windowEnd < m.minEnd) m.minEnd = rest.windowEnd;
  }

  putMany(store: string, entries: readonly StoreEntry[]): void {
    for (const e of entries) this.put({ ...e, store });
  }

  getMany(store: string, windows: readonly WindowRef[]): StoreEntry[] {
    const m = this.of(store);
    return windows.flatMap((w) => {
      const e = m.byKey.get(w.key)?.get(windowId(w.start, w.end));
      return e ? [structuredClone(e)] : [];
    });
  }

  seenIds(store: string, ids: readonly string[]): Map<string, number> {
    const seen = this.seenOf(store);
    const found = new Map<string, number>();
    for (const id of ids) {
      const at = seen.get(id);
      if (at !== undefined) found.set(id, at);
    }
    return found;
  }

  putSeenIds(store: string, seen: ReadonlyMap<string, number>): void {
    const kept = this.seenOf(store);
    for (const [id, at] of seen) kept.set(id, at);
  }

  purgeSeenIds(store: string, before: number): void {
    const kept = this.seenOf(store);
    for (const [id, at] of kept) if (at < before) kept.delete(id);
  }

  private seenOf(store: string): Map<string, number> {
    return entryOf(this.seen, store, newMap);
  }

  delete(store: string, key: string, start: number, end: number): void {
    const m = this.of(store);
    const windows = m.byKey.get(key);
    windows?.delete(windowId(start, end));
    if (windows?.size === 0) m.byKey.delete(key);
  }

  overlapping(store: string, key: string, from: number, to: number): StoreEntry[] {
    const windows = this.of(store).byKey.get(key);
    if (!windows) return [];
    return [...windows.values()].filter((e) => e.windowEnd >= from && e.windowStart <= to).sort(byStartThenKey);
  }

  endedBy(store: string, end: number): StoreEntry[] {
    const m = this.of(store);
    if (end < m.minEnd) return [];
    return [...this.entries(m)]
      .filter((e) => e.windowEnd <= end)
      .sort((a, b) => a.windowEnd - b.windowEnd || byStartThenKey(a, b));
  }

  purge(store: string, end: number): void {
    const m = this.of(store);
    if (end <= m.minEnd) return;
    let minEnd = Number.POSITIVE_INFINITY;
    for (const [key, windows] of m.byKey) {
      for (const [id, e] of windows) {
        if (e.windowEnd < end) windows.delete(id);
        else if (e.windowEnd < minEnd) minEnd = e.windowEnd;
      }
      if (windows.size === 0) m.byKey.delete(key);
    }
    m.minEnd = minEnd;
  }

  scan(store: string, scan: StoreScan): StoreEntry[] {
    const m = this.of(store);
    const source = scan.key === undefined ? [...this.entries(m)] : [...(m.byKey.get(scan.key)?.values() ?? [])];
    return source
      .filter(
        (e) =>
          (scan.from === undefined || e.windowStart >= scan.from) &&
          (scan.to === undefined || e.windowStart <= scan.to),
      )
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.windowStart - b.windowStart))
      .slice(0, scan.limit);
  }
}
