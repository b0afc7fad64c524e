/**
 * The options of the streams DSL's calls (builder.ts, kstream.ts, grouped-stream.ts, ktable.ts), and
 * Suppressed, how a windowed table emits.
 */
import type { ZodType, z } from "zod";

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
