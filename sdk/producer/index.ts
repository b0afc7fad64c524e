/**
 * The producer, in kafkajs's vocabulary: `producer.send({ topic, messages })`.
 *
 * Like Kafka's, it is idempotent by default: it gets a producer id from the worker, partitions
 * messages itself (explicit partition, else Kafka's murmur2 of the key, else a sticky partition
 * for unkeyed messages), and sends each partition's batch with the sequence number of its first
 * record. A retried batch carries the same sequence, so the worker stores it once however often
 * an answer is lost. At most one batch per partition is in flight, so order holds.
 *
 * Batching (`batchSize`, `lingerMs`), gzip (`compression`), retries with backoff and slowing down
 * when throttled (429 THROTTLING_QUOTA_EXCEEDED) are options of `client.producer()`.
 */
import { invalidArgument, ProducerFencedError, TributaryError } from "../errors.ts";
import type { Transport } from "../http.ts";
import { parseOptions } from "../options.ts";
import { partitionPath, topicPath } from "../paths.ts";
import {
  type Acks,
  type ProducerId,
  type ProducerStamp,
  produceAnswerSchema,
  producerIdSchema,
} from "../protocol/schemas.ts";
import { type Batch, Batcher, type Destination } from "./batcher.ts";
import { sendSchema, toWireRecord } from "./messages.ts";
import { checkProducerSettings, PRODUCER_DEFAULTS, type ProducerSettings } from "./options.ts";
import { Partitioner } from "./partitioning.ts";
import { ProducerRetries, type ProducerRuntime } from "./retries.ts";
import type { Message, Producer, ProducerRecord, RecordMetadata } from "./types.ts";

export type { ProducerSettings } from "./options.ts";
export { checkProducerSettings, producerSettingsSchema } from "./options.ts";
export type { ProducerRuntime } from "./retries.ts";
export type { Message, Producer, ProducerRecord, RecordMetadata } from "./types.ts";

type Metadata = RecordMetadata | undefined;

/** Makes a producer over `transport` (see ProducerSettings and ProducerRuntime). */
export function createProducer(
  transport: Transport,
  settings: ProducerSettings = {},
  runtime: ProducerRuntime = {},
): Producer {
  checkProducerSettings(settings, "producer");
  return new IdempotentCapableProducer(transport, settings, runtime);
}

class IdempotentCapableProducer implements Producer {
  private readonly acks: Acks;
  private readonly idempotent: boolean;
  private readonly explicitIdempotent: boolean;
  private readonly retries: ProducerRetries;
  private readonly partitioner: Partitioner;
  private readonly batcher: Batcher<Metadata>;
  private identity: Promise<ProducerId> | undefined;
  private readonly sequences = new Map<string, number>();
  private fenced: ProducerFencedError | undefined;
  /** Sends are added to batches in call order, even when one waits for topic metadata. */
  private adding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    private readonly settings: ProducerSettings,
    runtime: ProducerRuntime,
  ) {
    this.acks = settings.acks ?? PRODUCER_DEFAULTS.acks;
    this.explicitIdempotent = settings.idempotent === true;
    this.idempotent = settings.idempotent ?? this.acks !== 0;
    this.retries = new ProducerRetries(runtime);
    this.partitioner = new Partitioner({
      transport,
      retries: this.retries,
      metadataMaxAgeMs: settings.metadataMaxAgeMs ?? PRODUCER_DEFAULTS.metadataMaxAgeMs,
      random: runtime.random ?? Math.random,
    });
    this.batcher = new Batcher<Metadata>({
      batchSize: settings.batchSize ?? PRODUCER_DEFAULTS.batchSize,
      lingerMs: settings.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
      deliver: (batch) => this.deliver(batch),
      onSent: (batch) => this.partitioner.moveSticky(batch.destination),
    });
  }

  async send(input: ProducerRecord): Promise<RecordMetadata[]> {
    const { topic, messages, acks: sendAcks } = parseOptions(sendSchema, input, "producer.send");
    const acks = sendAcks ?? this.acks;
    if (this.fenced) throw this.fenced;
    if (acks === 0 && this.explicitIdempotent) {
      throw invalidArgument(
        'producer.send: acks: must be 1, -1 or "all" for a producer made with idempotent: true (make one with idempotent: false to send with acks 0)',
        { field: "acks" },
      );
    }
    const list = messages as Message[];
    const records = list.map(toWireRecord);
    const idempotent = this.idempotent && acks !== 0;
    const added = this.inOrder(async () => {
      const partitions = idempotent ? await this.partitioner.partitionsOf(topic, records) : undefined;
      const pending = records.map((record, i) => {
        const destination: Destination =
          partitions === undefined
            ? { topic }
            : { topic, partition: this.partitioner.partitionFor(topic, list[i]!, partitions) };
        if (destination.partition !== undefined) delete record.partition;
        return this.batcher.add(destination, acks, record);
      });
      this.batcher.drain();
      return pending;
    });
    const results = await Promise.all(await added);
    return acks === 0 ? [] : (results as RecordMetadata[]);
  }

  async flush(): Promise<void> {
    await this.adding.catch(() => undefined);
    await this.batcher.flush();
  }

  disconnect(): Promise<void> {
    return this.flush();
  }

  private inOrder<T>(step: () => Promise<T>): Promise<T> {
    const run = this.adding.then(step, step);
    this.adding = run.catch(() => undefined);
    return run;
  }

  // ---- Sending ----

  private deliver(batch: Batch<Metadata>): Promise<Metadata[]> {
    const { topic, partition } = batch.destination;
    if (partition === undefined) {
      return this.retries.run(() => this.produce(batch, `${topicPath(topic)}/records`));
    }
    return this.deliverIdempotent(batch, topic, partition);
  }

  private async deliverIdempotent(batch: Batch<Metadata>, topic: string, partition: number): Promise<Metadata[]> {
    const key = `${topic}/${partition}`;
    const path = `${partitionPath(topic, partition)}/records`;
    try {
      return await this.retries.run(async () => {
        if (this.fenced) throw this.fenced;
        while (batch.stamp === undefined) {
          // The sequence is taken once, on the first attempt; every retry sends the same one.
          const identity = this.identity ?? this.initIdentity();
          const { id, epoch } = await identity;
          // Another batch's failure may have dropped this id (and its sequences) meanwhile.
          if (identity !== this.identity) continue;
          const sequence = this.sequences.get(key) ?? 0;
          this.sequences.set(key, sequence + batch.records.length);
          batch.stamp = { id, epoch, sequence } satisfies ProducerStamp;
        }
        return this.produce(batch, path, batch.stamp as ProducerStamp);
      });
    } catch (error) {
      throw this.afterFailure(error, batch, key);
    }
  }

  private initIdentity(): Promise<ProducerId> {
    const { transactionalId } = this.settings;
    const identity = this.retries.run(() =>
      this.transport.request(
        { method: "POST", path: "v1/producers", body: transactionalId === undefined ? {} : { transactionalId } },
        producerIdSchema,
      ),
    );
    this.identity = identity;
    // A failed request is asked again by the next batch.
    identity.catch(() => {
      if (this.identity === identity) this.identity = undefined;
    });
    return identity;
  }

  /**
   * What a batch's final failure means for the sequence numbers. Nothing stored (a batch the
   * worker refused with a 4xx): its sequence is reused. Unknown (no answer after every retry, a
   * 5xx, an answer the SDK could not read) or out of order: the
   * producer takes a new id, whose sequences start at 0, rather than risk a later batch being
   * taken for a retry of this one.
   */
  private afterFailure(error: unknown, batch: Batch<Metadata>, key: string): unknown {
    const stamp = batch.stamp as ProducerStamp | undefined;
    if (!(error instanceof TributaryError) || stamp === undefined) return error;
    if (error.code === "PRODUCER_FENCED" || error.code === "INVALID_PRODUCER_EPOCH") {
      this.fenced ??= new ProducerFencedError({
        message: `producer.send: this producer was fenced (${error.message}); a newer producer with the same transactionalId took over, so make a new producer`,
        status: error.status,
        details: error.details,
        cause: error,
      });
      return this.fenced;
    }
    const refused = error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429;
    if (!refused || error.code === "OUT_OF_ORDER_SEQUENCE_NUMBER") {
      this.sequences.clear();
      this.identity = undefined;
      return error;
    }
    if (this.sequences.get(key) === stamp.sequence + batch.records.length) this.sequences.set(key, stamp.sequence);
    if (error.code === "UNKNOWN_TOPIC_OR_PARTITION") this.partitioner.forget(batch.destination.topic);
    return error;
  }

  private async produce(batch: Batch<Metadata>, path: string, producer?: ProducerStamp): Promise<Metadata[]> {
    const body = producer
      ? { records: batch.records, acks: batch.acks, producer }
      : { records: batch.records, acks: batch.acks };
    const answer = await this.transport.request({ method: "POST", path, body }, produceAnswerSchema);
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
