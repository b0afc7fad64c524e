/**
 * The stream-processing DSL, in the spirit of Kafka Streams: a builder whose typed streams and
 * tables add nodes to a topology (see topology.ts). Nothing here runs records; processor.ts does.
 */
import type { ZodType, z } from "zod";
import { addStreamJoin, addTableJoin, type JoinMode } from "./join-nodes.ts";
import {
  type AnyFn,
  compileTopology,
  type GlobalTableSpec,
  type NodeSpec,
  type Topology,
  type TopologyNode,
} from "./topology.ts";
import { JoinWindows, SessionWindows, TimeWindows, type Windowed, type WindowSpec } from "./windows.ts";

const APP_NAME = /^[a-z0-9-]{1,100}$/;
const STORE_NAME = /^[a-zA-Z0-9._-]{1,200}$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** How long closed windows stay queryable unless a store says otherwise (Kafka's default). */
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StreamOptions<KS extends ZodType, VS extends ZodType> {
  /** Parses the record key (a string, or null when the record has none). */
  key: KS;
  /** Parses the record value; records it rejects are skipped and counted. */
  value: VS;
  /** Event time of a record; the record's own timestamp when not given. */
  timestamp?: (key: z.output<KS>, value: z.output<VS>) => number;
}

export interface TableOptions<KS extends ZodType, VS extends ZodType> extends StreamOptions<KS, VS> {
  /** The store holding the table (queryable by this name). Default: the topic's name. */
  name?: string;
}

export interface GlobalTableOptions<KS extends ZodType, VS extends ZodType> {
  /** Parses the record key: the key lookups are made by. */
  key: KS;
  /** Parses the record value; a null value deletes the key, records it rejects are skipped. */
  value: VS;
  /** The store holding each task's copy (queryable by this name). Default: the topic's name. */
  name?: string;
}

export interface JoinOptions {
  /**
   * Names the repartition topic a stream whose key was changed (selectKey, map, flatMap) goes
   * through before the join, so that it meets the table's partitions: `<app>.<name>.repartition`.
   */
  name?: string;
}

export interface StreamJoinOptions {
  /** The join's name: its buffers are the stores `<name>.left`, `<name>.right` (and repartition topics `<app>.<name>-left.repartition`…). */
  name: string;
}

export interface TableJoinOptions {
  /** The store the joined table is materialized in (queryable by this name). */
  name: string;
}

export interface DedupeOptions<K, V> {
  /** The id two copies of a record share (a pure function: it may be called more than once per record). */
  id: (key: K, value: V) => string;
  /** A record whose id was seen within this span of event time is dropped. */
  withinMs: number;
  /** Name of the store keeping the ids seen. */
  name: string;
}

export interface StoreOptions {
  /** The store's name: `GET /v1/apps/:app/stores/:name` reads it. */
  name: string;
  /** How long a closed window is kept after it closes (windowed stores). Default: one day. */
  retentionMs?: number;
  /**
   * Kafka Streams' record cache (`cache.max.bytes.buffering` > 0): forward only the latest update
   * of each key (and window) per task batch, at the end of the batch, instead of every update.
   * Fewer records downstream; the store and the final values are the same. Default: false.
   */
  cache?: boolean;
}

export interface AggregateOptions<A> extends StoreOptions {
  /** Documents (and checks, when records are stored) the aggregate's shape. */
  value?: ZodType<A>;
}

export interface SessionAggregateOptions<K, A> extends AggregateOptions<A> {
  /** Combines the aggregates of two sessions a record joins together. */
  merge: (key: K, a: A, b: A) => A;
}

/** When a windowed table emits: `untilWindowCloses` emits each window once, final. */
export class Suppressed {
  private constructor(readonly mode: "untilWindowCloses" | "never") {}
  /** Emit only the final result of each window, once it has closed (end + grace). */
  static untilWindowCloses(): Suppressed {
    return new Suppressed("untilWindowCloses");
  }
  /** Emit every update (the default). */
  static emitEveryUpdate(): Suppressed {
    return new Suppressed("never");
  }
}

/**
 * A stream processing application: a name and the topology its streams build.
 *
 * @example
 * const app = streamsApp("ad-clicks");
 * app
 *   .stream("clicks", { key: z.string(), value: z.object({ adId: z.string() }) })
 *   .groupByKey()
 *   .windowedBy(TimeWindows.of(60_000).grace(5_000))
 *   .count({ name: "clicks-per-minute" })
 *   .toStream()
 *   .to("clicks-per-minute");
 */
export function streamsApp(name: string, options: { lateRecordsTopic?: string } = {}): StreamsApp {
  return new StreamsApp(name, options);
}

export class StreamsApp {
  readonly lateRecordsTopic: string;
  /** @internal */
  readonly nodes: TopologyNode[] = [];
  /** @internal */
  readonly globalTables: GlobalTableSpec[] = [];
  private readonly storeNames = new Set<string>();
  private repartitions = 0;
  private compiled: Topology | undefined;

  constructor(
    readonly name: string,
    options: { lateRecordsTopic?: string } = {},
  ) {
    if (!APP_NAME.test(name)) throw new RangeError(`app name '${name}' must match [a-z0-9-]{1,100}`);
    this.lateRecordsTopic = checkTopic(options.lateRecordsTopic ?? `${name}.late-records`);
  }

  /** A stream of the records of `topic`, parsed by the key and value schemas. */
  stream<KS extends ZodType, VS extends ZodType>(
    topic: string,
    options: StreamOptions<KS, VS>,
  ): KStream<z.output<KS>, z.output<VS>> {
    const id = this.add(
      {
        kind: "source",
        topic: checkTopic(topic),
        internal: false,
        keySchema: options.key,
        valueSchema: options.value,
        timestamp: options.timestamp,
      },
      [],
      `source:${topic}`,
    );
    return new KStream(this, id, { windowed: false, keyChanged: false });
  }

  /**
   * A table of the records of `topic`: the latest value of each key (a null value deletes it),
   * materialized in the task's state and queryable. The topic's partitions go to the tasks that
   * read the streams it is joined with, so those must be co-partitioned with it. Such a topic
   * is a changelog: compact it once compaction is available.
   */
  table<KS extends ZodType, VS extends ZodType>(
    topic: string,
    options: TableOptions<KS, VS>,
  ): KTable<z.output<KS>, z.output<VS>> {
    const store = this.claimStore(options.name ?? topic);
    const source = this.add(
      {
        kind: "source",
        topic: checkTopic(topic),
        internal: false,
        keySchema: options.key,
        valueSchema: options.value,
        timestamp: options.timestamp,
        table: true,
      },
      [],
      `table-source:${topic}`,
    );
    const id = this.add({ kind: "table", store }, [source], store);
    return new KTable(this, id, store, undefined);
  }

  /**
   * A table every task that joins it holds whole: each reads all the partitions of `topic` into
   * its state before it processes records of its own, and goes on following them. For small
   * reference data; no co-partitioning needed (a join names the key to look up).
   */
  globalTable<KS extends ZodType, VS extends ZodType>(
    topic: string,
    options: GlobalTableOptions<KS, VS>,
  ): GlobalKTable<z.output<KS>, z.output<VS>> {
    if (this.compiled) throw new Error(`app '${this.name}' is already running; build its topology before using it`);
    const spec: GlobalTableSpec = {
      topic: checkTopic(topic),
      store: this.claimStore(options.name ?? topic),
      keySchema: options.key,
      valueSchema: options.value,
    };
    this.globalTables.push(spec);
    return new GlobalKTable(this, spec.store);
  }

  /** The topology of everything built so far, split into sub-topologies. */
  topology(): Topology {
    this.compiled ??= compileTopology(this.name, this.lateRecordsTopic, this.nodes, this.globalTables);
    return this.compiled;
  }

  /** @internal */
  add(spec: NodeSpec, parents: number[], name?: string): number {
    if (this.compiled) throw new Error(`app '${this.name}' is already running; build its topology before using it`);
    const id = this.nodes.length;
    this.nodes.push({ ...spec, id, name: name ?? `${spec.kind}-${id}`, children: [] } as TopologyNode);
    for (const p of parents) this.nodes[p]!.children.push(id);
    return id;
  }

  /** @internal */
  claimStore(name: string): string {
    if (!STORE_NAME.test(name)) throw new RangeError(`store name '${name}' must match [a-zA-Z0-9._-]{1,200}`);
    if (this.storeNames.has(name)) throw new Error(`app '${this.name}' already has a store named '${name}'`);
    this.storeNames.add(name);
    return name;
  }

  /** @internal The topic a repartition writes to and reads from. */
  repartitionTopic(name?: string): string {
    return checkTopic(`${this.name}.${name ?? `repartition-${this.repartitions++}`}.repartition`);
  }
}

function checkTopic(topic: string): string {
  if (!TOPIC_NAME.test(topic)) throw new RangeError(`topic name '${topic}' must match [a-zA-Z0-9._-]{1,249}`);
  return topic;
}

interface StreamFlags {
  /** Keys are Windowed<K> (a table's stream): `to()` writes the window with the value. */
  windowed: boolean;
  /** The key was changed since the source, so grouping needs a repartition. */
  keyChanged: boolean;
}

/** A stream of keyed records. */
export class KStream<K, V> {
  /** @internal */
  constructor(
    readonly app: StreamsApp,
    readonly node: number,
    readonly flags: StreamFlags,
  ) {}

  private next<K2, V2>(spec: NodeSpec, flags: Partial<StreamFlags> = {}): KStream<K2, V2> {
    return new KStream<K2, V2>(this.app, this.app.add(spec, [this.node]), { ...this.flags, ...flags });
  }

  filter(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.next({ kind: "filter", fn: predicate });
  }

  map<K2, V2>(fn: (key: K, value: V) => [K2, V2]): KStream<K2, V2> {
    return this.next({ kind: "map", fn }, { windowed: false, keyChanged: true });
  }

  mapValues<V2>(fn: (value: V, key: K) => V2): KStream<K, V2> {
    return this.next({ kind: "mapValues", fn });
  }

  flatMap<K2, V2>(fn: (key: K, value: V) => Iterable<[K2, V2]>): KStream<K2, V2> {
    return this.next({ kind: "flatMap", fn }, { windowed: false, keyChanged: true });
  }

  selectKey<K2>(fn: (key: K, value: V) => K2): KStream<K2, V> {
    return this.next({ kind: "selectKey", fn }, { windowed: false, keyChanged: true });
  }

  peek(fn: (key: K, value: V) => void): KStream<K, V> {
    return this.next({ kind: "peek", fn });
  }

  /** Both streams' records in one stream. Streams of different sources must be co-partitioned. */
  merge(other: KStream<K, V>): KStream<K, V> {
    if (other.app !== this.app) throw new Error("merge needs two streams of the same app");
    const id = this.app.add({ kind: "merge" }, [this.node, other.node]);
    return new KStream(this.app, id, {
      windowed: this.flags.windowed && other.flags.windowed,
      keyChanged: this.flags.keyChanged || other.flags.keyChanged,
    });
  }

  /** One stream per predicate; a record goes to the first whose predicate it matches, or none. */
  branch(...predicates: Array<(key: K, value: V) => boolean>): KStream<K, V>[] {
    if (predicates.length === 0) throw new RangeError("branch needs at least one predicate");
    const id = this.app.add({ kind: "branch", predicates }, [this.node]);
    return predicates.map(
      (_, i) =>
        new KStream<K, V>(this.app, this.app.add({ kind: "passthrough" }, [id], `branch-${id}-${i}`), this.flags),
    );
  }

  /** Drops a record whose id was already seen within `withinMs` of event time. */
  dedupe(options: DedupeOptions<K, V>): KStream<K, V> {
    if (!Number.isSafeInteger(options.withinMs) || options.withinMs < 1) {
      throw new RangeError(`dedupe withinMs must be a positive integer of milliseconds, got ${options.withinMs}`);
    }
    const store = this.app.claimStore(options.name);
    return this.next({ kind: "dedupe", idOf: options.id, withinMs: options.withinMs, store });
  }

  /** Groups by the current key (through a repartition topic if the key was changed). */
  groupByKey(options: { name?: string } = {}): KGroupedStream<K, V> {
    return new KGroupedStream(this.app, this.keyed(options.name));
  }

  /**
   * Writes the stream through a repartition topic `<app>.<name>.repartition` and reads it back:
   * records are then partitioned by their current key, and the topic takes the partition count
   * of what reads it (the other side of a join), so this co-partitions a stream with a table or
   * stream whose topic has another partition count.
   */
  repartition(options: { name?: string } = {}): KStream<K, V> {
    return new KStream(this.app, this.throughTopic(options.name), { ...this.flags, keyChanged: false });
  }

  /**
   * The stream as a table: the latest value of each key (a null value deletes it), materialized
   * in the store `name`. A changed key goes through a repartition topic first.
   */
  toTable(options: { name: string }): KTable<K, V> {
    this.plainKeys("toTable");
    const parent = this.keyed(options.name);
    const store = this.app.claimStore(options.name);
    return new KTable<K, V>(this.app, this.app.add({ kind: "table", store }, [parent], store), store, undefined);
  }

  /**
   * Joins each record with what matches it, keeping its key; drops the records with no match.
   *
   * - With a table: the table's value for the record's key at the time the record is processed
   *   (a later update of the table joins nothing already passed). A stream whose key was changed
   *   is repartitioned first, so it meets the table's partitions.
   * - With a global table: the global table's value for `keyOf(key, value)`; no co-partitioning.
   * - With a stream: every record of the other stream with the same key whose timestamp is within
   *   `windows` of its own (both sides wait for each other within the window and its grace).
   *
   * `joiner` gets the two values and the key.
   *
   * @example
   * clicks.join(campaigns, (click, campaign) => ({ ...click, campaign: campaign.name }));
   * views.join(ads, (_viewId, view) => view.adId, (view, ad) => ({ ...view, campaign: ad.campaign }));
   * impressions.join(clicks, (imp, click) => ({ imp, click }), JoinWindows.ofTimeDifferenceAndGrace(60_000, 5_000), { name: "imp-click" });
   */
  join<VT, R>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT, key: K) => R,
    options?: JoinOptions,
  ): KStream<K, R>;
  join<GK, GV, R>(
    table: GlobalKTable<GK, GV>,
    keyOf: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV, key: K) => R,
  ): KStream<K, R>;
  join<VO, R>(
    other: KStream<K, VO>,
    joiner: (value: V, otherValue: VO, key: K) => R,
    windows: JoinWindows,
    options: StreamJoinOptions,
  ): KStream<K, R>;
  join(other: unknown, a: AnyFn, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.joinWith("inner", other, a, b, c);
  }

  /** As `join`, but a record without a match is joined with null instead of dropped. */
  leftJoin<VT, R>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT | null, key: K) => R,
    options?: JoinOptions,
  ): KStream<K, R>;
  leftJoin<GK, GV, R>(
    table: GlobalKTable<GK, GV>,
    keyOf: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV | null, key: K) => R,
  ): KStream<K, R>;
  /** With a stream, a left record that matched nothing is emitted with null once its window and grace have passed. */
  leftJoin<VO, R>(
    other: KStream<K, VO>,
    joiner: (value: V, otherValue: VO | null, key: K) => R,
    windows: JoinWindows,
    options: StreamJoinOptions,
  ): KStream<K, R>;
  leftJoin(other: unknown, a: AnyFn, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.joinWith("left", other, a, b, c);
  }

  /** A stream–stream join that also emits the records of either side that matched nothing, with null for the other, once their window and grace have passed. */
  outerJoin<VO, R>(
    other: KStream<K, VO>,
    joiner: (value: V | null, otherValue: VO | null, key: K) => R,
    windows: JoinWindows,
    options: StreamJoinOptions,
  ): KStream<K, R> {
    return this.joinWith("outer", other, joiner, windows, options) as KStream<K, R>;
  }

  private joinWith(mode: JoinMode, other: unknown, a: AnyFn, b: unknown, c: unknown): KStream<K, unknown> {
    const app = this.app;
    if (other instanceof KTable || other instanceof GlobalKTable) {
      if (mode === "outer")
        throw new Error("a stream joins a table with join or leftJoin (outer joins are stream–stream or table–table)");
      sameApp(app, other.app, "join");
      this.plainKeys("join");
      if (other instanceof GlobalKTable) {
        if (typeof b !== "function")
          throw new TypeError("joining a global table takes keyOf(key, value) and then the joiner");
        return this.next({
          kind: "globalLookup",
          store: other.storeName,
          keyOf: a,
          joiner: b as AnyFn,
          left: mode === "left",
        });
      }
      other.keyValueOnly("join");
      const parent = this.keyed((b as JoinOptions | undefined)?.name);
      const spec: NodeSpec = {
        kind: "tableLookup",
        table: other.node,
        store: other.storeName,
        joiner: a,
        left: mode === "left",
      };
      return new KStream(app, app.add(spec, [parent]), { windowed: false, keyChanged: false });
    }
    if (other instanceof KStream) {
      sameApp(app, other.app, "join");
      if (!(b instanceof JoinWindows))
        throw new TypeError("a stream–stream join takes the joiner, then JoinWindows, then { name }");
      const name = (c as StreamJoinOptions | undefined)?.name;
      if (typeof name !== "string")
        throw new TypeError("a stream–stream join needs { name }: it names the join's buffers");
      this.plainKeys("join");
      other.plainKeys("join");
      const left = this.keyed(`${name}-left`);
      const right = other.keyed(`${name}-right`);
      const id = addStreamJoin(app, left, right, a, b, mode, name);
      return new KStream(app, id, { windowed: false, keyChanged: false });
    }
    throw new TypeError("join takes a KTable, a GlobalKTable or a KStream of the same app");
  }

  /** Groups by a new key: records go through a repartition topic so each key meets in one task. */
  groupBy<K2>(fn: (key: K, value: V) => K2, options: { key?: ZodType<K2>; name?: string } = {}): KGroupedStream<K2, V> {
    return this.selectKey(fn).groupByKey({ name: options.name });
  }

  /** Writes the stream to `topic` (created with one partition if missing), idempotently. */
  to(topic: string): void {
    this.app.add({ kind: "sink", topic: checkTopic(topic), internal: false, windowedKeys: this.flags.windowed }, [
      this.node,
    ]);
  }

  /** @internal The node whose records are partitioned by their current key: through a repartition topic if it was changed. */
  keyed(name?: string): number {
    return this.flags.keyChanged ? this.throughTopic(name) : this.node;
  }

  /** @internal Joins and tables need plain keys: a windowed table's stream has `Windowed` ones. */
  plainKeys(what: string): void {
    if (this.flags.windowed) {
      throw new Error(
        `${what} needs a stream with plain keys; this one has a windowed table's keys ({ key, start, end }): map them to plain keys first`,
      );
    }
  }

  private throughTopic(name?: string): number {
    const topic = this.app.repartitionTopic(name);
    this.app.add(
      { kind: "sink", topic, internal: true, windowedKeys: false },
      [this.node],
      `repartition-sink:${topic}`,
    );
    return this.app.add({ kind: "source", topic, internal: true }, [], `repartition-source:${topic}`);
  }
}

function countAggregator() {
  return {
    init: () => 0,
    add: (_k: unknown, _v: unknown, n: number) => n + 1,
    merge: (_k: unknown, a: number, b: number) => a + b,
  };
}

function reduceAggregator<V>(reducer: (a: V, b: V) => V) {
  return {
    init: () => undefined,
    add: (_k: unknown, v: V, agg: V | undefined) => (agg === undefined ? v : reducer(agg, v)),
    merge: (_k: unknown, a: V, b: V) => reducer(a, b),
  };
}

/** A stream grouped by key, ready to aggregate. */
export class KGroupedStream<K, V> {
  /** @internal */
  constructor(
    readonly app: StreamsApp,
    readonly node: number,
  ) {}

  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: WindowSpec): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof TimeWindows) return new TimeWindowedKStream(this.app, this.node, windows);
    if (windows instanceof SessionWindows) return new SessionWindowedKStream(this.app, this.node, windows);
    throw new TypeError("windowedBy takes TimeWindows or SessionWindows");
  }

  count(options: StoreOptions): KTable<K, number> {
    return aggregateNode(this.app, this.node, undefined, countAggregator(), options);
  }

  reduce(reducer: (a: V, b: V) => V, options: StoreOptions): KTable<K, V> {
    return aggregateNode(this.app, this.node, undefined, reduceAggregator(reducer), options);
  }

  aggregate<A>(init: () => A, add: (key: K, value: V, agg: A) => A, options: AggregateOptions<A>): KTable<K, A> {
    return aggregateNode(this.app, this.node, undefined, { init, add }, options);
  }
}

/** count and reduce, the same for time and session windows. */
abstract class WindowedKStream<K, V> {
  /** @internal */
  constructor(
    readonly app: StreamsApp,
    readonly node: number,
    readonly windows: WindowSpec,
  ) {}

  count(options: StoreOptions): KTable<Windowed<K>, number> {
    return aggregateNode(this.app, this.node, this.windows, countAggregator(), options);
  }

  reduce(reducer: (a: V, b: V) => V, options: StoreOptions): KTable<Windowed<K>, V> {
    return aggregateNode(this.app, this.node, this.windows, reduceAggregator(reducer), options);
  }
}

/** A grouped stream cut into tumbling or hopping windows. */
export class TimeWindowedKStream<K, V> extends WindowedKStream<K, V> {
  aggregate<A>(
    init: () => A,
    add: (key: K, value: V, agg: A) => A,
    options: AggregateOptions<A>,
  ): KTable<Windowed<K>, A> {
    return aggregateNode(this.app, this.node, this.windows, { init, add }, options);
  }
}

/** A grouped stream cut into sessions: aggregate also says how two sessions merge. */
export class SessionWindowedKStream<K, V> extends WindowedKStream<K, V> {
  aggregate<A>(
    init: () => A,
    add: (key: K, value: V, agg: A) => A,
    options: SessionAggregateOptions<K, A>,
  ): KTable<Windowed<K>, A> {
    return aggregateNode(this.app, this.node, this.windows, { init, add, merge: options.merge }, options);
  }
}

function aggregateNode<K, A>(
  app: StreamsApp,
  parent: number,
  windows: WindowSpec | undefined,
  fns: { init: AnyFn; add: AnyFn; merge?: AnyFn },
  options: StoreOptions,
): KTable<K, A> {
  const store = app.claimStore(options.name);
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) {
    throw new RangeError(`retentionMs of store '${store}' must be a non-negative integer, got ${retentionMs}`);
  }
  if (windows instanceof SessionWindows && !fns.merge) {
    throw new Error(`store '${store}': aggregating session windows needs a merge function`);
  }
  const cache = options.cache ?? false;
  const id = app.add({ kind: "aggregate", store, windows, ...fns, retentionMs, cache }, [parent], store);
  return new KTable<K, A>(app, id, store, windows);
}

/** The changelog of an aggregation: the latest value per key (per window), in a named store. */
export class KTable<K, V> {
  /** @internal */
  constructor(
    readonly app: StreamsApp,
    readonly node: number,
    /** The store holding the table, queryable at `/v1/apps/:app/stores/:storeName`. */
    readonly storeName: string,
    readonly windows: WindowSpec | undefined,
  ) {}

  /** With `Suppressed.untilWindowCloses()`, each window is emitted once, when it closes. */
  suppress(suppressed: Suppressed): KTable<K, V> {
    if (suppressed.mode === "never") return this;
    if (!this.windows) throw new Error(`store '${this.storeName}': only windowed tables can wait for windows to close`);
    const store = this.app.claimStore(`${this.storeName}.suppress`);
    const id = this.app.add({ kind: "suppress", store, windows: this.windows }, [this.node], store);
    return new KTable<K, V>(this.app, id, this.storeName, this.windows);
  }

  /**
   * Joins two tables by key into a table materialized in the store `name`: an update of either
   * side looks up the other side's current value and emits the joined value, or a deletion
   * (null) when the joined row no longer exists. Inner: both sides must have the key. Both tables
   * must be co-partitioned (the same partition count, keyed alike).
   */
  join<VO, R>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO, key: K) => R,
    options: TableJoinOptions,
  ): KTable<K, R> {
    return this.joinWith("inner", other, joiner, options);
  }

  /** As `join`, but every key of this table is in the result, joined with null while the other has none. */
  leftJoin<VO, R>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO | null, key: K) => R,
    options: TableJoinOptions,
  ): KTable<K, R> {
    return this.joinWith("left", other, joiner, options);
  }

  /** As `join`, but every key of either table is in the result, with null for the side that lacks it. */
  outerJoin<VO, R>(
    other: KTable<K, VO>,
    joiner: (value: V | null, otherValue: VO | null, key: K) => R,
    options: TableJoinOptions,
  ): KTable<K, R> {
    return this.joinWith("outer", other, joiner, options);
  }

  private joinWith<VO, R>(
    mode: JoinMode,
    other: KTable<K, VO>,
    joiner: AnyFn,
    options: TableJoinOptions,
  ): KTable<K, R> {
    if (!(other instanceof KTable)) throw new TypeError("a table joins another KTable");
    sameApp(this.app, other.app, "join");
    this.keyValueOnly("join");
    other.keyValueOnly("join");
    const left = { node: this.node, store: this.storeName };
    const right = { node: other.node, store: other.storeName };
    const id = addTableJoin(this.app, left, right, joiner, mode, options.name);
    return new KTable<K, R>(this.app, id, options.name, undefined);
  }

  /** @internal Joins take key-value tables, not windowed ones. */
  keyValueOnly(what: string): void {
    if (this.windows) {
      throw new Error(
        `store '${this.storeName}' is a windowed table: ${what} takes key-value tables (aggregate without windowedBy, table(), toTable())`,
      );
    }
  }

  /** The table's updates as a stream (keys are `Windowed<K>` for windowed tables). */
  toStream(): KStream<K, V> {
    const id = this.app.add({ kind: "passthrough" }, [this.node], `to-stream-${this.node}`);
    return new KStream<K, V>(this.app, id, { windowed: this.windows !== undefined, keyChanged: false });
  }
}

/**
 * A table every task that joins it keeps whole (`app.globalTable(topic, …)`): for small reference
 * data, looked up by a key each join computes from the stream's record.
 */
export class GlobalKTable<K, V> {
  /** @internal */
  declare readonly types?: [K, V];

  /** @internal */
  constructor(
    readonly app: StreamsApp,
    /** The store holding each task's copy, queryable at `/v1/apps/:app/stores/:storeName`. */
    readonly storeName: string,
  ) {}
}

function sameApp(app: StreamsApp, other: StreamsApp, what: string): void {
  if (other !== app) {
    throw new Error(
      `${what} needs streams and tables of the same app ('${app.name}' and '${other.name}'): build both from one streamsApp()`,
    );
  }
}
