/**
 * The aggregate operator, unwindowed, over time windows or over session windows. Without
 * `cache`, each record updates the store and is forwarded at once. With `cache` (Kafka Streams'
 * record cache), a batch forwards only the latest update of each key and window, at its end: time
 * windows gather the batch's records in memory and read and write the store once per window;
 * sessions, merged record by record, keep only their latest update to forward.
 */
import type { BatchRun, Flowing } from "./batch-run.ts";
import { entryOf, newMap } from "./maps.ts";
import { keyText, type StoreEntry } from "./state.ts";
import type { TopologyNode } from "./topology.ts";
import {
  isClosed,
  mergeSessions,
  SessionWindows,
  type TimeWindows,
  type WindowBounds,
  type Windowed,
} from "./windows.ts";

type AggregateNode = TopologyNode & { kind: "aggregate" };

/** Key-value (unwindowed) entries sit in the window [0, 0]. */
const NO_WINDOW = { start: 0, end: 0 };

/**
 * A cached aggregate's window touched by this batch: the records to add to it, in order. At the
 * end of the batch the stored aggregates of all such windows are read in one query, the records
 * added, and each window written and forwarded once.
 */
interface WindowUpdate {
  key: string;
  keyValue: unknown;
  start: number;
  end: number;
  adds: Flowing[];
  /** When it was last updated (the batch forwards updates in this order, as they happened). */
  seq: number;
}

/** The aggregate nodes of one batch's run. */
export class Aggregates {
  /** Per cached aggregate node: the windows this batch updated, by key, then by window start. */
  private readonly updates = new Map<number, Map<string, Map<number, WindowUpdate>>>();
  private seq = 0;
  /** Per cached session aggregate node: the latest update per key and session, in order of last update. */
  private readonly sessionUpdates = new Map<number, Map<string, Flowing>>();

  constructor(private readonly run: BatchRun) {}

  process(node: AggregateNode, rec: Flowing): void {
    if (node.windows instanceof SessionWindows) this.sessionAggregate(node, node.windows, rec);
    else this.aggregate(node, rec);
  }

  /**
   * End of the records: a cached aggregate stores and forwards the latest update of each key
   * and window, in the order of those updates.
   */
  endOfBatch(node: AggregateNode): void {
    const sessions = this.sessionUpdates.get(node.id);
    this.sessionUpdates.delete(node.id);
    for (const rec of sessions?.values() ?? []) this.run.forward(node, rec);
    const byKey = this.updates.get(node.id);
    if (!byKey) return;
    this.updates.delete(node.id);
    const latest: WindowUpdate[] = [];
    for (const byStart of byKey.values()) for (const u of byStart.values()) latest.push(u);
    latest.sort((a, b) => a.seq - b.seq);
    const stored = new Map<string, Map<number, unknown>>();
    for (const e of this.run.direct.getMany(node.store, latest)) {
      entryOf(stored, e.key, newMap).set(e.windowStart, e.value);
    }
    const puts: StoreEntry[] = latest.map((u) => {
      const found = stored.get(u.key);
      let agg = found?.has(u.start) ? found.get(u.start) : node.init();
      for (const rec of u.adds) agg = node.add(rec.key, rec.value, agg);
      return { key: u.key, keyValue: u.keyValue, windowStart: u.start, windowEnd: u.end, value: agg };
    });
    // Stored (as copies) before anything downstream sees the values.
    this.run.direct.putMany(node.store, puts);
    for (const [i, p] of puts.entries()) {
      const key = node.windows ? { key: p.keyValue, start: p.windowStart, end: p.windowEnd } : p.keyValue;
      const adds = latest[i]!.adds;
      this.run.forward(node, { key, value: p.value, ts: adds[adds.length - 1]!.ts });
    }
  }

  /** End of batch: a windowed aggregate forgets the windows past their retention. */
  punctuate(node: AggregateNode): void {
    if (!node.windows) return;
    this.run.stores.purge(node.store, this.run.streamTime - node.windows.closesAt(0) - node.retentionMs);
  }

  private aggregate(node: AggregateNode, rec: Flowing): void {
    const key = keyText(rec.key);
    const spec = node.windows as TimeWindows | undefined;
    const streamTime = this.run.streamTime;
    const open = spec ? spec.windowsFor(rec.ts).filter((w) => !isClosed(spec, w.end, streamTime)) : [NO_WINDOW];
    if (open.length === 0) {
      this.run.late(node.store, rec, key);
      return;
    }
    if (node.cache) {
      this.aggregateInBatch(node, key, open, rec);
      return;
    }
    const { stores } = this.run;
    for (const w of open) {
      const found = stores.get(node.store, key, w.start, w.end);
      const agg = node.add(rec.key, rec.value, found ? found.value : node.init());
      stores.put({
        store: node.store,
        key,
        keyValue: rec.key,
        windowStart: w.start,
        windowEnd: w.end,
        value: agg,
      });
      const outKey: unknown = node.windows
        ? ({ key: rec.key, start: w.start, end: w.end } satisfies Windowed<unknown>)
        : rec.key;
      this.emit(node, key, w, { key: outKey, value: agg, ts: rec.ts });
    }
  }

  private sessionAggregate(node: AggregateNode, spec: SessionWindows, rec: Flowing): void {
    const key = keyText(rec.key);
    const { stores, streamTime } = this.run;
    if (isClosed(spec, rec.ts, streamTime)) {
      this.run.late(node.store, rec, key);
      return;
    }
    // Closed sessions are final (and may have been emitted): a record beside one starts anew.
    const touching = stores
      .overlapping(node.store, key, rec.ts - spec.gapMs, rec.ts + spec.gapMs)
      .filter((s) => !isClosed(spec, s.windowEnd, streamTime));
    const merged = mergeSessions(
      touching.map((s) => ({ start: s.windowStart, end: s.windowEnd })),
      rec.ts,
    );
    let agg: unknown;
    for (const s of touching) {
      agg = agg === undefined ? s.value : node.merge!(rec.key, agg, s.value);
      stores.delete(node.store, key, s.windowStart, s.windowEnd);
      if (s.windowStart !== merged.start || s.windowEnd !== merged.end) {
        // The session was merged into a bigger one: downstream forgets it (a tombstone).
        const gone = { start: s.windowStart, end: s.windowEnd };
        this.emit(node, key, gone, { key: { key: rec.key, ...gone }, value: null, ts: rec.ts });
      }
    }
    const value = node.add(rec.key, rec.value, agg === undefined ? node.init() : agg);
    stores.put({
      store: node.store,
      key,
      keyValue: rec.key,
      windowStart: merged.start,
      windowEnd: merged.end,
      value,
    });
    this.emit(node, key, merged, { key: { key: rec.key, start: merged.start, end: merged.end }, value, ts: rec.ts });
  }

  /**
   * A cached aggregate (Kafka Streams' record cache) adds the record to its windows in memory;
   * the store is read once per key and window of the batch, and written once, at its end.
   */
  private aggregateInBatch(node: AggregateNode, key: string, windows: readonly WindowBounds[], rec: Flowing): void {
    const byStart = entryOf(entryOf(this.updates, node.id, newMap), key, newMap);
    for (const w of windows) {
      // Time windows of one key differ in their start.
      let u = byStart.get(w.start);
      if (!u) {
        u = { key, keyValue: rec.key, start: w.start, end: w.end, adds: [], seq: 0 };
        byStart.set(w.start, u);
      }
      u.adds.push(rec);
      u.seq = this.seq++;
    }
  }

  /**
   * An aggregate's update: forwarded now, or with `cache` (sessions here; time windows take
   * aggregateInBatch), kept until the end of the batch.
   */
  private emit(node: AggregateNode, key: string, w: { start: number; end: number }, rec: Flowing): void {
    if (!node.cache) {
      this.run.forward(node, rec);
      return;
    }
    const latest = entryOf(this.sessionUpdates, node.id, newMap);
    const id = `${w.start}/${w.end}/${key}`;
    // Deleted first so that the map's order is that of the last updates (as their timestamps are).
    latest.delete(id);
    latest.set(id, rec);
  }
}
