/**
 * Reading one partition: `fetch` reads one page of records from an offset; a PartitionReader
 * is an async iterable that follows the partition from an offset on, waiting for new records
 * with long polls, until the loop breaks or its AbortSignal is aborted.
 */
import { z } from "zod";
import { lookupOffset } from "./admin.ts";
import { base64ToBytes } from "./base64.ts";
import type { Transport } from "./http.ts";
import { intIn, parseOptions, partitionOption, signalOption, topicOption } from "./options.ts";
import { partitionPath } from "./paths.ts";
import {
  type FetchedRecord,
  fetchAnswerSchema,
  MAX_FETCH_BYTES,
  MAX_FETCH_RECORDS,
  MAX_WAIT_MS,
} from "./protocol/schemas.ts";

/** A record as read: binary keys and values (sent as bytes) come back as Uint8Arrays. */
export interface ReaderRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** The key as sent: a string, bytes, or null when the record had none. */
  key: string | Uint8Array | null;
  /** The value as sent: any JSON value, or a Uint8Array when it was sent as bytes. */
  value: unknown;
  /** The record's headers; empty when it had none. */
  headers: Record<string, string>;
}

/** What `client.fetch` takes. */
export interface FetchOptions {
  topic: string;
  partition: number;
  /** The first offset to read: from the log start offset up to the high watermark. */
  offset: number;
  /** At most this many records (1 to 10000; the server's default is 1000). */
  maxRecords?: number;
  /** Stop adding records once about this many bytes are read (at least one record is). */
  maxBytes?: number;
  /** When `offset` is the high watermark, wait up to this long (ms, at most 30000) for records. */
  waitMs?: number;
  signal?: AbortSignal;
}

/** One page of a partition. */
export interface FetchPage {
  records: ReaderRecord[];
  /** Where to read next: after the last record of this page. */
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

/** What `client.reader` takes. */
export interface ReaderOptions {
  topic: string;
  partition: number;
  /**
   * Where to start: an offset, `"earliest"` (the log start offset) or `"latest"` (the high
   * watermark when iteration starts: only records appended from then on).
   */
  fromOffset: number | "earliest" | "latest";
  /** Records per fetch (1 to 10000). */
  maxRecords?: number;
  /** Bytes per fetch, about. */
  maxBytes?: number;
  /** How long one long poll waits for new records, in ms (100 to 30000, default 10000). */
  waitMs?: number;
  /** Stops the reader: a waiting long poll is cancelled and the loop ends without an error. */
  signal?: AbortSignal;
}

const fetchOptionsSchema = z.strictObject({
  topic: topicOption,
  partition: partitionOption,
  offset: intIn(0, Number.MAX_SAFE_INTEGER),
  maxRecords: intIn(1, MAX_FETCH_RECORDS).optional(),
  maxBytes: intIn(1, MAX_FETCH_BYTES).optional(),
  waitMs: intIn(0, MAX_WAIT_MS).optional(),
  signal: signalOption.optional(),
});

const DEFAULT_READER_WAIT_MS = 10_000;

/** The reader's options (schema); a long poll of at least 100 ms keeps an idle reader from spinning. */
export const readerOptionsSchema = z.strictObject({
  topic: topicOption,
  partition: partitionOption,
  fromOffset: z.union([intIn(0, Number.MAX_SAFE_INTEGER), z.literal("earliest"), z.literal("latest")], {
    error: 'must be an offset (a whole number from 0), "earliest" or "latest"',
  }),
  maxRecords: intIn(1, MAX_FETCH_RECORDS).optional(),
  maxBytes: intIn(1, MAX_FETCH_BYTES).optional(),
  waitMs: intIn(100, MAX_WAIT_MS).default(DEFAULT_READER_WAIT_MS),
  signal: signalOption.optional(),
});

/** A fetched record in the SDK's form: base64 decoded to bytes, absent fields made explicit. */
export function decodeRecord(topic: string, r: FetchedRecord): ReaderRecord {
  return {
    topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.keyBase64 !== undefined ? base64ToBytes(r.keyBase64) : (r.key ?? null),
    value: r.valueBase64 !== undefined ? base64ToBytes(r.valueBase64) : r.value,
    headers: r.headers ?? {},
  };
}

/** Reads one page of a partition (options already checked). */
async function readPage(transport: Transport, options: z.output<typeof fetchOptionsSchema>): Promise<FetchPage> {
  const { topic, partition, offset, maxRecords, maxBytes, waitMs, signal } = options;
  const answer = await transport.request(
    {
      method: "GET",
      path: `${partitionPath(topic, partition)}/records`,
      query: { offset, maxRecords, maxBytes, waitMs },
      signal,
      waitMs,
    },
    fetchAnswerSchema,
  );
  return { ...answer, records: answer.records.map((r) => decodeRecord(topic, r)) };
}

/** Reads one page of a partition from `options.offset`. */
export async function fetchRecords(transport: Transport, options: FetchOptions): Promise<FetchPage> {
  return readPage(transport, parseOptions(fetchOptionsSchema, options, "fetch"));
}

/**
 * Follows one partition: `for await (const record of reader)` yields every record from the
 * start offset on, in order, then waits (long polls) for new ones. Breaking out of the loop
 * or aborting the signal stops it; iterating again continues from `position`. Made by
 * `client.reader()`.
 */
export class PartitionReader implements AsyncIterable<ReaderRecord> {
  readonly #transport: Transport;
  readonly #options: z.output<typeof readerOptionsSchema>;
  #position: number | undefined;

  /** Use `client.reader()`. */
  constructor(transport: Transport, options: ReaderOptions) {
    this.#transport = transport;
    this.#options = parseOptions(readerOptionsSchema, options, "reader");
    const from = this.#options.fromOffset;
    this.#position = typeof from === "number" ? from : undefined;
  }

  /**
   * The offset of the next record this reader will yield; undefined until iteration has
   * looked up where "earliest" or "latest" is.
   */
  get position(): number | undefined {
    return this.#position;
  }

  /** Yields the partition's records in offset order, waiting for new ones as they come. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ReaderRecord, void, undefined> {
    const { topic, partition, fromOffset, maxRecords, maxBytes, waitMs, signal } = this.#options;
    try {
      let offset = this.#position;
      if (offset === undefined) {
        const at = fromOffset === "latest" ? "latest" : "earliest";
        offset = (await lookupOffset(this.#transport, { topic, partition, at }, signal)).offset;
        this.#position = offset;
      }
      while (!signal?.aborted) {
        const page = await readPage(this.#transport, {
          topic,
          partition,
          offset,
          maxRecords,
          maxBytes,
          waitMs,
          signal,
        });
        for (const record of page.records) {
          this.#position = record.offset + 1;
          yield record;
        }
        offset = page.nextOffset;
        this.#position = offset;
      }
    } catch (err) {
      // Aborting is how a caller stops the reader; whatever the abort interrupted ends quietly.
      if (signal?.aborted) return;
      throw err;
    }
  }
}
