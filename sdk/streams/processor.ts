/**
 * Runs one sub-topology over a batch of records of one source partition, depth first as Kafka
 * Streams does, against a state-store interface. Pure apart from the stores it is handed: the
 * StreamTask calls it inside the storage transaction that also commits the input offset and
 * the outputs, so a batch's effects are all kept or all rolled back.
 *
 * A task reading several sources (a join, a merge) hands it a batch of each, which it processes
 * in timestamp order: each time, the record with the lowest timestamp at the head of a source's
 * batch (each source's records stay in their log order), as Kafka Streams picks across a task's
 * partitions.
 *
 * This file runs the batch and the stateless operators, suppress and sinks; the aggregates
 * (aggregate.ts), dedupes (dedupe.ts), tables and their joins (tables.ts) and stream–stream
 * joins (stream-joins.ts) keep their batch's state in modules of their own.
 */
import { Aggregates } from "./aggregate.ts";
import type { BatchRun, Flowing } from "./batch-run.ts";
import { Dedupes } from "./dedupe.ts";
import { keyText, type StateStores } from "./state.ts";
import { CachedStores } from "./store-cache.ts";
import { StreamJoins } from "./stream-joins.ts";
import { Tables } from "./tables.ts";
import type { Topology, TopologyNode } from "./topology.ts";
import type { Windowed } from "./windows.ts";

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

/** What a batch's run answers: the records to produce, the new stream time, and counts. */
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

/** What a repartition topic's records carry: the key and value as the topology had them. */
interface Repartitioned {
  k: unknown;
  v: unknown;
}

/** A batch of records read from one source topic. */
export interface SourceBatch {
  topic: string;
  records: readonly InputRecord[];
}

type SourceNode = TopologyNode & { kind: "source" };

/**
 * Runs sub-topology `subTopology` of `topology` over `records`, read from `sourceTopic`, against
 * `stores`, from `streamTime` on (see the module comment).
 */
export function processBatch(
  topology: Topology,
  subTopology: number,
  sourceTopic: string,
  records: readonly InputRecord[],
  stores: StateStores,
  streamTime: number,
): ProcessResult {
  return processBatches(topology, subTopology, [{ topic: sourceTopic, records }], stores, streamTime);
}

/**
 * Runs sub-topology `subTopology` over a batch of each of its sources (any of them may be left
 * out), in timestamp order across them (see the module comment).
 */
export function processBatches(
  topology: Topology,
  subTopology: number,
  batches: readonly SourceBatch[],
  stores: StateStores,
  streamTime: number,
): ProcessResult {
  const cached = new CachedStores(stores);
  const run = new Run(topology, cached, stores, streamTime);
  const sub = topology.subTopologies[subTopology];
  if (!sub) throw new Error(`app '${topology.app}' has no sub-topology ${subTopology}`);
  const inputs = batches.map((b) => {
    const source = sub.nodeIds
      .map((id) => topology.nodes[id]!)
      .find((n): n is SourceNode => n.kind === "source" && n.topic === b.topic);
    if (!source) throw new Error(`sub-topology ${subTopology} of app '${topology.app}' does not read '${b.topic}'`);
    const parsed = b.records.map((r) => run.parse(source, r));
    for (const child of source.children) {
      const node = topology.nodes[child]!;
      // A dedupe reading the source knows its ids before the batch runs: one query for them all.
      if (node.kind === "dedupe") run.dedupes.prefetchIds(node, parsed);
    }
    return { source, parsed };
  });
  if (inputs.length === 1) {
    const { source, parsed } = inputs[0]!;
    for (const rec of parsed) if (rec) run.admit(source, rec);
  } else admitInTimeOrder(run, inputs);
  // Node ids are in topological order: a cached aggregate's updates reach one below it first.
  for (const id of sub.nodeIds) run.endOfBatch(topology.nodes[id]!);
  for (const id of sub.nodeIds) run.punctuate(topology.nodes[id]!);
  cached.flush();
  return run.result;
}

/** Admits the records of several sources, the lowest timestamp at the head of a source first (ties: the earlier source). */
function admitInTimeOrder(run: Run, inputs: { source: SourceNode; parsed: (Flowing | undefined)[] }[]): void {
  const next = inputs.map(() => 0);
  for (;;) {
    let pick = -1;
    let pickTs = Number.POSITIVE_INFINITY;
    for (const [i, { parsed }] of inputs.entries()) {
      while (next[i]! < parsed.length && parsed[next[i]!] === undefined) next[i]!++;
      const head = parsed[next[i]!];
      if (head && head.ts < pickTs) {
        pick = i;
        pickTs = head.ts;
      }
    }
    if (pick === -1) return;
    const { source, parsed } = inputs[pick]!;
    run.admit(source, parsed[next[pick]!++]!);
  }
}

/** One batch's run: it parses and admits the source's records, and passes them on, depth first. */
class Run implements BatchRun {
  readonly result: ProcessResult;
  readonly aggregates = new Aggregates(this);
  readonly dedupes = new Dedupes(this);
  readonly tables: Tables;
  readonly streamJoins = new StreamJoins(this);

  /**
   * `stores` caches the state through the batch, for the nodes that read and write it record by
   * record; `direct` is what it caches, for those that keep their batch's state themselves.
   */
  constructor(
    private readonly topology: Topology,
    readonly stores: StateStores,
    readonly direct: StateStores,
    streamTime: number,
  ) {
    this.result = { streamTime, outputs: [], processed: 0, late: 0, skipped: 0, deduped: 0 };
    this.tables = new Tables(this, topology);
  }

  get streamTime(): number {
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
    // A table's null value is a deletion, not a value for the schema; a table row needs a key.
    const deletion = node.table === true && (r.value === null || r.value === undefined);
    const value = deletion ? { success: true as const, data: null } : node.valueSchema!.safeParse(r.value);
    if (!key.success || !value.success || (node.table && (key.data === null || key.data === undefined))) {
      this.result.skipped++;
      return undefined;
    }
    const ts = node.timestamp && !deletion ? Number(node.timestamp(key.data, value.data)) : r.timestamp;
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

  forward(node: TopologyNode, rec: Flowing): void {
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
        this.dedupes.process(node, rec);
        return;
      case "aggregate":
        this.aggregates.process(node, rec);
        return;
      case "suppress":
        this.buffer(node, rec);
        return;
      case "sink":
        this.sink(node, rec);
        return;
      case "table":
        this.tables.materialize(node, rec);
        return;
      case "tableLookup":
        this.tables.lookup(node, rec);
        return;
      case "globalLookup":
        this.tables.globalLookup(node, rec);
        return;
      case "tableJoin":
        this.tables.tableJoin(node, rec);
        return;
      case "streamJoin":
        this.streamJoins.process(node, rec);
        return;
    }
  }

  /** End of the records: the aggregates and dedupes write (and forward) what they kept for the batch's end. */
  endOfBatch(node: TopologyNode): void {
    if (node.kind === "dedupe") this.dedupes.endOfBatch(node);
    else if (node.kind === "aggregate") this.aggregates.endOfBatch(node);
  }

  deduped(): void {
    this.result.deduped++;
  }

  late(store: string, rec: Flowing, key: string): void {
    this.result.late++;
    this.result.outputs.push({
      topic: this.topology.lateRecordsTopic,
      key,
      value: rec.value ?? null,
      timestamp: rec.ts,
      headers: { store, "stream-time": String(this.streamTime) },
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
    } else if (node.kind === "aggregate") {
      this.aggregates.punctuate(node);
    } else if (node.kind === "dedupe") {
      this.dedupes.punctuate(node);
    } else if (node.kind === "streamJoin") {
      this.streamJoins.punctuate(node);
    }
  }
}
