// Runs an app's topology the way its tasks would, with one partition and one set of stores: each
// batch goes to the sub-topology reading its topic (or, for a global table's topic, into the
// stores' copy of it); records written to a repartition topic are fed on to the sub-topology
// reading that.
import {
  type InputRecord,
  MemoryStores,
  type OutputRecord,
  processBatches,
  processGlobalBatch,
  type SourceBatch,
  type StreamsApp,
} from "../../sdk/streams/index.ts";

export function harness(app: StreamsApp) {
  const topology = app.topology();
  const stores = new MemoryStores();
  const streamTimes = topology.subTopologies.map(() => -1);
  const out: OutputRecord[] = [];
  const counters = { late: 0, skipped: 0, deduped: 0 };
  /** Batches of sources read by one sub-topology, processed together (in timestamp order). */
  const feedTogether = (batches: SourceBatch[]): void => {
    const sub = topology.subTopologies.find((s) => s.sources.includes(batches[0]!.topic));
    if (!sub) throw new Error(`nothing reads ${batches[0]!.topic}`);
    const r = processBatches(topology, sub.id, batches, stores, streamTimes[sub.id]!);
    streamTimes[sub.id] = r.streamTime;
    counters.late += r.late;
    counters.skipped += r.skipped;
    counters.deduped += r.deduped;
    for (const o of r.outputs) {
      if (topology.subTopologies.some((s) => s.internalSources.includes(o.topic))) {
        feed(o.topic, [{ key: o.key, value: o.value, timestamp: o.timestamp }]);
      } else out.push(o);
    }
  };
  const feed = (topic: string, records: InputRecord[]): void => {
    if (topology.globalTables.some((g) => g.topic === topic)) {
      counters.skipped += processGlobalBatch(topology, topic, records, stores).skipped;
      return;
    }
    feedTogether([{ topic, records }]);
  };
  const to = (topic: string) => out.filter((o) => o.topic === topic);
  /** The entries of a store as [key, value] (key-value stores) pairs, by key. */
  const table = (store: string) => stores.scan(store, { limit: 10_000 }).map((e) => [e.keyValue, e.value]);
  return { topology, stores, out, counters, feed, feedTogether, to, table };
}

export const rec = (key: string | null, value: unknown, timestamp: number): InputRecord => ({ key, value, timestamp });
