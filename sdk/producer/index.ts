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
 *
 * The pieces, by concern (as kafkajs's producer/ folder): options.ts (settings and their checks),
 * types.ts (the public surface), messages.ts (send's argument and messages as wire records),
 * partitioning.ts (partition counts and the partitioners), batcher.ts (the record accumulator),
 * sender.ts (a batch's request), idempotence.ts (producer id, sequences, fencing) and
 * retries.ts (backoff and throttling). This file wires them.
 *
 * @example
 * const producer = client.producer();
 * const [meta] = await producer.send({ topic: "clicks", messages: [{ key: "ad-42", value: { adId: "ad-42" } }] });
 * console.log(meta.partition, meta.offset);
 * await producer.disconnect();
 */
import { invalidArgument } from "../errors.ts";
import type { Transport } from "../http.ts";
import { parseOptions } from "../options.ts";
import type { Acks } from "../protocol/schemas.ts";
import { Batcher, type Destination } from "./batcher.ts";
import { Idempotence } from "./idempotence.ts";
import { sendSchema, toWireRecord } from "./messages.ts";
import { checkProducerSettings, PRODUCER_DEFAULTS, type ProducerSettings } from "./options.ts";
import { Partitioner } from "./partitioning.ts";
import { ProducerRetries, type ProducerRuntime } from "./retries.ts";
import { type Delivered, Sender } from "./sender.ts";
import type { Message, Producer, ProducerRecord, RecordMetadata } from "./types.ts";

export type { ProducerSettings } from "./options.ts";
export { checkProducerSettings, producerSettingsSchema } from "./options.ts";
export type { ProducerRuntime } from "./retries.ts";
export type { Message, Producer, ProducerRecord, RecordMetadata } from "./types.ts";

/** Makes a producer over `transport` (see ProducerSettings and ProducerRuntime). */
export function createProducer(
  transport: Transport,
  settings: ProducerSettings = {},
  runtime: ProducerRuntime = {},
): Producer {
  checkProducerSettings(settings, "producer");
  return new IdempotentCapableProducer(transport, settings, runtime);
}

/**
 * The producer; see the `Producer` interface. `send` checks the messages, partitions them when
 * idempotent, and adds them to the Batcher, whose batches the Sender delivers.
 */
class IdempotentCapableProducer implements Producer {
  private readonly acks: Acks;
  private readonly idempotent: boolean;
  private readonly explicitIdempotent: boolean;
  private readonly idempotence: Idempotence;
  private readonly partitioner: Partitioner;
  private readonly batcher: Batcher<Delivered>;
  /** Sends are added to batches in call order, even when one waits for topic metadata. */
  private adding: Promise<unknown> = Promise.resolve();

  constructor(transport: Transport, settings: ProducerSettings, runtime: ProducerRuntime) {
    this.acks = settings.acks ?? PRODUCER_DEFAULTS.acks;
    this.explicitIdempotent = settings.idempotent === true;
    this.idempotent = settings.idempotent ?? this.acks !== 0;
    const retries = new ProducerRetries(runtime);
    this.idempotence = new Idempotence({ transport, retries, transactionalId: settings.transactionalId });
    this.partitioner = new Partitioner({
      transport,
      retries,
      metadataMaxAgeMs: settings.metadataMaxAgeMs ?? PRODUCER_DEFAULTS.metadataMaxAgeMs,
      random: runtime.random ?? Math.random,
    });
    const sender = new Sender({ transport, retries, idempotence: this.idempotence, partitioner: this.partitioner });
    this.batcher = new Batcher<Delivered>({
      batchSize: settings.batchSize ?? PRODUCER_DEFAULTS.batchSize,
      lingerMs: settings.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
      deliver: (batch) => sender.deliver(batch),
      onSent: (batch) => this.partitioner.moveSticky(batch.destination),
    });
  }

  async send(input: ProducerRecord): Promise<RecordMetadata[]> {
    const { topic, messages, acks: sendAcks } = parseOptions(sendSchema, input, "producer.send");
    const acks = sendAcks ?? this.acks;
    const { fenced } = this.idempotence;
    if (fenced) throw fenced;
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
}
