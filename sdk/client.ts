/**
 * The client: where the worker is and how to call it, checked once when it is created, and
 * the factories of the admin API, producers and partition readers that share it.
 */
import { z } from "zod";
import { type Admin, createAdmin } from "./admin.ts";
import { checkCompression, gzipBodies } from "./compression.ts";
import { type Consumer, type ConsumerOptions, createConsumer } from "./consumer/index.ts";
import { type FetchFunction, type HttpConfig, send, type Transport } from "./http.ts";
import { intIn, parseOptions } from "./options.ts";
import {
  checkProducerSettings,
  createProducer,
  type Producer,
  type ProducerSettings,
  producerSettingsSchema,
} from "./producer/index.ts";
import { createQueue, type Queue, type QueueOptions } from "./queue.ts";
import { type FetchOptions, type FetchPage, fetchRecords, PartitionReader, type ReaderOptions } from "./reader.ts";
import { type RetryOptions, type RetryPolicy, resolveRetry, retry, retryOptionsSchema } from "./retry.ts";
import {
  createRetryTopicConsumer,
  type RetryTopicConsumer,
  type RetryTopicOptions,
  splitRetryTopicOptions,
} from "./retry-topic.ts";

/** What `createClient` takes. */
export interface ClientOptions {
  /** The worker's address, e.g. `http://127.0.0.1:8787` (a path prefix is kept). */
  url: string | URL;
  /**
   * A bearer token the worker accepts: one of its TRIBUTARY_TOKENS (a superuser), or a scoped
   * token (`trb_…`) that may do what its ACLs allow (docs/security.md).
   */
  token: string;
  /**
   * The fetch to call instead of the global one: for a Workers service binding,
   * `(input, init) => env.TRIBUTARY.fetch(input, init)`; in tests, a fake.
   */
  fetch?: FetchFunction;
  /** How calls that fail with a retriable error are retried (see RetryOptions). */
  retry?: RetryOptions;
  /** How long to wait for an answer, in ms, beyond a long poll's own wait. Default 30000. */
  requestTimeoutMs?: number;
}

/** Options of `client.admin()`. */
export interface AdminOptions {
  /** Retry options for this admin's calls, over the client's. */
  retry?: RetryOptions;
}

/** Options of `client.producer()`. */
export interface ProducerOptions extends ProducerSettings {
  /**
   * Retry options for this producer's sends, over the client's. A retried batch of an
   * idempotent producer carries the same sequence number, so it is stored once. Throttling
   * (429) is not counted as a failure: the producer waits as long as the worker asks.
   */
  retry?: RetryOptions;
}

/** Options of `client.reader()`: where to read, plus retry options over the client's. */
export interface PartitionReaderOptions extends ReaderOptions {
  retry?: RetryOptions;
}

/** A connection to one Tributary worker; made by `createClient`. */
export interface TributaryClient {
  /** The worker's base URL, as resolved. */
  readonly url: string;
  /**
   * Topic administration.
   *
   * @example
   * const admin = client.admin();
   * await admin.createTopic({ topic: "clicks", partitions: 6 });
   * const { partitions } = await admin.describeTopic("clicks");
   */
  admin(options?: AdminOptions): Admin;
  /**
   * A producer, sending with Kafka's vocabulary. It is idempotent by default (retries store
   * each batch once, in order); options are checked now (a wrong one throws, naming the field).
   *
   * @example
   * const producer = client.producer();
   * const [meta] = await producer.send({
   *   topic: "clicks",
   *   messages: [{ key: "ad-42", value: { adId: "ad-42" }, headers: { source: "edge" } }],
   * });
   * console.log(meta.partition, meta.offset);
   *
   * // Many small sends in few requests: batches of up to 256 KiB, gzipped, waiting up to 20 ms.
   * const batching = client.producer({ lingerMs: 20, batchSize: 262_144, compression: "gzip" });
   * await Promise.all(clicks.map((click) => batching.send({ topic: "clicks", messages: [{ key: click.adId, value: click }] })));
   * await batching.disconnect();
   */
  producer(options?: ProducerOptions): Producer;
  /**
   * Reads one page of records of a partition, from an offset.
   *
   * @example
   * const page = await client.fetch({ topic: "clicks", partition: 0, offset: 0, maxRecords: 100 });
   * for (const record of page.records) console.log(record.offset, record.value);
   * // Read on from page.nextOffset.
   */
  fetch(options: FetchOptions): Promise<FetchPage>;
  /**
   * Follows a partition: yields its records from an offset on, then waits for new ones (long
   * polls) until the loop breaks or the signal is aborted.
   *
   * @example
   * const stop = new AbortController();
   * for await (const record of client.reader({ topic: "clicks", partition: 0, fromOffset: "earliest", signal: stop.signal })) {
   *   console.log(record.offset, record.key, record.value);
   * }
   */
  reader(options: PartitionReaderOptions): PartitionReader;
  /**
   * A consumer in a consumer group, in kafkajs's vocabulary. Members of one group share the
   * partitions of the topics they subscribe to; each partition is read in order by one member.
   * Options are checked now (a wrong one throws, naming the field).
   *
   * @example
   * const consumer = client.consumer({ groupId: "billing" });
   * await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
   * await consumer.run({
   *   eachMessage: async ({ topic, partition, message }) => {
   *     console.log(topic, partition, message.offset, message.value);
   *   },
   * });
   * // Later: commit what was processed and leave the group.
   * await consumer.disconnect();
   */
  consumer(options: ConsumerOptions): Consumer;
  /**
   * A work queue over a topic (queue mode): each record goes to one worker of the group and is
   * acknowledged on its own; `run` acks what the handler finished and nacks what it threw on.
   * After the group's maxDeliveries a record goes to the dead-letter topic (`<topic>.dlq`).
   *
   * @example
   * const queue = client.queue({ groupId: "mailers", topic: "emails", maxDeliveries: 3 });
   * const running = queue.run({
   *   handler: async (message) => {
   *     await sendEmail(message.value); // throwing nacks it: it is delivered again
   *   },
   * });
   * // Later:
   * await queue.stop();
   * await running;
   */
  queue(options: QueueOptions): Queue;
  /**
   * A consumer whose failed messages do not hold up their partition: they go to a retry topic
   * (`<topic>.retry`), are tried again after a delay by the same group, and after maxAttempts
   * land in the dead-letter topic (`<topic>.dlq`) with `x-dlq-*` headers.
   *
   * @example
   * const orders = client.retryTopicConsumer({ groupId: "billing", topic: "orders", maxAttempts: 3 });
   * await orders.run({
   *   eachMessage: async ({ message, attempt }) => {
   *     await charge(message.value); // throwing sends it to orders.retry (or orders.dlq)
   *   },
   * });
   * // Later:
   * await orders.disconnect();
   */
  retryTopicConsumer(options: RetryTopicOptions): RetryTopicConsumer;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const URL_MESSAGE = "must be an absolute http:// or https:// URL, such as http://127.0.0.1:8787";
const TOKEN_MESSAGE = "must be a non-empty string: a bearer token the worker accepts (one of its TRIBUTARY_TOKENS)";

const urlOption = z.union([z.string(), z.instanceof(URL)], { error: URL_MESSAGE }).transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.issues.push({ code: "custom", input: value, message: `${URL_MESSAGE} (got ${JSON.stringify(String(value))})` });
    return z.NEVER;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.issues.push({ code: "custom", input: value, message: `${URL_MESSAGE} (got ${JSON.stringify(url.href)})` });
    return z.NEVER;
  }
  // The API lives under v1/ below the given path, so the path must end in "/" to be kept.
  return new URL(url.origin + url.pathname.replace(/\/*$/, "/"));
});

const clientOptionsSchema = z.strictObject({
  url: urlOption,
  token: z
    .string({ error: TOKEN_MESSAGE })
    .min(1, TOKEN_MESSAGE)
    .refine((t) => !/[\s\p{Cc}]/u.test(t), "must not contain spaces, line breaks or control characters"),
  fetch: z.custom<FetchFunction>((v) => typeof v === "function", "must be a function like the global fetch").optional(),
  retry: retryOptionsSchema.optional(),
  requestTimeoutMs: intIn(1, 600_000).optional(),
});

const retryOnly = z.object({ retry: retryOptionsSchema.optional() });
const adminOptionsSchema = z.strictObject({ retry: retryOptionsSchema.optional() });
const producerOptionsSchema = producerSettingsSchema.extend({ retry: retryOptionsSchema.optional() });

/**
 * Creates a client of a Tributary worker. Options are checked at once: a wrong one throws a
 * TributaryError with code `INVALID_ARGUMENT` whose message names it. Nothing is sent until
 * the first call.
 *
 * @example
 * import { createClient } from "tributary/sdk";
 *
 * const client = createClient({ url: "http://127.0.0.1:8787", token: "dev-token" });
 * await client.admin().createTopic({ topic: "clicks", partitions: 3 });
 * await client.producer().send({ topic: "clicks", messages: [{ key: "ad-1", value: { n: 1 } }] });
 * for await (const record of client.reader({ topic: "clicks", partition: 0, fromOffset: "earliest" })) {
 *   console.log(record.value);
 * }
 */
export function createClient(options: ClientOptions): TributaryClient {
  const config = parseOptions(clientOptionsSchema, options, "createClient");
  const http: HttpConfig = {
    baseUrl: config.url,
    token: config.token,
    // The global fetch is looked up at each call and called as a plain function: some runtimes
    // refuse a fetch called as a method of another object.
    fetch: config.fetch ?? ((input: string, init: RequestInit) => fetch(input, init)),
    requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  const clientRetry = resolveRetry(config.retry);

  const transportOver = (httpConfig: HttpConfig, policy: RetryPolicy): Transport => ({
    request: (request, schema) => retry(() => send(httpConfig, request, schema), policy, { signal: request.signal }),
  });
  const transport = (policy: RetryPolicy): Transport => transportOver(http, policy);
  const defaultTransport = transport(clientRetry);
  const transportWith = (retryOptions: RetryOptions | undefined): Transport =>
    retryOptions === undefined ? defaultTransport : transport(resolveRetry(retryOptions, clientRetry));

  const consumerOf = (consumerOptions: ConsumerOptions) => {
    const retryOptions = parseOptions(retryOnly, { retry: consumerOptions?.retry }, "consumer").retry;
    const connection = {
      transport: transportWith(retryOptions),
      onceTransport: transport({ ...resolveRetry(retryOptions, clientRetry), retries: 0 }),
      policy: resolveRetry(retryOptions, clientRetry),
      baseUrl: config.url,
      token: config.token,
    };
    return createConsumer(connection, consumerOptions);
  };

  return {
    url: config.url.href,
    admin(adminOptions = {}) {
      const { retry: retryOptions } = parseOptions(adminOptionsSchema, adminOptions, "admin");
      return createAdmin(transportWith(retryOptions));
    },
    producer(producerOptions = {}) {
      const { retry: retryOptions, ...settings } = parseOptions(producerOptionsSchema, producerOptions, "producer");
      checkProducerSettings(settings, "producer");
      checkCompression(settings.compression ?? "none", "producer");
      const policy = resolveRetry(retryOptions, clientRetry);
      const producerHttp = settings.compression === "gzip" ? { ...http, fetch: gzipBodies(http.fetch) } : http;
      // The producer retries by itself (same sequence, and throttling is not a failure).
      return createProducer(transportOver(producerHttp, { ...policy, retries: 0 }), settings, { retry: policy });
    },
    async fetch(fetchOptions) {
      return fetchRecords(defaultTransport, fetchOptions);
    },
    reader(readerOptions) {
      const { retry: retryOptions, ...rest } = readerOptions;
      const checked = parseOptions(retryOnly, { retry: retryOptions }, "reader").retry;
      return new PartitionReader(transportWith(checked), rest);
    },
    consumer: consumerOf,
    queue(queueOptions) {
      const retryOptions = parseOptions(retryOnly, { retry: queueOptions?.retry }, "queue").retry;
      return createQueue(transportWith(retryOptions), resolveRetry(retryOptions, clientRetry), queueOptions);
    },
    retryTopicConsumer(retryTopicOptions) {
      const { consumer, retry: settings } = splitRetryTopicOptions(retryTopicOptions);
      const retryOptions = parseOptions(retryOnly, { retry: consumer.retry }, "retryTopicConsumer").retry;
      const policy = resolveRetry(retryOptions, clientRetry);
      return createRetryTopicConsumer(
        {
          consumer: consumerOf(consumer),
          // As client.producer(): the producer retries by itself, so throttling is not a failure.
          producer: createProducer(transportOver(http, { ...policy, retries: 0 }), {}, { retry: policy }),
          admin: createAdmin(transportWith(retryOptions)),
        },
        settings,
      );
    },
  };
}
