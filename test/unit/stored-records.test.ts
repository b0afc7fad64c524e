import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, encodeRecords, TIMESTAMP_FIRST, toStored, utf8Length } from "../../cluster/stored-records.ts";
import type { ProduceRecord } from "../../sdk/protocol/schemas.ts";

describe("utf8Length", () => {
  it.each(["", "ascii", "é", "€", "🚀", "a€🚀é"])("counts %j as TextEncoder does", (s) => {
    expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });
});

describe("toStored", () => {
  it("drops partition and a null key, and puts an own timestamp first", () => {
    const text = JSON.stringify(toStored({ key: null, value: 1, partition: 2, timestamp: 5, headers: { a: "b" } }));
    expect(text).toBe('{"timestamp":5,"value":1,"headers":{"a":"b"}}');
    expect(text.startsWith(TIMESTAMP_FIRST)).toBe(true);
    expect(JSON.stringify(toStored({ valueBase64: "AA==", keyBase64: "AQ==" }))).toBe(
      '{"keyBase64":"AQ==","valueBase64":"AA=="}',
    );
  });
});

describe("encodeRecords", () => {
  it("encodes a small batch as one chunk", () => {
    const encoded = encodeRecords([{ value: 1 }, { value: "two" }], 1000);
    expect(encoded).toEqual({ chunks: ['[{"value":1},{"value":"two"}]'], count: 2, bytes: 29 });
  });

  it("refuses a record over maxMessageBytes, counting UTF-8 bytes", () => {
    const encoded = encodeRecords([{ value: "ok" }, { value: "€".repeat(400) }], 1000);
    expect(encoded).toMatchObject({ ok: false, code: "MESSAGE_TOO_LARGE", details: { recordBytes: 1212 } });
  });

  it("splits a batch over the storage string limit into chunks that keep every record whole and in order", () => {
    const records: ProduceRecord[] = Array.from({ length: 2500 }, (_, i) => ({ value: { i, pad: "x".repeat(1000) } }));
    const encoded = encodeRecords(records, 1_000_000);
    if ("ok" in encoded) throw new Error(encoded.message);
    expect(encoded.chunks.length).toBe(2);
    for (const chunk of encoded.chunks) expect(utf8Length(chunk)).toBeLessThanOrEqual(CHUNK_BYTES);
    const back = encoded.chunks.flatMap((c) => JSON.parse(c) as { value: { i: number } }[]);
    expect(back.map((r) => r.value.i)).toEqual(records.map((_, i) => i));
  });

  it("uses the text as sent when given one", () => {
    const sent = '[{"value": 1}]';
    expect(encodeRecords([{ value: 1 }], 1000, sent)).toEqual({ chunks: [sent], count: 1, bytes: sent.length });
  });
});
