/**
 * Runs one sub-topology over a batch of records of one source partition, depth first as Kafka
 * Streams does, against a state-store interface. Pure apart from the stores it is handed: the
 * StreamTask calls it inside the storage transaction that also commits the input offset and
 * the outputs, so a batch's effects are all kept or all rolled back.
 */
import { entryOf, newMap } from "./maps.ts";
import { keyText, type StateStores, type StoreEntry } from "./state.ts";
import { CachedStores } from "./store-cache.ts";
import type { Topology, TopologyNode } from "./topology.ts";
import {
  isClosed,
  mergeSessions,
  SessionWindows,
  type TimeWindows,
  type WindowBounds,
  type Windowed,
} from "./windows.ts";

/** Key-value (unwindowed) entries sit in the window [0, 0]. */
const NO_WINDOW = { start: 0, end: 0 };

/** A record as read from the log (the fetched form). */
export interface InputRecord {
  key?: string | null;
  value?: unknown;
  timestamp: number;
  headers?: Record<string, string>;
}

/** A record to produce: to a sink, a repartition topic or the late-records topic. */
export interface OutputRecord {
  topic: string;
  key?: string;
  value: unknown;
  timestamp: number;
  headers?: Record<string, string>;
}

export interface ProcessResult {
  /** The highest event time seen, this batch included: the task's watermark. */
  streamTime: number;
  outputs: OutputRecord[];
  /** Records read from the source. */
  processed: number;
  /** Records dropped by a window that had closed (also written to the late-records topic). */
  late: number;
  /** Records the source's schemas rejected. */
  skipped: number;
  /** Records dropped as duplicates. */
  deduped: number;
}

interface Flowing {
  key: unknown;
  value: unknown;
  ts: number;
}

/** What a repartition topic's records carry: the key and value as the topology had them. */
interface Repartitioned {
  k: unknown;
  v: unknown;
}

export function processBatch(
  topology: Topology,
  subTopology: number,
  sourceTopic: string,
  records: readonly InputRecord[],
  stores: StateStores,
  streamTime: number,
): ProcessResult {
  const cached = new CachedStores(stores);
  const run = new Run(topology, cached, stores, streamTime);
  const sub = topology.subTopologies[subTopology];
  if (!sub) throw new Error(`app '${topology.app}' has no sub-topology ${subTopology}`);
  const source = sub.nodeIds
    .map((id) => topology.nodes[id]!)
    .find((n) => n.kind === "source" && n.topic === sourceTopic);
  if (source?.kind !== "source") {
    throw new Error(`sub-topology ${subTopology} of app '${topology.app}' does not read '${sourceTopic}'`);
  }
  const parsed = records.map((r) => run.parse(source, r));
  for (const child of source.children) {
    const node = topology.nodes[child]!;
    // A dedupe reading the source knows its ids before the batch runs: one query for them all.
    if (node.kind === "dedupe") run.prefetchIds(node, parsed);
  }
  for (const rec of parsed) if (rec) run.admit(source, rec);
  // Node ids are in topological order: a cached aggregate's updates reach one below it first.
  for (const id of sub.nodeIds) run.endOfBatch(topology.nodes[id]!);
  for (const id of sub.nodeIds) run.punctuate(topology.nodes[id]!);
  cached.flush();
  return run.result;
}

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

/**
 * A dedupe node's ids during a batch: when each was seen, as stored before the batch (null: not
 * stored) and as this batch saw it. Only the batch's new ids are written, at its end.
 */
interface SeenIds {
  stored: Map<string, number | null>;
  now: Map<string, number>;
  /** The batch's ids were all looked up at its start: an id not in `stored` is not stored. */
  prefetched: boolean;
}
const newSeenIds = (): SeenIds => ({ stored: new Map(), now: new Map(), prefetched: false });

class Run {
  readonly result: ProcessResult;
  /** Per cached aggregate node: the windows this batch updated, by key, then by window start. */
  private readonly updates = new Map<number, Map<string, Map<number, WindowUpdate>>>();
  private seq = 0;
  /** Per cached session aggregate node: the latest update per key and session, in order of last update. */
  private readonly sessionUpdates = new Map<number, Map<string, Flowing>>();
  /** Per dedupe node. */
  private readonly seen = new Map<number, SeenIds>();

  /**
   * `stores` caches the state through the batch, for the nodes that read and write it record by
   * record; `direct` is what it caches, for those that keep their batch's state themselves.
   */
  constructor(
    private readonly topology: Topology,
    private readonly stores: StateStores,
    private readonly direct: StateStores,
    streamTime: number,
  ) {
    this.result = { streamTime, outputs: [], processed: 0, late: 0, skipped: 0, deduped: 0 };
  }

  private get streamTime(): number {
    return this.result.streamTime;
  }

  /** A source record as the topology sees it, or undefined when the source's schemas reject it. */
  parse(node: TopologyNode & { kind: "source" }, r: InputRecord): Flowing | undefined {
    this.result.processed++;
    if (node.internal) {
      const v = r.value as Repartitioned;
      return { key: v.k, value: v.v, ts: r.timestamp };
    }
    const key = node.keySchema!.safeParse(r.key ?? null);
    const value = node.valueSchema!.safeParse(r.value);
    if (!key.success || !value.success) {
      this.result.skipped++;
      return undefined;
    }
    const ts = node.timestamp ? Number(node.timestamp(key.data, value.data)) : r.timestamp;
    if (!Number.isFinite(ts)) {
      this.result.skipped++;
      return undefined;
    }
    return { key: key.data, value: value.data, ts };
  }

  admit(node: TopologyNode & { kind: "source" }, rec: Flowing): void {
    // Stream time includes the record itself, so a record never closes its own window.
    if (rec.ts > this.result.streamTime) this.result.streamTime = rec.ts;
    this.forward(node, rec);
  }

  private forward(node: TopologyNode, rec: Flowing): void {
    for (const c of node.children) this.process(this.topology.nodes[c]!, rec);
  }

  private process(node: TopologyNode, rec: Flowing): void {
    switch (node.kind) {
      case "source":
        throw new Error("a source has no parent");
      case "filter":
        if (node.fn(rec.key, rec.value)) this.forward(node, rec);
        return;
      case "map": {
        const [key, value] = node.fn(rec.key, rec.value);
        this.forward(node, { key, value, ts: rec.ts });
        return;
      }
      case "mapValues":
        this.forward(node, { ...rec, value: node.fn(rec.value, rec.key) });
        return;
      case "flatMap":
        for (const [key, value] of node.fn(rec.key, rec.value)) this.forward(node, { key, value, ts: rec.ts });
        return;
      case "selectKey":
        this.forward(node, { ...rec, key: node.fn(rec.key, rec.value) });
        return;
      case "peek":
        node.fn(rec.key, rec.value);
        this.forward(node, rec);
        return;
      case "merge":
      case "passthrough":
        this.forward(node, rec);
        return;
      case "branch": {
        const i = node.predicates.findIndex((p) => p(rec.key, rec.value));
        if (i !== -1) this.process(this.topology.nodes[node.children[i]!]!, rec);
        return;
      }
      case "dedupe":
        this.dedupe(node, rec);
        return;
      case "aggregate":
        if (node.windows instanceof SessionWindows) this.sessionAggregate(node, node.windows, rec);
        else this.aggregate(node, rec);
        return;
      case "suppress":
        this.buffer(node, rec);
        return;
      case "sink":
        this.sink(node, rec);
        return;
    }
  }

  private seenIds(node: TopologyNode & { kind: "dedupe" }): SeenIds {
    return entryOf(this.seen, node.id, newSeenIds);
  }

  /** Reads the stored ids of a batch's records in one query (a dedupe reading the source). */
  prefetchIds(node: TopologyNode & { kind: "dedupe" }, records: readonly (Flowing | undefined)[]): void {
    const ids = this.seenIds(node);
    const wanted: string[] = [];
    for (const rec of records) if (rec) wanted.push(keyText(node.idOf(rec.key, rec.value)));
    ids.stored = this.stores.seenIds(node.store, wanted);
    ids.prefetched = true;
  }

  private dedupe(node: TopologyNode & { kind: "dedupe" }, rec: Flowing): void {
    const ids = this.seenIds(node);
    const id = keyText(node.idOf(rec.key, rec.value));
    let seenAt = ids.now.get(id);
    if (seenAt === undefined) {
      let stored = ids.stored.get(id);
      if (stored === undefined && ids.prefetched) stored = null;
      if (stored === undefined) {
        stored = this.stores.seenIds(node.store, [id]).get(id) ?? null;
        ids.stored.set(id, stored);
      }
      if (stored !== null) seenAt = stored;
    }
    // Copies within `withinMs` of the first (in event time, either way) are dropped; one further
    // away counts again and starts a new span.
    if (seenAt !== undefined && Math.abs(rec.ts - seenAt) <= node.withinMs) {
      this.result.deduped++;
      return;
    }
    ids.now.set(id, rec.ts);
    this.forward(node, rec);
  }

  /** A dedupe node writes the ids its batch saw first, in one statement. */
  private writeSeenIds(node: TopologyNode & { kind: "dedupe" }): void {
    const ids = this.seen.get(node.id);
    if (!ids) return;
    this.seen.delete(node.id);
    this.stores.putSeenIds(node.store, ids.now);
  }

  private aggregate(node: TopologyNode & { kind: "aggregate" }, rec: Flowing): void {
    const key = keyText(rec.key);
    const spec = node.windows as TimeWindows | undefined;
    const open = spec ? spec.windowsFor(rec.ts).filter((w) => !isClosed(spec, w.end, this.streamTime)) : [NO_WINDOW];
    if (open.length === 0) {
      this.late(node, rec, key);
      return;
    }
    if (node.cache) {
      this.aggregateInBatch(node, key, open, rec);
      return;
    }
    for (const w of open) {
      const found = this.stores.get(node.store, key, w.start, w.end);
      const agg = node.add(rec.key, rec.value, found ? found.value : node.init());
      this.stores.put({
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

  private sessionAggregate(node: TopologyNode & { kind: "aggregate" }, spec: SessionWindows, rec: Flowing): void {
    const key = keyText(rec.key);
    if (isClosed(spec, rec.ts, this.streamTime)) {
      this.late(node, rec, key);
      return;
    }
    // Closed sessions are final (and may have been emitted): a record beside one starts anew.
    const touching = this.stores
      .overlapping(node.store, key, rec.ts - spec.gapMs, rec.ts + spec.gapMs)
      .filter((s) => !isClosed(spec, s.windowEnd, this.streamTime));
    const merged = mergeSessions(
      touching.map((s) => ({ start: s.windowStart, end: s.windowEnd })),
      rec.ts,
    );
    let agg: unknown;
    for (const s of touching) {
      agg = agg === undefined ? s.value : node.merge!(rec.key, agg, s.value);
      this.stores.delete(node.store, key, s.windowStart, s.windowEnd);
      if (s.windowStart !== merged.start || s.windowEnd !== merged.end) {
        // The session was merged into a bigger one: downstream forgets it (a tombstone).
        const gone = { start: s.windowStart, end: s.windowEnd };
        this.emit(node, key, gone, { key: { key: rec.key, ...gone }, value: null, ts: rec.ts });
      }
    }
    const value = node.add(rec.key, rec.value, agg === undefined ? node.init() : agg);
    this.stores.put({
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
  private aggregateInBatch(
    node: TopologyNode & { kind: "aggregate" },
    key: string,
    windows: readonly WindowBounds[],
    rec: Flowing,
  ): void {
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
  private emit(
    node: TopologyNode & { kind: "aggregate" },
    key: string,
    w: { start: number; end: number },
    rec: Flowing,
  ): void {
    if (!node.cache) {
      this.forward(node, rec);
      return;
    }
    const latest = entryOf(this.sessionUpdates, node.id, newMap);
    const id = `${w.start}/${w.end}/${key}`;
    // Deleted first so that the map's order is that of the last updates (as their timestamps are).
    latest.delete(id);
    latest.set(id, rec);
  }

  /**
   * End of the records: a cached aggregate stores and forwards the latest update of each key
   * and window, in the order of those updates; a dedupe stores its new ids.
   */
  endOfBatch(node: TopologyNode): void {
    if (node.kind === "dedupe") {
      this.writeSeenIds(node);
      return;
    }
    if (node.kind !== "aggregate") return;
    const sessions = this.sessionUpdates.get(node.id);
    this.sessionUpdates.delete(node.id);
    for (const rec of sessions?.values() ?? []) this.forward(node, rec);
    const byKey = this.updates.get(node.id);
    if (!byKey) return;
    this.updates.delete(node.id);
    const latest: WindowUpdate[] = [];
    for (const byStart of byKey.values()) for (const u of byStart.values()) latest.push(u);
    latest.sort((a, b) => a.seq - b.seq);
    const stored = new Map<string, Map<number, unknown>>();
    for (const e of this.direct.getMany(node.store, latest)) entryOf(stored, e.key, newMap).set(e.windowStart, e.value);
    const puts: StoreEntry[] = latest.map((u) => {
      const found = stored.get(u.key);
      let agg = found?.has(u.start) ? found.get(u.start) : node.init();
      for (const rec of u.adds) agg = node.add(rec.key, rec.value, agg);
      return { key: u.key, keyValue: u.keyValue, windowStart: u.start, windowEnd: u.end, value: agg };
    });
    // Stored (as copies) before anything downstream sees the values.
    this.direct.putMany(node.store, puts);
    for (const [i, p] of puts.entries()) {
      const key = node.windows ? { key: p.keyValue, start: p.windowStart, end: p.windowEnd } : p.keyValue;
      const adds = latest[i]!.adds;
      this.forward(node, { key, value: p.value, ts: adds[adds.length - 1]!.ts });
    }
  }

  private late(node: TopologyNode & { kind: "aggregate" }, rec: Flowing, key: string): void {
    this.result.late++;
    this.result.outputs.push({
      topic: this.topology.lateRecordsTopic,
      key,
      value: rec.value ?? null,
      timestamp: rec.ts,
      headers: { store: node.store, "stream-time": String(this.streamTime) },
    });
  }

  private buffer(node: TopologyNode & { kind: "suppress" }, rec: Flowing): void {
    const w = rec.key as Windowed<unknown>;
    const key = keyText(w.key);
    if (rec.value === null) {
      this.stores.delete(node.store, key, w.start, w.end);
      return;
    }
    this.stores.put({
      store: node.store,
      key,
      keyValue: w.key,
      windowStart: w.start,
      windowEnd: w.end,
      value: { value: rec.value, ts: rec.ts },
    });
  }

  private sink(node: TopologyNode & { kind: "sink" }, rec: Flowing): void {
    if (node.internal) {
      const value: Repartitioned = { k: rec.key, v: rec.value };
      this.result.outputs.push({ topic: node.topic, key: keyText(rec.key), value, timestamp: rec.ts });
    } else if (node.windowedKeys) {
      const w = rec.key as Windowed<unknown>;
      this.result.outputs.push({
        topic: node.topic,
        key: keyText(w.key),
        value: { key: w.key, start: w.start, end: w.end, value: rec.value ?? null },
        timestamp: rec.ts,
      });
    } else {
      const key = rec.key === null || rec.key === undefined ? undefined : keyText(rec.key);
      this.result.outputs.push({ topic: node.topic, key, value: rec.value ?? null, timestamp: rec.ts });
    }
  }

  /** End of batch: emit windows that closed, forget what is past retention. */
  punctuate(node: TopologyNode): void {
    if (node.kind === "suppress") {
      const delay = node.windows.closesAt(0);
      for (const e of this.stores.endedBy(node.store, this.streamTime - delay)) {
        this.stores.delete(node.store, e.key, e.windowStart, e.windowEnd);
        const { value, ts } = e.value as { value: unknown; ts: number };
        this.forward(node, { key: { key: e.keyValue, start: e.windowStart, end: e.windowEnd }, value, ts });
      }
    } else if (node.kind === "aggregate" && node.windows) {
      this.stores.purge(node.store, this.streamTime - node.windows.closesAt(0) - node.retentionMs);
    } else if (node.kind === "dedupe") {
      // An id is kept for `withinMs` after stream time passed it.
      this.stores.purgeSeenIds(node.store, this.streamTime - node.withinMs);
    }
  }
}
