/** A StreamTask's RPC contract: which task an object is, and what it reports. */

/** Which task an object is: one sub-topology of one app, on one partition of its sources. */
export interface TaskIdentity {
  app: string;
  subTopology: number;
  partition: number;
}

export interface TaskCounters {
  /** Records read from the sources (not counting the global tables'). */
  processed: number;
  /** Records dropped because their window had closed (and sent to the late-records topic). */
  late: number;
  /** Records the source (or global table) schemas rejected. */
  skipped: number;
  /** Records dropped as duplicates. */
  deduped: number;
  /** Records committed for producing (outputs, repartitioned and late records). */
  produced: number;
  /** Input batches committed. */
  batches: number;
}

export interface TaskStatus {
  app: string;
  subTopology: number;
  partition: number;
  /** Next offset to read and lag, per source topic. */
  sources: Array<{ topic: string; offset: number; highWatermark: number | null; lag: number | null }>;
  /** Per partition of the global tables' topics the task copies: the next offset to read and lag. */
  globalTables: Array<{
    topic: string;
    partition: number;
    offset: number;
    highWatermark: number | null;
    lag: number | null;
  }>;
  /** The highest event time seen: windows up to it minus grace are closed. */
  streamTime: number;
  counters: TaskCounters;
  /** Batches committed but not yet acknowledged by their output partitions. */
  pendingOutputs: number;
  lastError: string | null;
  /** Crashes injected by tests (TRIBUTARY_FAULTS=1 only). */
  faultsInjected: number;
}

export type FaultPoint = "before-commit" | "after-commit" | "after-produce";
