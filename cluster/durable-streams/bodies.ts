/**
 * How stream bodies become log records and back. JSON streams (`application/json`) store one
 * record per message: an appended array is split into its elements, as the protocol's JSON mode
 * says, and a read answers the messages as one JSON array. Every other content type stores the
 * body's bytes as `valueBase64`, so binary and text bodies come back byte for byte; a body over
 * what one record may hold is split into several records of the same append.
 */

import { base64ToBytes, bytesToBase64 } from "../../sdk/base64.ts";
import type { Failure } from "../../sdk/protocol/errors.ts";
import type { FetchedRecord, ProduceRecord } from "../../sdk/protocol/schemas.ts";
import type { EncodedBody, InvalidBody } from "../rpc/durable-stream.ts";
import { encodeRecords } from "../stored-records.ts";

/** Stream topics allow the largest record a partition row can hold (see stored-records.ts). */
export const STREAM_MAX_MESSAGE_BYTES = 1_800_000;
/** Base64 makes 4 bytes of 3; a piece of this size stays under STREAM_MAX_MESSAGE_BYTES. */
export const BINARY_PIECE_BYTES = 1_000_000;

/** The media type alone, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function isJsonStream(contentType: string | undefined): boolean {
  return mediaType(contentType) === "application/json";
}

/** SSE sends text as is; everything else goes base64 (Stream-SSE-Data-Encoding). */
export function isTextStream(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type.startsWith("text/") || type === "application/json";
}

/** The records of one append, or the reason (a 400) the body cannot be one. */
export type PreparedBody = { records: ProduceRecord[] } | { invalid: string };

/**
 * @param create a create may carry an empty JSON array (an empty stream); an append may not.
 */
export function prepareBody(body: Uint8Array, json: boolean, create: boolean): PreparedBody {
  if (!json) {
    const records: ProduceRecord[] = [];
    for (let at = 0; at < body.byteLength; at += BINARY_PIECE_BYTES) {
      records.push({ valueBase64: bytesToBase64(body.subarray(at, at + BINARY_PIECE_BYTES)) });
    }
    return { records };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { invalid: "Invalid JSON" };
  }
  if (!Array.isArray(parsed)) return { records: [{ value: parsed }] };
  if (parsed.length === 0 && !create) return { invalid: "Empty arrays are not allowed" };
  return { records: parsed.map((value) => ({ value })) };
}

/** A record as a partition read answers it (only the fields a stream uses). */
export type StreamRecord = Pick<FetchedRecord, "value" | "valueBase64">;

/** A JSON stream's messages as the JSON array the protocol answers. */
export function jsonBody(records: readonly StreamRecord[]): string {
  return `[${records.map((r) => JSON.stringify(r.value ?? null)).join(",")}]`;
}

/** The bytes of a binary stream's records, concatenated. */
export function bytesBody(records: readonly StreamRecord[]): Uint8Array {
  const parts = records.map((r) =>
    r.valueBase64 === undefined ? new TextEncoder().encode(JSON.stringify(r.value)) : base64ToBytes(r.valueBase64),
  );
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.byteLength;
  }
  return all;
}

/** The body as the partition's records, or why it cannot be (answered after the stream's own checks). */
export function encodeBody(
  body: Uint8Array,
  contentType: string,
  create: boolean,
): EncodedBody | InvalidBody | Failure {
  const prepared = prepareBody(body, isJsonStream(contentType), create);
  if ("invalid" in prepared) return prepared;
  if (prepared.records.length === 0) return { chunks: [], count: 0, bytes: 0 };
  return encodeRecords(prepared.records, STREAM_MAX_MESSAGE_BYTES);
}
