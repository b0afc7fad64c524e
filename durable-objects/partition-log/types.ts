/** Types crossing the RPC boundary between the worker and a PartitionLog. */
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";
import type { ProducerStamp } from "./idempotence.ts";

/** Which partition (of which incarnation of a topic) an object holds. */
export interface PartitionRef {
  topic: string;
  /** Unique per creation of the topic name, so a re-created topic starts on fresh objects. */
  topicId: string;
  partition: number;
}

export interface PartitionSettings {
  ref: PartitionRef;
  config: TopicConfig;
}

export interface AppendRequest {
  ref: PartitionRef;
  /**
   * The records, in order, as JSON array texts of stored records (see encode.ts), split so that
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
  /** Whether any record brings its own timestamp. */
  recordTimestamps: boolean;
  /** For idempotent produce: who sends this batch, and the sequence of its first record. */
  producer?: ProducerStamp;
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
  bytes: number;
}

/** The header carrying the validated partition reference from the worker to a subscribe. */
export const SUBSCRIBE_REF_HEADER = "x-tributary-partition";
