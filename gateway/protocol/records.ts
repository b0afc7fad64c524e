/**
 * Kafka's record batches (message format v2, the only one current clients write): read from a
 * Produce request, written into a Fetch response. The records' own encoding is
 * @platformatic/kafka's (readRecord, createRecord) and so is CRC-32C; the batch header, the CRC
 * check and decompression are here, because a broker must check what a client sends and must
 * not let a small compressed batch expand into unbounded memory.
 */
import { crc32c, createRecord, Reader, readRecord, Writer } from "@platformatic/kafka";
import { type Codec, decompress } from "./compression.ts";
import { InvalidBatch } from "./errors.ts";

/** One record of a batch, with its offset within the batch and its timestamp in ms. */
export interface BatchRecord {
  offsetDelta: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer, Buffer | null][];
}

export interface RecordBatch {
  baseOffset: bigint;
  attributes: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: BatchRecord[];
}

/** Bytes of a batch header from its Length field on (partition leader epoch … record count). */
const HEADER_AFTER_LENGTH = 49;
const CODECS: (Codec | undefined)[] = [undefined, "gzip", "snappy", "lz4", "zstd"];
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/**
 * The batches of a Produce request's partition. `maxBytes` bounds what each batch may expand
 * to when decompressed.
 */
export function readBatches(bytes: Buffer, maxBytes: number): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 12 + HEADER_AFTER_LENGTH)
      throw new InvalidBatch("CORRUPT_MESSAGE", "a record batch is truncated");
    const length = bytes.readInt32BE(at + 8);
    const end = at + 12 + length;
    if (length < HEADER_AFTER_LENGTH || end > bytes.length) {
      throw new InvalidBatch(
        "CORRUPT_MESSAGE",
        `a record batch says ${length} bytes but the request holds ${bytes.length - at - 12}`,
      );
    }
    batches.push(readBatch(bytes.subarray(at, end), maxBytes));
    at = end;
  }
  return batches;
}

function readBatch(batch: Buffer, maxBytes: number): RecordBatch {
  const magic = batch.readInt8(16);
  if (magic !== 2) {
    throw new InvalidBatch(
      "UNSUPPORTED_FOR_MESSAGE_FORMAT",
      `message format v${magic} is not supported; use a client that writes v2 (Kafka 0.11 and later)`,
    );
  }
  const crc = batch.readUInt32BE(17);
  if (crc32c(batch.subarray(21)) !== crc)
    throw new InvalidBatch("CORRUPT_MESSAGE", "a record batch fails its CRC check");
  const attributes = batch.readInt16BE(21);
  if (attributes & (TRANSACTIONAL | CONTROL)) {
    throw new InvalidBatch(
      "UNSUPPORTED_FOR_MESSAGE_FORMAT",
      "transactional and control batches are not supported by Tributary",
    );
  }
  const count = batch.readInt32BE(57);
  const compression = attributes & 0x07;
  const codec = CODECS[compression];
  if (compression !== 0 && !codec) {
    throw new InvalidBatch("UNSUPPORTED_COMPRESSION_TYPE", `compression type ${compression} is not one Kafka defines`);
  }
  let body = batch.subarray(61);
  if (codec) body = decompress(codec, body, maxBytes);
  else if (body.length > maxBytes) throw new InvalidBatch("MESSAGE_TOO_LARGE", `a record batch over ${maxBytes} bytes`);
  // A record takes at least 7 bytes: a count beyond that is garbage.
  if (count < 0 || count > body.length / 7 + 1)
    throw new InvalidBatch("CORRUPT_MESSAGE", `a record batch says ${count} records`);
  const firstTimestamp = batch.readBigInt64BE(27);
  const reader = Reader.from(body);
  const records: BatchRecord[] = new Array(count);
  try {
    for (let i = 0; i < count; i++) {
      const r = readRecord(reader);
      records[i] = {
        offsetDelta: r.offsetDelta,
        timestamp: Number(firstTimestamp + r.timestampDelta),
        key: r.key,
        value: r.value,
        headers: r.headers.map(([k, v]) => [k ?? Buffer.alloc(0), v]),
      };
    }
  } catch (err) {
    throw new InvalidBatch("CORRUPT_MESSAGE", `a record does not decode: ${(err as Error).message}`);
  }
  return {
    baseOffset: batch.readBigInt64BE(0),
    attributes,
    producerId: batch.readBigInt64BE(43),
    producerEpoch: batch.readInt16BE(51),
    baseSequence: batch.readInt32BE(53),
    records,
  };
}

/** A record to fetch: its offset, timestamp, key, value and headers as bytes. */
export interface FetchedBatchRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer, Buffer][];
}

/**
 * One uncompressed batch of records in offset order (offsets may have gaps: deltas carry them),
 * as a Fetch response's partition carries it.
 */
export function writeBatch(records: readonly FetchedBatchRecord[], leaderEpoch = 0): Buffer {
  const first = records[0]!;
  const firstTimestamp = BigInt(first.timestamp);
  let maxTimestamp = firstTimestamp;
  const body = Writer.create();
  for (const r of records) {
    const ts = BigInt(r.timestamp);
    if (ts > maxTimestamp) maxTimestamp = ts;
    body.appendFrom(
      createRecord(
        { key: r.key ?? undefined, value: r.value as Buffer, headers: new Map(r.headers), topic: "", timestamp: ts },
        r.offset - first.offset,
        firstTimestamp,
      ),
    );
  }
  const afterCrc = Writer.create()
    .appendInt16(0)
    .appendInt32(records.at(-1)!.offset - first.offset)
    .appendInt64(firstTimestamp)
    .appendInt64(maxTimestamp)
    .appendInt64(-1n)
    .appendInt16(-1)
    .appendInt32(-1)
    .appendInt32(records.length)
    .appendFrom(body);
  const out = Writer.create()
    .appendInt64(BigInt(first.offset))
    .appendInt32(afterCrc.length + 9)
    .appendInt32(leaderEpoch)
    .appendInt8(2)
    .appendUnsignedInt32(crc32c(afterCrc.buffer))
    .appendFrom(afterCrc);
  return out.buffer;
}
