/**
 * A write-back cache of the state stores for one input batch: reads and writes of the batch go
 * through memory, and `flush()` writes each changed entry once, at the end of the batch. The
 * task calls it inside the transaction that commits the batch, so a rolled-back batch loses the
 * cache with everything else; a pure performance change, no semantic one.
 */
import { entryOf, newMap } from "./maps.ts";
import { type StateStores, type StoreEntry, type StoreScan, type WindowRef, windowId } from "./state.ts";

/** An entry of the batch, or `null` where the batch deleted it (or found nothing). */
type Slot = StoreEntry | null;

/** Per (store, key): the windows this batch read or wrote, and those it changed. */
interface KeySlots {
  windows: Map<string, Slot>;
  dirty: Set<string>;
}

// Values are copied in and out, as a serializing store would: a caller mutating an aggregate
// in place, or a record downstream, must not change what the store holds.
// (Written out rather than spread: this runs several times per record.)
const copy = (e: StoreEntry): StoreEntry => ({
  key: e.key,
  keyValue: e.keyValue,
  windowStart: e.windowStart,
  windowEnd: e.windowEnd,
  value: typeof e.value === "object" && e.value !== null ? structuredClone(e.value) : e.value,
});

const byStart = (a: StoreEntry, b: StoreEntry) => a.windowStart - b.windowStart;
const newSlots = (): KeySlots => ({ windows: new Map(), dirty: new Set() });

export class CachedStores implements StateStores {
  private readonly stores = new Map<string, Map<string, KeySlots>>();

  constructor(private readonly inner: StateStores) {}

  private slots(store: string, key: string): KeySlots {
    return entryOf(entryOf(this.stores, store, newMap), key, newSlots);
  }

  get(store: string, key: string, start: number, end: number): StoreEntry | undefined {
    const slots = this.slots(store, key);
    const id = windowId(start, end);
    let slot = slots.windows.get(id);
    if (slot === undefined) {
      slot = this.inner.get(store, key, start, end) ?? null;
      slots.windows.set(id, slot);
    }
    return slot ? copy(slot) : undefined;
  }

  put(entry: StoreEntry & { store: string }): void {
    const slots = this.slots(entry.store, entry.key);
    const id = windowId(entry.windowStart, entry.windowEnd);
    slots.windows.set(id, copy(entry));
    slots.dirty.add(id);
  }

  delete(store: string, key: string, start: number, end: number): void {
    const slots = this.slots(store, key);
    const id = windowId(start, end);
    slots.windows.set(id, null);
    slots.dirty.add(id);
  }

  putMany(store: string, entries: readonly StoreEntry[]): void {
    for (const e of entries) this.put({ ...e, store });
  }

  getMany(store: string, windows: readonly WindowRef[]): StoreEntry[] {
    this.flushStore(store);
    return this.inner.getMany(store, windows);
  }

  // Dedupe stores are not cached here: a dedupe keeps its batch's ids itself.
  seenIds(store: string, ids: readonly string[]): Map<string, number> {
    return this.inner.seenIds(store, ids);
  }

  putSeenIds(store: string, seen: ReadonlyMap<string, number>): void {
    this.inner.putSeenIds(store, seen);
  }

  purgeSeenIds(store: string, before: number): void {
    this.inner.purgeSeenIds(store, before);
  }

  /** The stored entries overlapping the range, with this batch's writes and deletes laid over them. */
  overlapping(store: string, key: string, from: number, to: number): StoreEntry[] {
    const slots = this.slots(store, key);
    const found = new Map<string, StoreEntry>();
    for (const e of this.inner.overlapping(store, key, from, to)) {
      const id = windowId(e.windowStart, e.windowEnd);
      if (!slots.windows.has(id)) slots.windows.set(id, e);
      found.set(id, e);
    }
    for (const id of slots.dirty) {
      const e = slots.windows.get(id);
      if (e) found.set(id, e);
      else found.delete(id);
    }
    return [...found.values()]
      .filter((e) => e.windowEnd >= from && e.windowStart <= to)
      .sort(byStart)
      .map(copy);
  }

  endedBy(store: string, end: number): StoreEntry[] {
    this.flushStore(store);
    return this.inner.endedBy(store, end);
  }

  purge(store: string, end: number): void {
    this.flushStore(store);
    this.stores.delete(store);
    this.inner.purge(store, end);
  }

  scan(store: string, scan: StoreScan): StoreEntry[] {
    this.flushStore(store);
    return this.inner.scan(store, scan);
  }

  /** Writes every changed entry to the stores underneath. */
  flush(): void {
    for (const store of this.stores.keys()) this.flushStore(store);
  }

  private flushStore(store: string): void {
    const keys = this.stores.get(store);
    if (!keys) return;
    const puts: StoreEntry[] = [];
    for (const [key, slots] of keys) {
      for (const id of slots.dirty) {
        const e = slots.windows.get(id);
        if (e) puts.push(e);
        else {
          const [start, end] = id.split("/").map(Number) as [number, number];
          this.inner.delete(store, key, start, end);
        }
      }
      slots.dirty.clear();
    }
    this.inner.putMany(store, puts);
  }
}
