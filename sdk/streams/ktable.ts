/**
 * Tables (Kafka Streams' KTable and GlobalKTable): the latest value per key, held in a named store.
 */
import { type StreamsApp, sameApp } from "./builder.ts";
import { addTableJoin, type JoinMode } from "./join-nodes.ts";
import { KStream } from "./kstream.ts";
import type { Suppressed, TableJoinOptions } from "./stream-options.ts";
import type { AnyFn } from "./topology.ts";
import type { WindowSpec } from "./windows.ts";

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
