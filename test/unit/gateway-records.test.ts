/**
 * Kafka record batches (message format v2) in the gateway (gateway/protocol/records.ts):
 * writeBatch, which writes a Fetch response's batch, is read by kafkajs's and
 * @platformatic/kafka's batch decoders; readBatches, which reads a Produce request's batches,
 * reads batches that those two clients' encoders wrote (uncompressed and compressed), and
 * refuses with the Kafka error a broker answers what it must not take: a bad CRC, a batch cut
 * short, an old message format, transactions, unknown compression, counts that lie and batches
 * over the size limit. CRCs are checked with kafkajs's CRC-32C, not the one the gateway uses.
 */
import { createRequire } from "node:module";
import { createRecordsBatch, type MessageRecord, NumericMap, Reader, readRecordsBatch } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { InvalidBatch } from "../../gateway/protocol/errors.ts";
import { type FetchedBatchRecord, readBatches, writeBatch } from "../../gateway/protocol/records.ts";

const require = createRequire(import.meta.url);
const KafkajsDecoder = require("kafkajs/src/protocol/decoder");
const kafkajsDecodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder");
const { RecordBatch: kafkajsRecordBatch } = require("kafkajs/src/protocol/recordBatch/v0");
const kafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0");
const kafkajsCrc32C: (b: Buffer) => number = require("kafkajs/src/protocol/recordBatch/crc32C");
const Long = require("kafkajs/src/utils/long");
const { Types: kafkajsCompression } = require("kafkajs/src/protocol/message/compression");
const kafkajsMessageSetV1 = require("kafkajs/src/protocol/messageSet");

const MiB = 1 << 20;
const b = (s: string) => Buffer.from(s);

const fetched: FetchedBatchRecord[] = [
  {
    offset: 100,
    timestamp: 1_700_000_000_000,
    key: b("k"),
    value: b('{"n":1}'),
    headers: [
      [b("trace"), b("abc")],
      [b("empty"), Buffer.alloc(0)],
    ],
  },
  // Earlier than the first: a negative timestamp delta.
  { offset: 101, timestamp: 1_699_999_999_000, key: null, value: b("x"), headers: [] },
  // A gap of offsets (compacted or removed records): the delta carries it.
  { offset: 105, timestamp: 1_700_000_000_500, key: Buffer.from([0xff, 0x00]), value: null, headers: [] },
];

function invalid(run: () => unknown): { kafkaError: string; message: string } {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidBatch);
    return { kafkaError: (err as InvalidBatch).kafkaError, message: (err as Error).message };
  }
  throw new Error("expected an InvalidBatch");
}

/** A copy of `batch` changed by `edit`, with its CRC computed again (by kafkajs's CRC-32C). */
function resigned(batch: Buffer, edit: (copy: Buffer) => void): Buffer {
  const copy = Buffer.from(batch);
  edit(copy);
  copy.writeUInt32BE(kafkajsCrc32C(copy.subarray(21)), 17);
  return copy;
}

function platformaticBatch(messages: Partial<MessageRecord>[], options: Parameters<typeof createRecordsBatch>[1] = {}) {
  const full = messages.map((m) => ({ topic: "t", partition: 0, value: b(""), ...m }));
  return createRecordsBatch(full, options).buffer;
}

describe("writeBatch", () => {
  const batch = writeBatch(fetched, 3);

  it("writes a batch that kafkajs's decoder reads, offsets, timestamps, keys, values and headers", async () => {
    const decoded = await kafkajsDecodeBatch(new KafkajsDecoder(batch));
    expect(decoded).toMatchObject({
      firstOffset: "100",
      lastOffsetDelta: 5,
      firstTimestamp: "1700000000000",
      maxTimestamp: "1700000000500",
      partitionLeaderEpoch: 3,
      producerId: "-1",
      producerEpoch: -1,
      firstSequence: -1,
      inTransaction: false,
      isControlBatch: false,
    });
    expect(
      decoded.records.map((r: Record<string, unknown>) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    ).toEqual([
      {
        offset: "100",
        timestamp: "1700000000000",
        key: b("k"),
        value: b('{"n":1}'),
        headers: { trace: b("abc"), empty: Buffer.alloc(0) },
      },
      { offset: "101", timestamp: "1699999999000", key: null, value: b("x"), headers: {} },
      { offset: "105", timestamp: "1700000000500", key: Buffer.from([0xff, 0x00]), value: null, headers: {} },
    ]);
  });

  it("frames the batch as Kafka's v2 format says: length, magic 2, CRC-32C from the attributes on", () => {
    expect(batch.readBigInt64BE(0)).toBe(100n);
    expect(batch.readInt32BE(8)).toBe(batch.length - 12);
    expect(batch.readInt32BE(12)).toBe(3);
    expect(batch.readInt8(16)).toBe(2);
    expect(batch.readUInt32BE(17)).toBe(kafkajsCrc32C(batch.subarray(21)));
    expect(batch.readInt16BE(21)).toBe(0); // uncompressed, create time, not transactional
    expect(batch.readInt32BE(57)).toBe(3);
  });

  it("writes a batch that platformatic's decoder reads", () => {
    const decoded = readRecordsBatch(Reader.from(batch));
    expect(decoded).toMatchObject({
      firstOffset: 100n,
      length: batch.length - 12,
      partitionLeaderEpoch: 3,
      magic: 2,
      attributes: 0,
      lastOffsetDelta: 5,
      firstTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_500n,
      producerId: -1n,
      producerEpoch: -1,
      firstSequence: -1,
    });
    expect(decoded.records.map((r) => [r.offsetDelta, r.timestampDelta, r.key, r.value, r.headers])).toEqual([
      [
        0,
        0n,
        b("k"),
        b('{"n":1}'),
        [
          [b("trace"), b("abc")],
          [b("empty"), Buffer.alloc(0)],
        ],
      ],
      [1, -1000n, null, b("x"), []],
      [5, 500n, Buffer.from([0xff, 0x00]), null, []],
    ]);
  });

  it("writes a batch of one record with a last offset delta of 0", () => {
    const one = writeBatch([{ offset: 7, timestamp: 5, key: null, value: b("v"), headers: [] }]);
    expect(one.readBigInt64BE(0)).toBe(7n);
    expect(one.readInt32BE(23)).toBe(0);
    expect(one.readInt32BE(12)).toBe(0);
  });
});

describe("readBatches", () => {
  it("reads back what writeBatch writes", () => {
    const [batch, ...rest] = readBatches(writeBatch(fetched), MiB);
    expect(rest).toEqual([]);
    expect(batch).toEqual({
      baseOffset: 100n,
      attributes: 0,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      records: fetched.map((r) => ({
        offsetDelta: r.offset - 100,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    });
  });

  it.each(["none", "gzip", "snappy", "lz4"] as const)("reads platformatic's batch (compression %s)", (compression) => {
    const bytes = platformaticBatch(
      [
        { key: b("a"), value: b("first"), timestamp: 10n, headers: new Map([[b("h"), b("1")]]) },
        { value: b("second".repeat(50)), timestamp: 12n },
      ],
      { compression, producerId: 77n, producerEpoch: 2, sequences: new NumericMap([["t:0", 40]]) },
    );
    const [batch] = readBatches(bytes, MiB);
    expect(batch).toEqual({
      baseOffset: 0n,
      attributes: { none: 0, gzip: 1, snappy: 2, lz4: 3 }[compression],
      producerId: 77n,
      producerEpoch: 2,
      baseSequence: 40,
      records: [
        { offsetDelta: 0, timestamp: 10, key: b("a"), value: b("first"), headers: [[b("h"), b("1")]] },
        { offsetDelta: 1, timestamp: 12, key: null, value: b("second".repeat(50)), headers: [] },
      ],
    });
  });

  it.each([
    ["none", kafkajsCompression.None],
    ["gzip", kafkajsCompression.GZIP],
  ])("reads kafkajs's batch (compression %s)", async (_, compression) => {
    const encoder = await kafkajsRecordBatch({
      compression,
      firstOffset: Long.fromInt(0),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_010,
      lastOffsetDelta: 1,
      producerId: Long.fromValue(9),
      producerEpoch: 1,
      firstSequence: 3,
      records: [
        kafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: b("k"), value: b("v"), headers: { a: "1", b: "2" } }),
        kafkajsRecord({ offsetDelta: 1, timestampDelta: 10, key: null, value: b("w") }),
      ],
    });
    const [batch] = readBatches(encoder.buffer, MiB);
    expect(batch).toEqual({
      baseOffset: 0n,
      attributes: compression,
      producerId: 9n,
      producerEpoch: 1,
      baseSequence: 3,
      records: [
        {
          offsetDelta: 0,
          timestamp: 1_700_000_000_000,
          key: b("k"),
          value: b("v"),
          headers: [
            [b("a"), b("1")],
            [b("b"), b("2")],
          ],
        },
        { offsetDelta: 1, timestamp: 1_700_000_000_010, key: null, value: b("w"), headers: [] },
      ],
    });
  });

  it("reads several batches in a row", () => {
    const one = platformaticBatch([{ value: b("1"), timestamp: 1n }]);
    const two = writeBatch([{ offset: 0, timestamp: 2, key: null, value: b("2"), headers: [] }]);
    expect(readBatches(Buffer.concat([one, two]), MiB).map((batch) => batch.records[0]!.value)).toEqual([
      b("1"),
      b("2"),
    ]);
  });

  it("reads no batches from no bytes", () => {
    expect(readBatches(Buffer.alloc(0), MiB)).toEqual([]);
  });

  it("refuses a batch whose CRC does not match with CORRUPT_MESSAGE", () => {
    const batch = platformaticBatch([{ value: b("payload"), timestamp: 1n }]);
    const flipped = Buffer.from(batch);
    flipped[flipped.length - 3]! ^= 0x01;
    expect(invalid(() => readBatches(flipped, MiB))).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: "a record batch fails its CRC check",
    });
  });

  it("refuses a batch cut short after a whole one (a Produce request holds whole batches)", () => {
    const batch = platformaticBatch([{ value: b("payload"), timestamp: 1n }]);
    // Cut within the next batch's header…
    expect(invalid(() => readBatches(Buffer.concat([batch, batch.subarray(0, 30)]), MiB))).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: "a record batch is truncated",
    });
    // …and within its records.
    expect(invalid(() => readBatches(Buffer.concat([batch, batch.subarray(0, -1)]), MiB))).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: `a record batch says ${batch.length - 12} bytes but the request holds ${batch.length - 13}`,
    });
  });

  it("refuses a length too small for a batch header", () => {
    const batch = resigned(platformaticBatch([{ value: b("v"), timestamp: 1n }]), (c) => c.writeInt32BE(48, 8));
    expect(invalid(() => readBatches(batch, MiB)).kafkaError).toBe("CORRUPT_MESSAGE");
  });

  it("refuses message format v1 (kafkajs's message set) with UNSUPPORTED_FOR_MESSAGE_FORMAT", async () => {
    const encoder = kafkajsMessageSetV1({
      messageVersion: 1,
      entries: [{ key: b("key"), value: b("a value long enough for the header of a v2 batch"), timestamp: 1 }],
    });
    expect(invalid(() => readBatches(encoder.buffer, MiB))).toEqual({
      kafkaError: "UNSUPPORTED_FOR_MESSAGE_FORMAT",
      message: "message format v1 is not supported; use a client that writes v2 (Kafka 0.11 and later)",
    });
  });

  it("refuses transactional and control batches with UNSUPPORTED_FOR_MESSAGE_FORMAT", () => {
    const transactional = platformaticBatch([{ value: b("v"), timestamp: 1n }], { transactionalId: "tx" });
    expect(transactional.readInt16BE(21) & 0x10).toBe(0x10);
    expect(invalid(() => readBatches(transactional, MiB)).kafkaError).toBe("UNSUPPORTED_FOR_MESSAGE_FORMAT");
    const control = resigned(platformaticBatch([{ value: b("v"), timestamp: 1n }]), (c) => c.writeInt16BE(0x20, 21));
    expect(invalid(() => readBatches(control, MiB)).kafkaError).toBe("UNSUPPORTED_FOR_MESSAGE_FORMAT");
  });

  it.each([5, 6, 7])("refuses compression type %i with UNSUPPORTED_COMPRESSION_TYPE", (type) => {
    const batch = resigned(platformaticBatch([{ value: b("v"), timestamp: 1n }]), (c) => c.writeInt16BE(type, 21));
    expect(invalid(() => readBatches(batch, MiB))).toEqual({
      kafkaError: "UNSUPPORTED_COMPRESSION_TYPE",
      message: `compression type ${type} is not one Kafka defines`,
    });
  });

  it("refuses a record count the bytes cannot hold, without reading records", () => {
    const batch = platformaticBatch([{ value: b("v"), timestamp: 1n }]);
    for (const count of [1000, 2 ** 31 - 1, -1]) {
      const lying = resigned(batch, (c) => c.writeInt32BE(count, 57));
      expect(invalid(() => readBatches(lying, MiB))).toEqual({
        kafkaError: "CORRUPT_MESSAGE",
        message: `a record batch says ${count} records`,
      });
    }
  });

  it("refuses records that run past the batch with CORRUPT_MESSAGE", () => {
    const batch = platformaticBatch([{ value: b("v"), timestamp: 1n }]);
    // Two records said, one there: within the plausible count, so the records are read.
    const lying = resigned(batch, (c) => c.writeInt32BE(2, 57));
    const { kafkaError, message } = invalid(() => readBatches(lying, MiB));
    expect(kafkaError).toBe("CORRUPT_MESSAGE");
    expect(message).toMatch(/^a record does not decode: /);
  });

  it("refuses a record whose length is not what its fields take, and bytes after the last record", () => {
    const batch = platformaticBatch([{ value: b("v"), timestamp: 1n }]);
    // The record's length, a one-byte zigzag varint at 61: one more than its fields take.
    const longer = resigned(batch, (c) => {
      c[61] = c[61]! + 2;
    });
    expect(invalid(() => readBatches(longer, MiB))).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: `a record does not decode: record 0 says it is ${(batch[61]! >> 1) + 1} bytes but its fields take ${batch[61]! >> 1}`,
    });
    const trailing = Buffer.concat([batch, Buffer.from([0, 0, 0])]);
    trailing.writeInt32BE(trailing.length - 12, 8); // the batch length covers them
    expect(
      invalid(() =>
        readBatches(
          resigned(trailing, () => {}),
          MiB,
        ),
      ),
    ).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: "a record does not decode: 3 bytes follow the batch's 1 records",
    });
  });

  it("refuses a batch over maxBytes with MESSAGE_TOO_LARGE, compressed or not", () => {
    const messages = [{ value: Buffer.alloc(2000, 0x61), timestamp: 1n }];
    expect(invalid(() => readBatches(platformaticBatch(messages), 1000))).toEqual({
      kafkaError: "MESSAGE_TOO_LARGE",
      message: "a record batch over 1000 bytes",
    });
    const gzip = platformaticBatch(messages, { compression: "gzip" });
    expect(gzip.length).toBeLessThan(200);
    expect(invalid(() => readBatches(gzip, 1000)).kafkaError).toBe("MESSAGE_TOO_LARGE");
    expect(readBatches(gzip, 4000)[0]!.records[0]!.value).toEqual(Buffer.alloc(2000, 0x61));
  });
});
