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
import { z } from "zod";
import { asBytes, bytesToBase64 } from "../base64.ts";
import type { CompressionType } from "../compression.ts";
import { invalidArgument, ProducerFencedError, TributaryError } from "../errors.ts";
import type { Transport } from "../http.ts";
import { intIn, parseOptions, topicOption } from "../options.ts";
import { partitionPath, topicPath } from "../paths.ts";
import { partitionForKey } from "../protocol/partitioner.ts";
import {
  type Acks,
  type ProduceRecord,
  type ProducerId,
  type ProducerStamp,
  produceAnswerSchema,
  producerIdSchema,
  topicPartitionCountSchema,
} from "../protocol/schemas.ts";
import { backoffCeiling, DEFAULT_RETRY, sleep as defaultSleep, type RetryPolicy, retryDelay } from "../retry.ts";
import { type Batch, Batcher, type Destination } from "./batcher.ts";

/**
 * One message to send. `value` is any JSON value (a string is sent as a JSON string), or bytes
 * (a Uint8Array, which Node's Buffer is, or an ArrayBuffer), which are sent as base64 and read
 * back as a Uint8Array.
 */
export interface Message {
  /** Picks the partition (Kafka's murmur2 of the key's UTF-8 bytes, or of the bytes given). */
  key?: string | Uint8Array | null;
  value: unknown;
  headers?: Record<string, string>;
  /** When the event happened, in ms since epoch or as a Date; default: the time of the append. */
  timestamp?: number | Date;
  /** Sends the message to this partition, whatever its key. */
  partition?: number;
}

/** What `producer.send` takes. */
export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /**
   * 1 (default): answer once the partition stored the records. `"all"` (or -1): once the
   * topic's minInsyncReplicas did. 0: answer at once; the result then says nothing about
   * where the messages went (an empty array). An idempotent producer sends acks 0 messages
   * without idempotence, or refuses them when `idempotent: true` was set explicitly.
   */
  acks?: Acks;
}

/** Where one sent message was stored. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  /** The message's timestamp, or the time of the append when it brought none. */
  timestamp: number;
}

/** Sends messages to topics; made by `client.producer()`. */
export interface Producer {
  /**
   * Sends messages to one topic; resolves once every message's batch was acknowledged, with
   * where each was stored, in the order given. Messages of one partition are stored in the
   * order sent. With `lingerMs` 0 (the default) they go at once, one request per partition
   * (several when they exceed `batchSize`); with `lingerMs` above 0 they may wait to share
   * batches with later sends.
   *
   * @example
   * const [meta] = await producer.send({ topic: "clicks", messages: [{ key: "ad-42", value: { adId: "ad-42" } }] });
   * console.log(meta.partition, meta.offset);
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  /** Sends every message given to `send` so far, whatever the linger, and waits for the answers. */
  flush(): Promise<void>;
  /**
   * Sends what is pending (as `flush`) and waits for it. The producer may still be used
   * afterwards; nothing else is held open.
   */
  disconnect(): Promise<void>;
}

/** Options of `client.producer()` beside `retry`. */
export interface ProducerSettings {
  /** The acks of a `send` that does not say; default 1. */
  acks?: Acks;
  /**
   * Whether sends carry a producer id and per-partition sequence numbers, so that retries store
   * each batch once and in order (Kafka's enable.idempotence). Default true, unless `acks` is 0
   * (which gives no answer to track sequences by). `true` with `acks` 0 is refused.
   */
  idempotent?: boolean;
  /**
   * A stable name for this producer across restarts (Kafka's transactional.id): a new producer
   * with the same name fences the older one, whose sends then fail with ProducerFencedError.
   * Needs idempotence.
   */
  transactionalId?: string;
  /** The largest batch in bytes of JSON, per partition (per topic when not idempotent). Default 1048576. */
  batchSize?: number;
  /**
   * How long, in ms, a batch waits for more messages after its first one (Kafka's linger.ms).
   * Default 0: each send goes at once (messages sent while a batch of the same partition is in
   * flight still gather in the next batch).
   */
  lingerMs?: number;
  /** `"gzip"`: gzip request bodies of 1 KiB or more (needs CompressionStream). Default `"none"`. */
  compression?: CompressionType;
  /** How long a topic's partition count is cached, in ms. Default 30000. */
  metadataMaxAgeMs?: number;
}

/** The defaults of `ProducerSettings`. */
export const PRODUCER_DEFAULTS = {
  acks: 1 as Acks,
  batchSize: 1_048_576,
  lingerMs: 0,
  compression: "none" as CompressionType,
  metadataMaxAgeMs: 30_000,
} as const;

/** Requests the worker reads are at most 16 MiB, so a batch must stay below. */
const MAX_BATCH_SIZE = 16 * 1024 * 1024;

/**
 * How long in total a batch may wait because the worker throttled it before the send fails. A
 * throttled batch is not a failure: it waits the Retry-After and goes again, without using up
 * `retry.retries`.
 */
export const MAX_THROTTLE_WAIT_MS = 300_000;

const acksOption = z.union([z.literal(0), z.literal(1), z.literal(-1), z.literal("all")], {
  error: 'must be 0, 1, -1 or "all"',
});

/** The producer's own options (schema). */
export const producerSettingsSchema = z.strictObject({
  acks: acksOption.optional(),
  idempotent: z.boolean({ error: "must be true or false" }).optional(),
  transactionalId: z
    .string({ error: "must be a string of 1 to 249 characters" })
    .min(1, "must be a string of 1 to 249 characters")
    .max(249, "must be a string of 1 to 249 characters")
    .optional(),
  batchSize: intIn(1, MAX_BATCH_SIZE).optional(),
  lingerMs: intIn(0, 60_000).optional(),
  compression: z.enum(["gzip", "none"], { error: 'must be "gzip" or "none"' }).optional(),
  metadataMaxAgeMs: intIn(0, 3_600_000).optional(),
});

/** Checks what one field cannot: combinations. Throws INVALID_ARGUMENT naming the field. */
export function checkProducerSettings(settings: ProducerSettings, where: string): void {
  if (settings.idempotent === true && settings.acks === 0) {
    throw invalidArgument(
      `${where}: acks: must be 1, -1 or "all" when idempotent is true (with acks 0 no answer comes back to track sequence numbers by); set idempotent: false to send with acks 0`,
      { field: "acks" },
    );
  }
  if (settings.transactionalId !== undefined && (settings.idempotent === false || settings.acks === 0)) {
    throw invalidArgument(
      `${where}: transactionalId: needs an idempotent producer (leave idempotent unset or true, and acks 1, -1 or "all")`,
      { field: "transactionalId" },
    );
  }
}

const sendSchema = z.strictObject({
  topic: topicOption,
  messages: z.array(z.unknown(), { error: "must be an array of messages" }).min(1, "must hold at least one message"),
  acks: acksOption.optional(),
});

/** A message in the API's record form: bytes as base64, the rest as given. */
export function toWireRecord(message: Message, index: number): ProduceRecord {
  if (typeof message !== "object" || message === null) {
    throw invalidArgument(`producer.send: messages[${index}]: must be an object with a value`);
  }
  const record: ProduceRecord = {};
  const { key, value, headers, timestamp, partition } = message;
  if (key !== undefined && key !== null) {
    const keyBytes = asBytes(key);
    if (keyBytes) record.keyBase64 = bytesToBase64(keyBytes);
    else record.key = key as string;
  }
  if (value === undefined) {
    throw invalidArgument(`producer.send: messages[${index}].value: is required (use null for an empty value)`);
  }
  const valueBytes = asBytes(value);
  if (valueBytes) record.valueBase64 = bytesToBase64(valueBytes);
  else record.value = value;
  if (headers !== undefined) record.headers = headers;
  if (timestamp !== undefined) record.timestamp = timestamp instanceof Date ? timestamp.getTime() : timestamp;
  if (partition !== undefined) record.partition = partition;
  return record;
}

/** How the producer retries, and (in tests) how it waits. */
export interface ProducerRuntime {
  /**
   * The producer's retry policy, for a transport that makes one attempt per call. Without it,
   * the producer assumes the transport retries and does not retry failures itself.
   */
  retry?: RetryPolicy;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

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
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly batcher: Batcher<Metadata>;
  private identity: Promise<ProducerId> | undefined;
  private readonly sequences = new Map<string, number>();
  private fenced: ProducerFencedError | undefined;
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private readonly partitionLookups = new Map<string, Promise<number>>();
  private readonly sticky = new Map<string, number>();
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
    this.policy = runtime.retry ?? { ...DEFAULT_RETRY, retries: 0 };
    this.random = runtime.random ?? Math.random;
    this.wait = runtime.sleep ?? ((ms) => defaultSleep(ms));
    this.batcher = new Batcher<Metadata>({
      batchSize: settings.batchSize ?? PRODUCER_DEFAULTS.batchSize,
      lingerMs: settings.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
      deliver: (batch) => this.deliver(batch),
      onSent: (batch) => this.moveSticky(batch.destination),
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
      const partitions = idempotent ? await this.partitionsOf(topic, records) : undefined;
      const pending = records.map((record, i) => {
        const destination: Destination =
          partitions === undefined ? { topic } : { topic, partition: this.partitionFor(topic, list[i]!, partitions) };
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

  // ---- Partitioning ----

  /** The topic's partition count, checked against the messages' explicit partitions. */
  private async partitionsOf(topic: string, records: ProduceRecord[]): Promise<number> {
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

  private partitionCount(topic: string, fresh: boolean): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    const maxAge = this.settings.metadataMaxAgeMs ?? PRODUCER_DEFAULTS.metadataMaxAgeMs;
    if (!fresh && cached && Date.now() - cached.at < maxAge) return Promise.resolve(cached.count);
    let lookup = this.partitionLookups.get(topic);
    if (!lookup) {
      lookup = this.withRetries(() =>
        this.transport.request({ method: "GET", path: topicPath(topic) }, topicPartitionCountSchema),
      ).then(
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

  private partitionFor(topic: string, message: Message, partitions: number): number {
    if (message.partition !== undefined) return message.partition;
    if (message.key !== undefined && message.key !== null) {
      return partitionForKey(asBytes(message.key) ?? (message.key as string), partitions);
    }
    let sticky = this.sticky.get(topic);
    if (sticky === undefined || sticky >= partitions) {
      sticky = Math.floor(this.random() * partitions);
      this.sticky.set(topic, sticky);
    }
    return sticky;
  }

  /** Kafka's sticky partitioner (KIP-480): unkeyed messages move on once their batch is sent. */
  private moveSticky({ topic, partition }: Destination): void {
    const count = this.partitionCounts.get(topic)?.count;
    if (partition !== undefined && count !== undefined && this.sticky.get(topic) === partition) {
      this.sticky.set(topic, (partition + 1) % count);
    }
  }

  // ---- Sending ----

  private deliver(batch: Batch<Metadata>): Promise<Metadata[]> {
    const { topic, partition } = batch.destination;
    if (partition === undefined) {
      return this.withRetries(() => this.produce(batch, `${topicPath(topic)}/records`));
    }
    return this.deliverIdempotent(batch, topic, partition);
  }

  private async deliverIdempotent(batch: Batch<Metadata>, topic: string, partition: number): Promise<Metadata[]> {
    const key = `${topic}/${partition}`;
    const path = `${partitionPath(topic, partition)}/records`;
    try {
      return await this.withRetries(async () => {
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
    const identity = this.withRetries(() =>
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
    if (error.code === "UNKNOWN_TOPIC_OR_PARTITION") this.partitionCounts.delete(batch.destination.topic);
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

  /**
   * Runs `operation` until it succeeds: after a retriable failure, again after a backoff, at most
   * `retry.retries` times; after a 429, again after the server's Retry-After, without counting it
   * as a failure, for up to MAX_THROTTLE_WAIT_MS in all.
   */
  private async withRetries<T>(operation: () => Promise<T>): Promise<T> {
    let failures = 0;
    let throttledMs = 0;
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error;
        if (error.code === "THROTTLING_QUOTA_EXCEEDED") {
          const delay = this.throttleDelay(error, throttledMs);
          if (throttledMs + delay <= MAX_THROTTLE_WAIT_MS) {
            throttledMs += delay;
            await this.wait(delay);
            continue;
          }
        }
        if (!error.retriable || failures >= this.policy.retries) throw error;
        await this.wait(retryDelay(failures, this.policy, error, this.random));
        failures++;
      }
    }
  }

  /** The server's wait (the body's retryAfterMs, else Retry-After) plus up to 10% jitter. */
  private throttleDelay(error: TributaryError, throttledMs: number): number {
    const fromBody = error.details.retryAfterMs;
    const asked =
      typeof fromBody === "number" && fromBody >= 0
        ? fromBody
        : (error.retryAfterMs ?? backoffCeiling(Math.min(10, Math.floor(throttledMs / 1000)), this.policy));
    return Math.max(1, Math.round(asked * (1 + 0.1 * this.random())));
  }
}
