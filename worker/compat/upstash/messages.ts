/**
 * Between Upstash's message shape and Tributary's records. Upstash messages carry string keys
 * and values and a list of headers; Tributary records carry any JSON value (or bytes), an
 * optional key and a header map. An Upstash value is stored as the exact string sent, so it
 * comes back byte for byte; a record produced another way is shown to Upstash clients as text.
 */
import { base64ToBytes } from "../../../sdk/base64.ts";
import type { FetchedRecord, ProduceRecord } from "../../../sdk/protocol/schemas.ts";
import { ApiError } from "../../errors.ts";
import type { UpstashProduceItem } from "./schemas.ts";

export interface UpstashHeader {
  key: string;
  value: string;
}

/** A message as `consumer.fetch` and `consumer.consume` answer it (the client's `Message`). */
export interface UpstashMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string;
  value: string;
  headers: UpstashHeader[];
}

/** What `producer.produce` answers for each message. */
export interface UpstashProduceResult {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/**
 * The Tributary record for an Upstash message. Header keys must be unique: Tributary keeps one
 * value per key, and dropping a value would lose data, so a repeated key is refused.
 */
export function toProduceRecord(item: UpstashProduceItem, index: number): ProduceRecord {
  const record: ProduceRecord = { value: item.value };
  if (item.key !== undefined) record.key = item.key;
  if (item.partition !== undefined) record.partition = item.partition;
  if (item.timestamp !== undefined) record.timestamp = item.timestamp;
  if (item.headers?.length) {
    const headers: Record<string, string> = {};
    for (const [i, h] of item.headers.entries()) {
      if (Object.hasOwn(headers, h.key)) {
        throw new ApiError(
          "INVALID_REQUEST",
          `message ${index}: header '${h.key}' appears twice (headers[${i}]); Tributary keeps one value per header key, so send each key once`,
          { field: `headers[${i}].key` },
        );
      }
      headers[h.key] = h.value;
    }
    record.headers = headers;
  }
  return record;
}

const utf8 = new TextDecoder();

const base64Text = (b64: string) => utf8.decode(base64ToBytes(b64));

/** A fetched Tributary record as an Upstash message. */
export function toUpstashMessage(topic: string, r: FetchedRecord): UpstashMessage {
  let value: string;
  if (r.valueBase64 !== undefined) value = base64Text(r.valueBase64);
  else if (typeof r.value === "string") value = r.value;
  else value = JSON.stringify(r.value ?? null);
  let key = "";
  if (r.keyBase64 !== undefined) key = base64Text(r.keyBase64);
  else if (typeof r.key === "string") key = r.key;
  return {
    topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key,
    value,
    headers: Object.entries(r.headers ?? {}).map(([k, v]) => ({ key: k, value: v })),
  };
}
