/**
 * The producer, in kafkajs's vocabulary: `producer.send({ topic, messages })`. Keyed messages
 * go to the partition Kafka's default partitioner picks (murmur2 of the key, on the server);
 * a message may also name its partition.
 */
import { z } from "zod";
import { asBytes, bytesToBase64 } from "./base64.ts";
import { invalidArgument } from "./errors.ts";
import type { Transport } from "./http.ts";
import { parseOptions, topicOption } from "./options.ts";
import type { Acks, ProduceRecord } from "./protocol/schemas.ts";

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
   * where the messages went (an empty array).
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
   * Sends messages to one topic in one request; returns where each was stored, in the order
   * given. All messages bound for one partition are stored together, or none of them are.
   * A send whose answer was lost is retried (see RetryOptions), so, as with Kafka's
   * non-idempotent producer, its messages may in rare cases be stored twice.
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

/** Options of `client.producer()` beside `retry`. */
export interface ProducerSettings {
  /** The acks of a `send` that does not say; default 1. */
  acks?: Acks;
}

const acksOption = z.union([z.literal(0), z.literal(1), z.literal(-1), z.literal("all")], {
  error: 'must be 0, 1, -1 or "all"',
});

/** The producer's own options (schema). */
export const producerSettingsSchema = z.strictObject({ acks: acksOption.optional() });

const sendSchema = z.strictObject({
  topic: topicOption,
  messages: z.array(z.unknown(), { error: "must be an array of messages" }).min(1, "must hold at least one message"),
  acks: acksOption.optional(),
});

const produceAnswerSchema = z.union([
  z.object({ results: z.array(z.object({ partition: z.int(), offset: z.int(), timestamp: z.number() })) }),
  z.object({ accepted: z.int() }),
]);

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

/** Makes a producer over `transport`. */
export function createProducer(transport: Transport, settings: ProducerSettings = {}): Producer {
  return {
    async send(input) {
      const { topic, messages, acks } = parseOptions(sendSchema, input, "producer.send");
      const records = (messages as Message[]).map(toWireRecord);
      const answer = await transport.request(
        {
          method: "POST",
          path: `v1/topics/${encodeURIComponent(topic)}/records`,
          body: { records, acks: acks ?? settings.acks ?? 1 },
        },
        produceAnswerSchema,
      );
      if (!("results" in answer)) return [];
      return answer.results.map((r) => ({ topic, ...r }));
    },
  };
}
