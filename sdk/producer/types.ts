/** The producer's public types: the Producer interface, what `send` takes and what it answers. */
import type { Acks } from "../protocol/schemas.ts";

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
