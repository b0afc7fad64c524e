/**
 * Tributary Streams: a typed stream-processing DSL in the spirit of Kafka Streams. Apps are
 * built in code, registered in `worker/stream-apps.ts` and run by StreamTask Durable Objects,
 * one per (app, sub-topology, partition), with exactly-once results.
 *
 * @example
 * import { z } from "zod";
 * import { streamsApp, Suppressed, TimeWindows } from "tributary/sdk/streams";
 *
 * export const app = streamsApp("ad-clicks");
 * app
 *   .stream("ad-clicks", { key: z.string(), value: z.object({ adId: z.string(), clickId: z.string() }) })
 *   .dedupe({ id: (_k, v) => v.clickId, withinMs: 600_000, name: "seen-clicks" })
 *   .groupByKey()
 *   .windowedBy(TimeWindows.of(60_000).grace(10_000))
 *   .count({ name: "clicks-per-minute" })
 *   .suppress(Suppressed.untilWindowCloses())
 *   .toStream()
 *   .to("ad-clicks-per-minute");
 */
export { StreamsApp, streamsApp } from "./builder.ts";
export { KGroupedStream, SessionWindowedKStream, TimeWindowedKStream } from "./grouped-stream.ts";
export { KStream } from "./kstream.ts";
export { GlobalKTable, KTable } from "./ktable.ts";
export type { InputRecord, OutputRecord, ProcessResult, SourceBatch } from "./processor.ts";
export { processBatch, processBatches } from "./processor.ts";
export type { StateStores, StoreEntry, StoreScan } from "./state.ts";
export { keyText, MemoryStores } from "./state.ts";
export type {
  AggregateOptions,
  DedupeOptions,
  GlobalTableOptions,
  JoinOptions,
  SessionAggregateOptions,
  StoreOptions,
  StreamJoinOptions,
  StreamOptions,
  TableJoinOptions,
  TableOptions,
} from "./stream-options.ts";
export { DEFAULT_RETENTION_MS, Suppressed } from "./stream-options.ts";
export type { GlobalBatchResult } from "./tables.ts";
export { processGlobalBatch } from "./tables.ts";
export type { GlobalTableSpec, StoreInfo, SubTopology, Topology } from "./topology.ts";
export { describeTopology } from "./topology.ts";
export type { WindowBounds, Windowed, WindowSpec } from "./windows.ts";
export { JoinWindows, SessionWindows, TimeWindows } from "./windows.ts";
