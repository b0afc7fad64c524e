/**
 * What the stateful operators (aggregate.ts, dedupe.ts) see of the run of one batch
 * (processor.ts): the stores, the stream time, and how to pass a record on.
 */
import type { StateStores } from "./state.ts";
import type { TopologyNode } from "./topology.ts";

/** A record flowing through the topology: its key and value as the nodes made them, and its event time. */
export interface Flowing {
  key: unknown;
  value: unknown;
  ts: number;
}

/** The run of one batch, as an operator uses it. */
export interface BatchRun {
  /** The state, cached through the batch: for operators that read and write it record by record. */
  readonly stores: StateStores;
  /** What `stores` caches: for operators that keep their batch's state themselves. */
  readonly direct: StateStores;
  /** The highest event time seen, this batch's records so far included: the task's watermark. */
  readonly streamTime: number;
  /** Passes a record to the node's children, depth first. */
  forward(node: TopologyNode, rec: Flowing): void;
  /** A record too late for the windows of `store` (an aggregate's or a join's): counted, and written to the late-records topic. */
  late(store: string, rec: Flowing, key: string): void;
  /** Counts a record a dedupe dropped. */
  deduped(): void;
}
