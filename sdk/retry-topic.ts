/**
 * Retry topics, for consumer groups: a message whose handler throws does not hold up its
 * partition. It is sent to a retry topic (default `<topic>.retry`) with the attempt number and
 * the time it may be tried again, and the consumer moves on. The same group consumes the retry
 * topic and tries each message again when its time comes; after `maxAttempts` it goes to the
 * dead-letter topic (default `<topic>.dlq`) with the `x-dlq-*` headers queue mode uses.
 *
 * Messages are handed to the handler as they were first produced: the original topic,
 * partition and offset, the headers without the helper's own.
 */
import { z } from "zod";
import type { Admin } from "./admin.ts";
import type { Consumer, ConsumerMessage, ConsumerOptions } from "./consumer/index.ts";
import { invalidArgument, reasonOf, TributaryError } from "./errors.ts";
import { intIn, parseOptions, topicOption } from "./options.ts";
import type { Producer } from "./producer/index.ts";
import { sleep } from "./retry.ts";

/** What `client.retryTopicConsumer()` takes: a consumer's options, plus where failures go. */
export interface RetryTopicOptions extends ConsumerOptions {
  /** The topic of the work. */
  topic: string;
  /** Where failed messages wait for their next attempt. Default `<topic>.retry`. */
  retryTopic?: string;
  /** Where messages go after maxAttempts. Default `<topic>.dlq`. */
  deadLetterTopic?: string;
  /** Attempts in all, the first included, before a message goes to the dead-letter topic (1 to 100). Default 3. */
  maxAttempts?: number;
  /** The wait before the second attempt; it doubles for each attempt after that (0 to 86400000). Default 1000. */
  retryDelayMs?: number;
  /** Create the retry and dead-letter topics if they do not exist (as many partitions as the topic). Default true. */
  createTopics?: boolean;
}

/** What the retrying handler gets. */
export interface RetryTopicPayload {
  /** Where the message was first produced. */
  topic: string;
  partition: number;
  /** The message as first produced (its offset in `topic`), headers without the helper's. */
  message: ConsumerMessage;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  attempt: number;
  /** Aborted when the partition is taken away or the consumer stops. */
  signal: AbortSignal;
}

/** A consumer whose failed messages go through a retry topic to a dead-letter topic. */
export interface RetryTopicConsumer {
  /** The consumer reading both the topic and its retry topic. */
  readonly consumer: Consumer;
  readonly topic: string;
  readonly retryTopic: string;
  readonly deadLetterTopic: string;
  /** Creates the topics if asked to, then starts consuming (as `consumer.run`). */
  run(config: { eachMessage: (payload: RetryTopicPayload) => Promise<void> }): Promise<void>;
  /** Stops, commits and leaves the group (as `consumer.disconnect`). */
  disconnect(): Promise<void>;
}

/** The headers the helper adds to messages in the retry topic. */
export const RETRY_HEADERS = {
  attempt: "x-retry-attempt",
  notBefore: "x-retry-not-before",
  topic: "x-retry-source-topic",
  partition: "x-retry-source-partition",
  offset: "x-retry-source-offset",
  reason: "x-retry-reason",
} as const;

const retryOnlySchema = z.object({
  topic: topicOption,
  retryTopic: topicOption.optional(),
  deadLetterTopic: topicOption.optional(),
  maxAttempts: intIn(1, 100).default(3),
  retryDelayMs: intIn(0, 86_400_000).default(1000),
  createTopics: z.boolean({ error: "must be true or false" }).default(true),
});

/** The helper's own options, checked. */
export type RetryTopicSettings = z.output<typeof retryOnlySchema>;

/** Splits the options into the consumer's and the helper's (the helper's checked here). */
export function splitRetryTopicOptions(options: RetryTopicOptions): {
  consumer: ConsumerOptions;
  retry: RetryTopicSettings;
} {
  const { topic, retryTopic, deadLetterTopic, maxAttempts, retryDelayMs, createTopics, ...consumer } =
    typeof options === "object" && options !== null ? options : ({} as RetryTopicOptions);
  const retry = parseOptions(
    retryOnlySchema,
    { topic, retryTopic, deadLetterTopic, maxAttempts, retryDelayMs, createTopics },
    "retryTopicConsumer",
  );
  const names = [
    retry.topic,
    retry.retryTopic ?? `${retry.topic}.retry`,
    retry.deadLetterTopic ?? `${retry.topic}.dlq`,
  ];
  if (new Set(names).size !== names.length) {
    const field = names[1] === names[0] ? "retryTopic" : "deadLetterTopic";
    throw invalidArgument(
      `retryTopicConsumer: ${field}: the topic, retryTopic and deadLetterTopic must be three different topics`,
      { field },
    );
  }
  return { consumer, retry };
}

/** Makes the helper from a consumer (not yet subscribed), a producer and an admin. */
export function createRetryTopicConsumer(
  parts: { consumer: Consumer; producer: Producer; admin: Admin },
  settings: RetryTopicSettings,
): RetryTopicConsumer {
  const { consumer, producer, admin } = parts;
  const topic = settings.topic;
  const retryTopic = settings.retryTopic ?? `${topic}.retry`;
  const deadLetterTopic = settings.deadLetterTopic ?? `${topic}.dlq`;

  const createTopics = async () => {
    const source = await admin.describeTopic(topic);
    for (const name of [retryTopic, deadLetterTopic]) {
      try {
        await admin.createTopic({
          topic: name,
          partitions: source.partitions.length,
          replicationFactor: source.replicationFactor,
        });
      } catch (error) {
        if (!(error instanceof TributaryError && error.code === "TOPIC_ALREADY_EXISTS")) throw error;
      }
    }
  };

  return {
    consumer,
    topic,
    retryTopic,
    deadLetterTopic,
    async run({ eachMessage }) {
      if (settings.createTopics) await createTopics();
      await consumer.subscribe({ topic });
      // Nothing in the retry topic may be skipped, whatever autoOffsetReset says for the topic.
      await consumer.subscribe({ topic: retryTopic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic: from, partition, message, signal }) => {
          const headers = { ...message.headers };
          let original = { topic: from, partition, offset: message.offset };
          let attempt = 1;
          if (from === retryTopic) {
            attempt = Number(headers[RETRY_HEADERS.attempt]) || 2;
            original = {
              topic: headers[RETRY_HEADERS.topic] ?? topic,
              partition: Number(headers[RETRY_HEADERS.partition] ?? partition),
              offset: Number(headers[RETRY_HEADERS.offset] ?? message.offset),
            };
            for (const name of Object.values(RETRY_HEADERS)) delete headers[name];
            // Its time has not come: wait here. Later messages of this retry partition were
            // sent later, so they are mostly due later too. A rebalance or a stop aborts the
            // wait, and the message is read again by the partition's next owner.
            const due = Number(message.headers[RETRY_HEADERS.notBefore]);
            if (due > Date.now()) await sleep(due - Date.now(), signal);
          }
          try {
            await eachMessage({
              topic: original.topic,
              partition: original.partition,
              message: { ...message, offset: original.offset, headers },
              attempt,
              signal,
            });
            return;
          } catch (error) {
            const reason = reasonOf(error);
            const source = {
              key: message.key,
              value: message.value,
            };
            if (attempt >= settings.maxAttempts) {
              await producer.send({
                topic: deadLetterTopic,
                messages: [
                  {
                    ...source,
                    headers: {
                      ...headers,
                      "x-dlq-source-topic": original.topic,
                      "x-dlq-source-partition": String(original.partition),
                      "x-dlq-source-offset": String(original.offset),
                      "x-dlq-group": consumer.groupId,
                      "x-dlq-delivery-count": String(attempt),
                      "x-dlq-reason": reason,
                    },
                  },
                ],
              });
              return;
            }
            await producer.send({
              topic: retryTopic,
              messages: [
                {
                  ...source,
                  headers: {
                    ...headers,
                    [RETRY_HEADERS.attempt]: String(attempt + 1),
                    [RETRY_HEADERS.notBefore]: String(Date.now() + settings.retryDelayMs * 2 ** (attempt - 1)),
                    [RETRY_HEADERS.topic]: original.topic,
                    [RETRY_HEADERS.partition]: String(original.partition),
                    [RETRY_HEADERS.offset]: String(original.offset),
                    [RETRY_HEADERS.reason]: reason,
                  },
                },
              ],
            });
          }
        },
      });
    },
    disconnect: () => consumer.disconnect(),
  };
}
