/**
 * A stream grouped by key, and cut into windows (Kafka Streams' KGroupedStream and its windowed
 * forms): the calls that aggregate it into a table.
 */
import type { StreamsApp } from "./builder.ts";
import { KTable } from "./ktable.ts";
import {
  type AggregateOptions,
  DEFAULT_RETENTION_MS,
  type SessionAggregateOptions,
  type StoreOptions,
} from "./stream-options.ts";
import type { AnyFn } from "./topology.ts";
import { SessionWindows, TimeWindows, type Windowed, type WindowSpec } from "./windows.ts";

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
