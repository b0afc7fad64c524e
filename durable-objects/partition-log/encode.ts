/**
 * Encoding produce records for an append: one JSON array text per chunk, each under the
 * storage's 2 MB string limit, with every record checked against maxMessageBytes. The common
 * case (a batch smaller than both limits) is one JSON.stringify and no per-record work.
 */
import { type Failure, failure } from "../../sdk/protocol/errors.ts";

/**
 * Durable Object SQLite caps a string, BLOB or row at 2 MB; a chunk of records is bound to one
 * statement as one JSON text, so it stays below that, and so does any single record.
 */
export const CHUNK_BYTES = 1_900_000;

/** UTF-8 byte length of a string, without allocating. */
export function utf8Length(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

export interface EncodedBatch {
  chunks: string[];
  bytes: number;
}

export function messageTooLarge(size: number, maxMessageBytes: number): Failure {
  return failure(
    "MESSAGE_TOO_LARGE",
    `a record of ${size} bytes is over the topic's maxMessageBytes of ${maxMessageBytes}; nothing of this request was stored`,
    { maxMessageBytes, recordBytes: size },
  );
}

export function encodeRecords(records: readonly unknown[], maxMessageBytes: number): EncodedBatch | Failure {
  const whole = JSON.stringify(records);
  // A JSON text is at most 3 UTF-8 bytes per UTF-16 unit; count exactly only when it matters.
  const limit = Math.min(maxMessageBytes, CHUNK_BYTES);
  const wholeBytes = whole.length * 3 <= limit ? whole.length : utf8Length(whole);
  if (wholeBytes <= limit) return { chunks: [whole], bytes: wholeBytes };

  const chunks: string[] = [];
  let parts: string[] = [];
  let chunkBytes = 2;
  let bytes = 0;
  for (const record of records) {
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
  return { chunks, bytes };
}
