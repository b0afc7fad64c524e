/**
 * Queue mode: a work queue over a topic, shared by the members of a group. Each record is
 * handed to one worker and acknowledged one by one; a record not acknowledged in time, or
 * nacked, is delivered again, and after the group's `maxDeliveries` the server moves it to the
 * dead-letter topic (`<topic>.dlq` by default) with `x-dlq-*` headers saying where it came from
 * and why.
 *
 * `queue.run({ handler })` receives records with long polls, runs the handler on each, acks
 * those it finished and nacks those it threw on (with the error's message as the reason).
 */
import { z } from "zod";
import { reasonOf, TributaryError } from "./errors.ts";
import type { Transport } from "./http.ts";
import { groupIdOption, intIn, parseOptions, signalOption, topicOption } from "./options.ts";
import { groupPath } from "./paths.ts";
import {
  ackAnswerSchema,
  MAX_REASON_LENGTH,
  MAX_VISIBILITY_MS,
  MAX_WAIT_MS,
  nackAnswerSchema,
  type QueueConfig,
  queueConfigAnswerSchema,
  receiveAnswerSchema,
} from "./protocol/schemas.ts";
import { decodeRecord, type ReaderRecord } from "./reader.ts";
import { isRetriable, type RetryOptions, type RetryPolicy, retryDelay, retryOptionsSchema, sleep } from "./retry.ts";

/** A record as queue mode delivers it: a record as read, plus its delivery. */
export interface QueueMessage extends ReaderRecord {
  /** Names this delivery; ack or nack with it. A receipt of an earlier delivery does nothing. */
  receipt: string;
  /** 1 on the first delivery, then one more each time the record is delivered again. */
  deliveryCount: number;
}

export type { QueueConfig } from "./protocol/schemas.ts";

/** What `client.queue()` takes. Times are in milliseconds. */
export interface QueueOptions {
  /** The group whose members share the work. */
  groupId: string;
  topic: string;
  /** Records per receive (1 to 1000); `run` handles them at once. Default 10. */
  maxRecords?: number;
  /**
   * How long a delivered record stays invisible to other receives (100 to 43200000). A handler
   * still running after it may see the record delivered again elsewhere. Default 30000.
   */
  visibilityTimeoutMs?: number;
  /** How long one receive waits for records when there are none (0 to 30000). Default 5000. */
  waitMs?: number;
  /** Sets the group's maxDeliveries for the topic when `run` starts (1 to 1000). */
  maxDeliveries?: number;
  /** Sets the group's dead-letter topic for the topic when `run` starts. */
  deadLetterTopic?: string;
  /**
   * How long a nacked record waits before it is delivered again: a number, or a function of the
   * failed delivery. Default 0 (at once).
   */
  nackDelayMs?: number | ((failure: { message: QueueMessage; error: unknown }) => number);
  /** How calls that fail with a retriable error are retried, over the client's. */
  retry?: RetryOptions;
}

/** What `receive` takes, over the queue's options. */
export interface ReceiveOptions {
  maxRecords?: number;
  visibilityTimeoutMs?: number;
  waitMs?: number;
  signal?: AbortSignal;
}

/** What `queue.run` takes. */
export interface QueueRunConfig {
  /** Handles one record; resolving acks it, throwing nacks it (the error's message is the reason). */
  handler: (message: QueueMessage) => Promise<void>;
}

/** A work queue over one topic, for one group; made by `client.queue()`. */
export interface Queue {
  readonly groupId: string;
  readonly topic: string;
  /**
   * Receives records, runs the handler on each (those of one receive at once), acks each one it
   * finished and nacks each one it threw on, until `stop()`. Resolves once stopped; rejects if
   * the queue cannot go on (an unknown topic, a refused token).
   */
  run(config: QueueRunConfig): Promise<void>;
  /** Stops `run`: no more receives; the records received are handled, acked or nacked first. */
  stop(): Promise<void>;
  /** Sets how the group treats the topic's failed records; answers the whole config. */
  configure(config: { maxDeliveries?: number; deadLetterTopic?: string }): Promise<QueueConfig>;
  /**
   * Receives (leases) up to maxRecords records; ack or nack each with its receipt. For workers
   * that manage the loop themselves; `run` does this for you.
   *
   * @example
   * const messages = await queue.receive({ maxRecords: 50, waitMs: 10_000 });
   * const done = [];
   * for (const message of messages) {
   *   try {
   *     await work(message.value);
   *     done.push(message);
   *   } catch (err) {
   *     await queue.nack([message], { delayMs: 5_000, reason: String(err) });
   *   }
   * }
   * if (done.length > 0) await queue.ack(done);
   */
  receive(options?: ReceiveOptions): Promise<QueueMessage[]>;
  /** Acknowledges deliveries: their records are done. Answers how many receipts were current. */
  ack(receipts: Array<string | { receipt: string }>): Promise<number>;
  /**
   * Gives deliveries back: their records are delivered again after `delayMs`, or go to the
   * dead-letter topic if they were delivered maxDeliveries times. Answers how many were current.
   */
  nack(receipts: Array<string | { receipt: string }>, options?: { delayMs?: number; reason?: string }): Promise<number>;
}

const nackDelayOption = z.union(
  [
    intIn(0, MAX_VISIBILITY_MS),
    z.custom<(failure: { message: QueueMessage; error: unknown }) => number>((v) => typeof v === "function"),
  ],
  { error: `must be a whole number from 0 to ${MAX_VISIBILITY_MS}, or a function returning one` },
);

/** The queue's options (schema). */
export const queueOptionsSchema = z.strictObject({
  groupId: groupIdOption,
  topic: topicOption,
  maxRecords: intIn(1, 1000).default(10),
  visibilityTimeoutMs: intIn(100, MAX_VISIBILITY_MS).default(30_000),
  waitMs: intIn(0, MAX_WAIT_MS).default(5_000),
  maxDeliveries: intIn(1, 1000).optional(),
  deadLetterTopic: topicOption.optional(),
  nackDelayMs: nackDelayOption.default(0),
  retry: retryOptionsSchema.optional(),
});

type QueueSettings = z.output<typeof queueOptionsSchema>;

const receiveOptionsSchema = z.strictObject({
  maxRecords: intIn(1, 1000).optional(),
  visibilityTimeoutMs: intIn(100, MAX_VISIBILITY_MS).optional(),
  waitMs: intIn(0, MAX_WAIT_MS).optional(),
  signal: signalOption.optional(),
});

const configureSchema = z.strictObject({
  maxDeliveries: intIn(1, 1000).optional(),
  deadLetterTopic: topicOption.optional(),
});

const receiptsSchema = z
  .array(
    z.union([z.string().min(1), z.looseObject({ receipt: z.string().min(1) })], {
      error: "must be a receipt, or a received message",
    }),
    { error: "must be an array of receipts or received messages" },
  )
  .min(1, "must hold at least one receipt")
  .max(1000, "must hold at most 1000 receipts");

const nackOptionsSchema = z.strictObject({
  delayMs: intIn(0, MAX_VISIBILITY_MS).optional(),
  reason: z.string({ error: "must be a string" }).optional(),
});

const receiptOf = (r: string | { receipt: string }) => (typeof r === "string" ? r : r.receipt);

class GroupQueue implements Queue {
  readonly groupId: string;
  readonly topic: string;
  readonly #transport: Transport;
  readonly #policy: RetryPolicy;
  readonly #settings: QueueSettings;
  readonly #path: string;
  #stop: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(transport: Transport, policy: RetryPolicy, settings: QueueSettings) {
    this.#transport = transport;
    this.#policy = policy;
    this.#settings = settings;
    this.groupId = settings.groupId;
    this.topic = settings.topic;
    this.#path = groupPath(settings.groupId);
  }

  async configure(config: { maxDeliveries?: number; deadLetterTopic?: string }): Promise<QueueConfig> {
    const checked = parseOptions(configureSchema, config, "queue.configure");
    return this.#transport.request(
      { method: "PUT", path: `${this.#path}/queue`, body: { topic: this.topic, ...checked } },
      queueConfigAnswerSchema,
    );
  }

  async receive(options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const { signal, ...rest } = parseOptions(receiveOptionsSchema, options, "queue.receive");
    const body = {
      topic: this.topic,
      maxRecords: rest.maxRecords ?? this.#settings.maxRecords,
      visibilityTimeoutMs: rest.visibilityTimeoutMs ?? this.#settings.visibilityTimeoutMs,
      waitMs: rest.waitMs ?? this.#settings.waitMs,
    };
    const answer = await this.#transport.request(
      { method: "POST", path: `${this.#path}/receive`, body, signal, waitMs: body.waitMs },
      receiveAnswerSchema,
    );
    return answer.records.map((r) => ({
      ...decodeRecord(r.topic, r),
      receipt: r.receipt,
      deliveryCount: r.deliveryCount,
    }));
  }

  async ack(receipts: Array<string | { receipt: string }>): Promise<number> {
    const checked = parseOptions(receiptsSchema, receipts, "queue.ack").map(receiptOf);
    const answer = await this.#transport.request(
      { method: "POST", path: `${this.#path}/ack`, body: { receipts: checked } },
      ackAnswerSchema,
    );
    return answer.acked;
  }

  async nack(
    receipts: Array<string | { receipt: string }>,
    options: { delayMs?: number; reason?: string } = {},
  ): Promise<number> {
    const checked = parseOptions(receiptsSchema, receipts, "queue.nack").map(receiptOf);
    const { delayMs, reason } = parseOptions(nackOptionsSchema, options, "queue.nack");
    const answer = await this.#transport.request(
      {
        method: "POST",
        path: `${this.#path}/nack`,
        body: {
          receipts: checked,
          delayMs,
          reason: reason === undefined ? undefined : reason.slice(0, MAX_REASON_LENGTH),
        },
      },
      nackAnswerSchema,
    );
    return answer.nacked;
  }

  async run(config: QueueRunConfig): Promise<void> {
    const { handler } = parseOptions(
      z.strictObject({
        handler: z.custom<QueueRunConfig["handler"]>(
          (v) => typeof v === "function",
          "must be a function (message) => Promise<void>",
        ),
      }),
      config,
      "queue.run",
    );
    if (this.#running) {
      throw new TributaryError({
        code: "ILLEGAL_STATE",
        message: "queue.run: the queue is already running",
        retriable: false,
      });
    }
    const stop = new AbortController();
    this.#stop = stop;
    this.#running = this.#loop(handler, stop.signal);
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
      this.#stop = undefined;
    }
  }

  async stop(): Promise<void> {
    this.#stop?.abort(new Error("the queue is stopping"));
    await this.#running?.catch(() => {});
  }

  async #loop(handler: QueueRunConfig["handler"], stop: AbortSignal): Promise<void> {
    const { maxDeliveries, deadLetterTopic } = this.#settings;
    if (maxDeliveries !== undefined || deadLetterTopic !== undefined) {
      await this.configure({ maxDeliveries, deadLetterTopic });
    }
    let failures = 0;
    while (!stop.aborted) {
      let messages: QueueMessage[];
      try {
        // Not aborted by stop(): records leased by a receive cut short would wait out their
        // visibility timeout. A receive lasts at most waitMs.
        messages = await this.receive();
        failures = 0;
      } catch (error) {
        // A server error (5xx) is waited out like a retriable one; a refusal ends the run.
        if (!isRetriable(error) && !(error instanceof TributaryError && (error.status ?? 0) >= 500)) throw error;
        await sleep(retryDelay(failures++, this.#policy, error), stop).catch(() => {});
        continue;
      }
      await this.#handle(handler, messages);
    }
  }

  /** Runs the handler on each message at once; acks those it finished, nacks the others. */
  async #handle(handler: QueueRunConfig["handler"], messages: QueueMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const outcomes = await Promise.all(
      messages.map((message) =>
        handler(message).then(
          () => ({ message, error: undefined as unknown, failed: false }),
          (error: unknown) => ({ message, error, failed: true }),
        ),
      ),
    );
    const done = outcomes.filter((o) => !o.failed).map((o) => o.message);
    const calls: Promise<unknown>[] = [];
    if (done.length > 0) calls.push(this.ack(done));
    for (const { message, error } of outcomes.filter((o) => o.failed)) {
      const { nackDelayMs } = this.#settings;
      const delay = typeof nackDelayMs === "number" ? nackDelayMs : nackDelayMs({ message, error });
      const delayMs = Math.min(MAX_VISIBILITY_MS, Math.max(0, Math.round(Number.isFinite(delay) ? delay : 0)));
      calls.push(this.nack([message], { delayMs, reason: reasonOf(error) }));
    }
    // An ack or nack that fails is not fatal: the record is delivered again after its timeout.
    await Promise.allSettled(calls);
  }
}

/** Makes a queue over `transport` (options checked now; nothing is sent until a call). */
export function createQueue(transport: Transport, policy: RetryPolicy, options: QueueOptions): Queue {
  return new GroupQueue(transport, policy, parseOptions(queueOptionsSchema, options, "queue"));
}
