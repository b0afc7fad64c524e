/** A PartitionLog's RPC contract: what its callers (the cluster layer, the Controller) send and get. */
import type { ProducerStamp, TopicConfig } from "../../sdk/protocol/schemas.ts";

/** Which partition (of which incarnation of a topic) an object holds. */
export interface PartitionRef {
  topic: string;
  /** Unique per creation of the topic name, so a re-created topic starts on fresh objects. */
  topicId: string;
  partition: number;
  /**
   * Which replica of the partition (0 to replicationFactor − 1); each is its own object. Absent
   * means replica 0, the only one of a topic with replication factor 1.
   */
  replica?: number;
}

/** One term of leadership: from `startOffset` on, the log was written by that epoch's leader. */
export interface EpochStart {
  epoch: number;
  startOffset: number;
}

/**
 * What the Controller tells each replica of a replicated partition: who leads, in which epoch,
 * who is in sync. Every replica keeps its copy; a newer epoch always wins.
 */
export interface ReplicaRole {
  /** This object's replica number. */
  replica: number;
  replicas: number;
  leader: number;
  epoch: number;
  isr: number[];
  /** Leader epochs, oldest first: how a follower finds where its log may differ from the leader's. */
  history: EpochStart[];
}

export interface PartitionSettings {
  ref: PartitionRef;
  config: TopicConfig;
  /** Present when the topic's replication factor is above 1. */
  role?: ReplicaRole;
}

/** Stored rows of whole batches, as a leader sends them to a follower. */
export interface BatchRow {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: number;
  /** The idempotent producer stamp of the batch and its append time, when it had one. */
  producer: string | null;
}

export interface ReplicateRequest {
  ref: PartitionRef;
  epoch: number;
  leader: number;
  history: EpochStart[];
  /** The follower's log end the leader believes in: the first offset of `records`. */
  from: number;
  /** JSON array text of `[offset, timestamp, data]` rows, from `from` on, whole batches. */
  records: string;
  batches: BatchRow[];
  /** The leader's high watermark: what the follower may serve to readers. */
  highWatermark: number;
  /**
   * The leader's log start: a follower moves its own up to it (Kafka's DeleteRecords reaches the
   * followers this way). Absent from leaders older than DeleteRecords.
   */
  logStartOffset?: number;
}

export interface ReplicateSuccess {
  /** The follower's log end offset after this call. */
  logEndOffset: number;
}

export interface AppendRequest {
  ref: PartitionRef;
  /**
   * The records, in order, as JSON array texts of stored records (see stored-records.ts), split so that
   * each text stays under the storage's string limit.
   */
  chunks: string[];
  count: number;
  /** UTF-8 bytes of all chunks: what the records count for against retentionBytes. */
  bytes: number;
  /** The highest timestamp the records bring themselves, if any brings one. */
  maxTimestamp?: number;
  /** Whether any record lacks a timestamp (and so takes the append time). */
  usesAppendTime: boolean;
  /** For idempotent produce: who sends this batch, and the sequence of its first record. */
  producer?: ProducerStamp;
  /** 1 (the default) answers once the leader stored the batch; "all" once every in-sync replica did. */
  acks?: 0 | 1 | "all";
}

export interface AppendSuccess {
  baseOffset: number;
  /** True when this was a retry of a batch already appended: the offsets are the first ones. */
  duplicate?: boolean;
  /** Append time: the timestamp of the records that did not bring one. */
  appendTime: number;
}

export interface FetchRequest {
  ref: PartitionRef;
  offset: number;
  maxRecords: number;
  maxBytes: number;
  waitMs: number;
  /**
   * "stored": records as stored, without partition and offset, each with its timestamp, for
   * consumers inside the platform (stream tasks); maxBytes then counts whole batches, as
   * Kafka's fetches do, past the first. Default: the fetched form of docs/api.md.
   */
  form?: "fetched" | "stored";
}

export interface FetchSuccess {
  /** The JSON text of the fetched records array, ready to send. */
  records: string;
  count: number;
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionStatus {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** The next offset this replica will write (above highWatermark while followers catch up). */
  logEndOffset: number;
  bytes: number;
  /** Records and bytes this replica has stored since it began (its counters, for metrics). */
  appendedRecords?: number;
  appendedBytes?: number;
  role?: ReplicaRole;
  /** With tiered storage: the first offset held in the object's SQLite (below it, in R2). */
  localStartOffset?: number;
  /** With tiered storage: the bytes held in SQLite, and the segments in R2. */
  localBytes?: number;
  segments?: number;
}

/** Kafka's DeleteRecords on one partition: the log start moves up to `beforeOffset` (-1: the high watermark). */
export interface DeleteRecordsRequest {
  ref: PartitionRef;
  beforeOffset: number;
}

export interface DeleteRecordsSuccess {
  logStartOffset: number;
}

/** What `maintain` did (a test's or the bench's run of the partition's alarm work). */
export interface MaintenanceReport {
  /** Runs made until nothing more was due now. */
  runs: number;
  /** Records compaction examined, and removed. */
  examined: number;
  removed: number;
  /** Segments uploaded to R2, and written again after compaction. */
  uploaded: number;
  rewritten: number;
  logStartOffset: number;
  localStartOffset: number;
  cleanedTo: number;
  highWatermark: number;
  totalBytes: number;
  localBytes: number;
  segments: number;
  /** The object's SQLite database, in bytes (what Cloudflare bills as stored data). */
  databaseBytes: number;
  /** Segments read from R2 since the object started (reads the segment cache did not serve). */
  segmentLoads: number;
}

/** Test-only faults (TRIBUTARY_FAULTS=1): how failover is exercised. */
export interface FaultSpec {
  /** Every call to the replica throws, as an unreachable object would. */
  unavailable?: boolean;
  /** Every call to the replica waits this long first. */
  delayMs?: number;
  /** Throw away the object's in-memory state (ctx.abort), as a restart would. */
  restart?: boolean;
  /** Crash (abort the object) the next time it passes this point of its compaction or tiering. */
  crash?: StorageCrashPoint;
}

/**
 * Where a partition's storage steps can be made to crash: inside a compaction slice's
 * transaction, after a segment's upload (before the manifest names it), and after the manifest
 * names it (before the local rows go).
 */
export type StorageCrashPoint = "mid-compaction" | "after-upload" | "after-manifest";

/** The header carrying the validated partition reference from the worker to a subscribe. */
export const SUBSCRIBE_REF_HEADER = "x-tributary-partition";
