/**
 * How a batch goes out: to its partition with the producer's stamp (idempotent), or to the
 * topic route, which partitions on the worker (not idempotent); retried as retries.ts says, and
 * its answer checked to hold one result per record.
 */
import { TributaryError } from "../errors.ts";
import type { Transport } from "../http.ts";
import { partitionPath, topicPath } from "../paths.ts";
import { type ProducerStamp, produceAnswerSchema } from "../protocol/schemas.ts";
import type { Batch } from "./batcher.ts";
import type { Idempotence } from "./idempotence.ts";
import type { Partitioner } from "./partitioning.ts";
import type { ProducerRetries } from "./retries.ts";
import type { RecordMetadata } from "./types.ts";

/** Where a record was stored; undefined for acks 0, whose answer does not say. */
export type Delivered = RecordMetadata | undefined;

/** What the sender works with: the producer's transport, retries and bookkeeping. */
export interface SenderOptions {
  transport: Transport;
  retries: ProducerRetries;
  idempotence: Idempotence;
  partitioner: Partitioner;
}

/** Sends the batches the Batcher hands it (see the module comment). */
export class Sender {
  constructor(private readonly options: SenderOptions) {}

  /** Sends one batch; answers where each of its records was stored, in order. */
  deliver(batch: Batch<Delivered>): Promise<Delivered[]> {
    const { topic, partition } = batch.destination;
    if (partition === undefined) {
      return this.options.retries.run(() => this.produce(batch, `${topicPath(topic)}/records`));
    }
    return this.deliverIdempotent(batch, topic, partition);
  }

  private async deliverIdempotent(batch: Batch<Delivered>, topic: string, partition: number): Promise<Delivered[]> {
    const { retries, idempotence, partitioner } = this.options;
    const key = `${topic}/${partition}`;
    const path = `${partitionPath(topic, partition)}/records`;
    try {
      return await retries.run(async () => {
        const stamp = await idempotence.stamp(batch, key);
        return this.produce(batch, path, stamp);
      });
    } catch (error) {
      // The cached partition count is out of date (the topic was deleted, or made again with fewer).
      if (error instanceof TributaryError && error.code === "UNKNOWN_TOPIC_OR_PARTITION") partitioner.forget(topic);
      throw idempotence.afterFailure(error, batch, key);
    }
  }

  private async produce(batch: Batch<Delivered>, path: string, producer?: ProducerStamp): Promise<Delivered[]> {
    const body = producer
      ? { records: batch.records, acks: batch.acks, producer }
      : { records: batch.records, acks: batch.acks };
    const answer = await this.options.transport.request({ method: "POST", path, body }, produceAnswerSchema);
    if (!("results" in answer)) return batch.records.map(() => undefined);
    if (answer.results.length !== batch.records.length) {
      throw new TributaryError({
        code: "INVALID_RESPONSE",
        message: `POST ${path} answered ${answer.results.length} results for ${batch.records.length} records; are the SDK and the worker of the same version?`,
        retriable: false,
      });
    }
    const { topic } = batch.destination;
    return answer.results.map((r) => ({ topic, ...r }));
  }
}
