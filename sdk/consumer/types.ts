/**
 * The consumer's public types: the Consumer interface, what its methods take, and what the
 * handlers get.
 */
import type { TopicPartition, TopicPartitionOffset } from "../group.ts";
import type { Transport } from "../http.ts";
import type { RetryPolicy } from "../retry.ts";
import type { CONSUMER_EVENTS, ConsumerEventMap, ConsumerEventName } from "./events.ts";

/** What `consumer.subscribe` takes: one topic or several. */
export interface ConsumerSubscribeTopics {
  topic?: string;
  topics?: string[];
  /** Start partitions with no committed offset at the log start (autoOffsetReset "earliest"). */
  fromBeginning?: boolean;
}

/** A record as the consumer hands it over. */
export interface ConsumerMessage {
  offset: number;
  /** The key as sent: a string, bytes, or null. */
  key: string | Uint8Array | null;
  /** The value as sent: any JSON value, or a Uint8Array when it was sent as bytes. */
  value: unknown;
  headers: Record<string, string>;
  timestamp: number;
}

/** What `eachMessage` gets. */
export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: ConsumerMessage;
  /** Sends a heartbeat now (they are also sent in the background). */
  heartbeat(): Promise<void>;
  /** Pauses this partition after this message; returns a function that resumes it. */
  pause(): () => void;
  /** Aborted when this partition is taken away (a rebalance) or the consumer stops. */
  signal: AbortSignal;
}

/** The records of one partition handed to `eachBatch`. */
export interface Batch {
  topic: string;
  partition: number;
  /** The partition's high watermark when the records were read. */
  highWatermark: number;
  messages: ConsumerMessage[];
  isEmpty(): boolean;
  firstOffset(): number | null;
  lastOffset(): number;
  /** How many records of the partition come after this batch. */
  offsetLag(): number;
}

/** What `eachBatch` gets. */
export interface EachBatchPayload {
  batch: Batch;
  /** Marks the message at `offset` (and those before it) processed: it will be committed. */
  resolveOffset(offset: number): void;
  /** Sends a heartbeat now (they are also sent in the background). */
  heartbeat(): Promise<void>;
  /** Commits the given offsets, or, with autoCommit, the resolved ones if the interval has passed. */
  commitOffsetsIfNecessary(offsets?: TopicPartitionOffset[]): Promise<void>;
  /** Resolved offsets not committed yet. */
  uncommittedOffsets(): TopicPartitionOffset[];
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once this partition is taken away (a rebalance) or moved by `seek`: stop and return. */
  isStale(): boolean;
  /** Pauses this partition after this batch; returns a function that resumes it. */
  pause(): () => void;
  /** Aborted when this partition is taken away (a rebalance) or the consumer stops. */
  signal: AbortSignal;
}

/** What `consumer.run` takes: `eachMessage` or `eachBatch`. */
export interface ConsumerRunConfig {
  /** Called for each record, one at a time per partition, in offset order. */
  eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  /**
   * Called with the records of one partition at a time, in offset order.
   *
   * @example
   * await consumer.run({
   *   eachBatch: async ({ batch, resolveOffset, isStale }) => {
   *     for (const message of batch.messages) {
   *       if (isStale()) break; // the partition was taken away: stop, the rest is read again
   *       await save(message.value);
   *       resolveOffset(message.offset);
   *     }
   *   },
   * });
   */
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  /**
   * Resolve every message of a batch when eachBatch returns (unless the batch went stale).
   * Default true. When false, unresolved messages are read again.
   */
  eachBatchAutoResolve?: boolean;
}

/** A topic to pause or resume: all its partitions, or those listed. */
export interface TopicPartitions {
  topic: string;
  partitions?: number[];
}

/** A member of a consumer group; made by `client.consumer()`. */
export interface Consumer {
  readonly groupId: string;
  /** The names of the consumer's events, for `on`. */
  readonly events: typeof CONSUMER_EVENTS;
  /** Adds topics to read (before `run`). */
  subscribe(subscription: ConsumerSubscribeTopics): Promise<void>;
  /**
   * Joins the group and starts consuming. Resolves once the member has joined and knows where
   * each of its partitions starts; rejects if it cannot (an unknown topic, autoOffsetReset
   * "none" without a committed offset). Consuming goes on in the background until `disconnect`
   * or a crash (see the "consumer.crash" event).
   */
  run(config: ConsumerRunConfig): Promise<void>;
  /** Commits offsets now (each the offset of the next record to read); for `autoCommit: false`. */
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  /**
   * Moves a partition's position: it is read from `offset` next (after the message being
   * handled), and the offset is committed as processed. Applies when the partition is assigned.
   */
  seek(target: TopicPartitionOffset): void;
  /** Stops fetching the partitions given (after the message being handled). */
  pause(topics: TopicPartitions[]): void;
  /** Fetches paused partitions again, from where they stopped. */
  resume(topics: TopicPartitions[]): void;
  /** The assigned partitions that are paused. */
  paused(): { topic: string; partitions: number[] }[];
  /** The partitions this member consumes now. */
  assignment(): TopicPartition[];
  /** The member id the group gave this consumer, once it has joined. */
  readonly memberId: string | undefined;
  /** Listens to an event; returns a function that stops listening. */
  on<E extends ConsumerEventName>(event: E, listener: (payload: ConsumerEventMap[E]) => void): () => void;
  /**
   * Stops consuming, lets handlers in flight finish, commits what was processed (with
   * autoCommit) and leaves the group, so its partitions go to the other members at once.
   */
  disconnect(): Promise<void>;
}

/** What the client hands a consumer: calls with the consumer's retries, and where the worker is. */
export interface ConsumerConnection {
  transport: Transport;
  /** Calls made once, without retries (heartbeats: the next heartbeat is the retry). */
  onceTransport: Transport;
  policy: RetryPolicy;
  baseUrl: URL;
  token: string;
}
