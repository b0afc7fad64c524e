/** Nested-map bookkeeping of the stream runtime's per-batch and per-store state. */

/** The value under `key`, made by `create` and stored there when there is none. */
export function entryOf<K, V>(map: Map<K, V>, key: K, create: () => NoInfer<V>): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** A new empty Map, for entryOf (one function for every caller: a hot path allocates no closure). */
export const newMap = <K, V>(): Map<K, V> => new Map();
