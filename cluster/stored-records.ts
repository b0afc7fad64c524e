/**
 * The stored form of records, and encoding produce records into it for an append. Each record is stored as the JSON text of the
 * fetched form without partition and offset: `{"timestamp"?, "key" | "keyBase64"?, "value" |
 * "valueBase64", "headers"?}`, so a fetch serves it by splicing, never parsing. A record that
 * brings its own timestamp has it first; the others take the append time from their row.
 *
 * Records go to the store as JSON array texts ("chunks"), each under the storage's 2 MB string
 * limit, with every record checked against maxMessageBytes. The common case (a batch smaller
 * than both limits) is one JSON.stringify and no per-record size work.
 */
import { type Failure, failure } from "../sdk/protocol/errors.ts";
import type { ProduceRecord } from "../sdk/protocol/schemas.ts";

/**
 * Durable Object SQLite caps a string, BLOB or row at 2 MB; a chunk of records is bound to one
 * statement as one JSON text, so it stays below that, and so does any single record.
 */
export const CHUNK_BYTES = 1_900_000;

/** How a stored record that brought its own timestamp begins. */
export const TIMESTAMP_FIRST = '{"timestamp":';

export interface StoredRecord {
  timestamp?: number;
  key?: string;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers?: Record<string, string>;
}

/** The stored form of a validated produce record (its partition is where it is stored). */
export function toStored(r: ProduceRecord): StoredRecord {
  return {
    timestamp: r.timestamp,
    key: r.key ?? undefined,
    keyBase64: r.keyBase64,
    value: r.valueBase64 === undefined ? (r.value ?? null) : undefined,
    valueBase64: r.valueBase64,
    headers: r.headers,
  };
}

/** Whether a record's stored form is the record as sent (no partition, timestamp or null key). */
export function storedAsSent(r: ProduceRecord): boolean {
  return r.timestamp === undefined && r.partition === undefined && r.key !== null;
}

/** UTF-8 byte length of a string, without allocating. */
export function utf8Length(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/** Records encoded for one append (see AppendRequest). */
export interface EncodedRecords {
  chunks: string[];
  count: number;
  /** UTF-8 bytes of all chunks. */
  bytes: number;
}

/** A compacted topic keeps the latest record of each key, so a record must have one (Kafka refuses them too). */
export function keylessOnCompactedTopic(topic: string): Failure {
  return failure(
    "INVALID_RECORD",
    `topic '${topic}' is compacted (cleanupPolicy "compact"): every record needs a key or keyBase64; nothing of this request was stored`,
    { topic },
  );
}

/** Whether a produce record has a key (an empty one counts; null does not). */
export function hasKey(r: ProduceRecord): boolean {
  return (r.key !== undefined && r.key !== null) || r.keyBase64 !== undefined;
}

export function messageTooLarge(size: number, maxMessageBytes: number): Failure {
  return failure(
    "MESSAGE_TOO_LARGE",
    `a record of ${size} bytes is over the topic's maxMessageBytes of ${maxMessageBytes}; nothing of this request was stored`,
    { maxMessageBytes, recordBytes: size },
  );
}

/**
 * Encodes records for an append. `sentText`, when given, is the JSON array text of exactly
 * these records as the client sent them, usable as is because each is already in stored form
 * (see storedAsSent): then nothing is serialized again.
 */
export function encodeRecords(
  records: readonly ProduceRecord[],
  maxMessageBytes: number,
  sentText?: string,
): EncodedRecords | Failure {
  const stored = sentText === undefined ? records.map(toStored) : undefined;
  const whole = sentText ?? JSON.stringify(stored);
  // A JSON text is at most 3 UTF-8 bytes per UTF-16 unit; count exactly only when it matters.
  const limit = Math.min(maxMessageBytes, CHUNK_BYTES);
  const wholeBytes = whole.length * 3 <= limit ? whole.length : utf8Length(whole);
  if (wholeBytes <= limit) return { chunks: [whole], count: records.length, bytes: wholeBytes };

  const chunks: string[] = [];
  let parts: string[] = [];
  let chunkBytes = 2;
  let bytes = 0;
  for (const record of stored ?? records.map(toStored)) {
    const text = JSON.stringify(record);
    const size = utf8Length(text);
    if (size > maxMessageBytes) return messageTooLarge(size, maxMessageBytes);
    if (parts.length > 0 && chunkBytes + size + 1 > CHUNK_BYTES) {
      chunks.push(`[${parts.join(",")}]`);
      parts = [];
      chunkBytes = 2;
    }
    parts.push(text);
    chunkBytes += size + 1;
    bytes += size;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`);
  return { chunks, count: records.length, bytes };
}
