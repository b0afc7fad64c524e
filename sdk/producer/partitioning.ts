/**
 * Where an idempotent producer's messages go: the partition a message names, else Kafka's
 * murmur2 of its key, else the topic's sticky partition (KIP-480), which moves on once its batch
 * is sent. The topics' partition counts are looked up with `GET /v1/topics/:topic` and cached
 * for `metadataMaxAgeMs`.
 */
import { asBytes } from "../base64.ts";
import { TributaryError } from "../errors.ts";
import type { Transport } from "../http.ts";
import { topicPath } from "../paths.ts";
import { partitionForKey } from "../protocol/partitioner.ts";
import { type ProduceRecord, topicPartitionCountSchema } from "../protocol/schemas.ts";
import type { Destination } from "./batcher.ts";
import type { ProducerRetries } from "./retries.ts";
import type { Message } from "./types.ts";

/** What the partitioner needs: how to ask the worker, how long a count holds, and (in tests) its randomness. */
export interface PartitionerOptions {
  transport: Transport;
  retries: ProducerRetries;
  metadataMaxAgeMs: number;
  random: () => number;
}

/** Picks each message's partition, with the topics' partition counts (see the module comment). */
export class Partitioner {
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private readonly partitionLookups = new Map<string, Promise<number>>();
  private readonly sticky = new Map<string, number>();

  constructor(private readonly options: PartitionerOptions) {}

  /** The topic's partition count, checked against the messages' explicit partitions. */
  async partitionsOf(topic: string, records: ProduceRecord[]): Promise<number> {
    let count = await this.partitionCount(topic, false);
    const highest = Math.max(-1, ...records.map((r) => r.partition ?? -1));
    // The count may have grown since it was cached.
    if (highest >= count) count = await this.partitionCount(topic, true);
    if (highest >= count) {
      throw new TributaryError({
        code: "UNKNOWN_TOPIC_OR_PARTITION",
        message: `producer.send: topic '${topic}' has ${count} partitions (0 to ${count - 1}); partition ${highest} does not exist`,
        retriable: false,
        // What the worker answers for the same request; checked here so that nothing is stored.
        status: 404,
        details: { topic, partition: highest, partitions: count },
      });
    }
    return count;
  }

  /** The partition of one message of `topic`, which has `partitions` partitions. */
  partitionFor(topic: string, message: Message, partitions: number): number {
    if (message.partition !== undefined) return message.partition;
    if (message.key !== undefined && message.key !== null) {
      return partitionForKey(asBytes(message.key) ?? (message.key as string), partitions);
    }
    let sticky = this.sticky.get(topic);
    if (sticky === undefined || sticky >= partitions) {
      sticky = Math.floor(this.options.random() * partitions);
      this.sticky.set(topic, sticky);
    }
    return sticky;
  }

  /** Kafka's sticky partitioner (KIP-480): unkeyed messages move on once their batch is sent. */
  moveSticky({ topic, partition }: Destination): void {
    const count = this.partitionCounts.get(topic)?.count;
    if (partition !== undefined && count !== undefined && this.sticky.get(topic) === partition) {
      this.sticky.set(topic, (partition + 1) % count);
    }
  }

  /** Drops the topic's cached count (the worker said a partition does not exist): the next send looks it up. */
  forget(topic: string): void {
    this.partitionCounts.delete(topic);
  }

  private partitionCount(topic: string, fresh: boolean): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (!fresh && cached && Date.now() - cached.at < this.options.metadataMaxAgeMs)
      return Promise.resolve(cached.count);
    let lookup = this.partitionLookups.get(topic);
    if (!lookup) {
      const { transport, retries } = this.options;
      lookup = retries
        .run(() => transport.request({ method: "GET", path: topicPath(topic) }, topicPartitionCountSchema))
        .then(
          (description) => {
            this.partitionLookups.delete(topic);
            const count = description.partitions.length;
            this.partitionCounts.set(topic, { count, at: Date.now() });
            return count;
          },
          (error: unknown) => {
            this.partitionLookups.delete(topic);
            throw error;
          },
        );
      this.partitionLookups.set(topic, lookup);
    }
    return lookup;
  }
}
