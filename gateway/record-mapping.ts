/**
 * Kafka records (bytes) and Tributary records (JSON values or bytes), both ways, so that what a
 * Kafka client produces reads back byte for byte through Kafka, and reads sensibly through
 * Tributary's API and SDK:
 * - a key that is UTF-8 text becomes `key` (so Tributary's partitioner hashes the same bytes
 *   Kafka's does), other keys `keyBase64`;
 * - a value that is exactly the compact JSON of what it parses to becomes `value` (stream apps
 *   and HTTP readers see JSON), every other value `valueBase64`; a null value (a tombstone)
 *   becomes `value: null`, and the bytes `null` stay bytes, so the two never mix;
 * - headers are UTF-8 text in Tributary: a header value that is not, or a key sent twice, is
 *   refused (INVALID_RECORD) rather than changed; a null header value reads back as empty.
 * The other way, a JSON value reads as its compact JSON text, `value: null` as a null value.
 */
import type { FetchedRecord, ProduceRecord } from "../sdk/protocol/schemas.ts";
import { InvalidBatch } from "./protocol/errors.ts";
import type { BatchRecord, FetchedBatchRecord } from "./protocol/records.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A Kafka record as Tributary's produce form (the partition is the request's). */
export function toProduceRecord(r: BatchRecord, index: number): ProduceRecord {
  const record: ProduceRecord = {};
  if (r.key !== null) {
    const key = text(r.key);
    if (key !== undefined) record.key = key;
    else record.keyBase64 = r.key.toString("base64");
  }
  if (r.value === null) record.value = null;
  else {
    const json = text(r.value);
    let parsed: unknown;
    let canonical = false;
    if (json !== undefined && json !== "null") {
      try {
        parsed = JSON.parse(json);
        canonical = JSON.stringify(parsed) === json;
      } catch {
        canonical = false;
      }
    }
    if (canonical) record.value = parsed;
    else record.valueBase64 = r.value.toString("base64");
  }
  if (r.headers.length > 0) {
    const headers: Record<string, string> = {};
    for (const [k, v] of r.headers) {
      const key = text(k);
      const value = v === null ? "" : text(v);
      if (key === undefined || value === undefined) {
        throw new InvalidBatch(
          "INVALID_RECORD",
          `record ${index}: a header that is not UTF-8 text (Tributary keeps headers as text)`,
        );
      }
      if (Object.hasOwn(headers, key)) {
        throw new InvalidBatch(
          "INVALID_RECORD",
          `record ${index}: header '${key}' appears twice (Tributary keeps one value per header key)`,
        );
      }
      headers[key] = value;
    }
    record.headers = headers;
  }
  if (r.timestamp >= 0) record.timestamp = r.timestamp;
  return record;
}

/** A fetched Tributary record as a Kafka record's bytes. */
export function toBatchRecord(r: FetchedRecord): FetchedBatchRecord {
  const key =
    r.keyBase64 !== undefined
      ? Buffer.from(r.keyBase64, "base64")
      : typeof r.key === "string"
        ? Buffer.from(r.key)
        : null;
  const value =
    r.valueBase64 !== undefined
      ? Buffer.from(r.valueBase64, "base64")
      : r.value === null || r.value === undefined
        ? null
        : Buffer.from(JSON.stringify(r.value));
  const headers = Object.entries(r.headers ?? {}).map(([k, v]): [Buffer, Buffer] => [Buffer.from(k), Buffer.from(v)]);
  return { offset: r.offset, timestamp: r.timestamp, key, value, headers };
}
