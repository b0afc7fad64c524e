/**
 * A stream of keyed records (Kafka Streams' KStream): each call adds a node to its app's topology.
 */
import type { ZodType } from "zod";
import { checkTopic, type StreamsApp, sameApp } from "./builder.ts";
import { KGroupedStream } from "./grouped-stream.ts";
import { addStreamJoin, type JoinMode } from "./join-nodes.ts";
import { GlobalKTable, KTable } from "./ktable.ts";
import type { DedupeOptions, JoinOptions, StreamJoinOptions } from "./stream-options.ts";
import type { AnyFn, NodeSpec } from "./topology.ts";
import { JoinWindows } from "./windows.ts";

export interface StreamFlags {
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
