/**
 * Kafka records to Tributary's and back (gateway/record-mapping.ts). Its rules: a UTF-8 key is
 * `key`, any other `keyBase64`; a value that is exactly its own compact JSON is `value`, any
 * other `valueBase64`; a tombstone is `value: null` and the bytes `null` stay bytes; headers are
 * UTF-8 text, a null header value reads back empty, a header that is not text or comes twice is
 * refused with INVALID_RECORD. What it writes must be a record Tributary's API takes (its zod
 * schema), and what a Kafka client produced must read back through Kafka byte for byte.
 */
import { describe, expect, it } from "vitest";
import type { BatchRecord } from "../../gateway/protocol/records.ts";
import { toBatchRecord, toProduceRecord } from "../../gateway/record-mapping.ts";
import { type FetchedRecord, fetchedRecordSchema, produceRecordSchema } from "../../sdk/protocol/schemas.ts";

const b = (s: string) => Buffer.from(s);
const bytes = (...xs: number[]) => Buffer.from(xs);

function kafkaRecord(fields: Partial<BatchRecord>): BatchRecord {
  return { offsetDelta: 0, timestamp: 1_700_000_000_000, key: null, value: b("1"), headers: [], ...fields };
}

/**
 * A Kafka record through Tributary: mapped to a produce record, checked by Tributary's schema,
 * stored as JSON, fetched (at offset 42 of partition 3), and mapped back.
 */
function throughTributary(record: BatchRecord) {
  const produced = produceRecordSchema.parse(toProduceRecord(record, 0));
  const fetched: FetchedRecord = fetchedRecordSchema.parse({
    partition: 3,
    offset: 42,
    ...JSON.parse(JSON.stringify(produced)),
  });
  return toBatchRecord(fetched);
}

describe("toProduceRecord: keys", () => {
  it.each([
    ["UTF-8 text", b("user-42"), { key: "user-42" }],
    ["text beyond ASCII", b("clé-🚀"), { key: "clé-🚀" }],
    ["empty bytes", Buffer.alloc(0), { key: "" }],
    ["binary bytes", bytes(0xff, 0x00, 0x10), { keyBase64: "/wAQ" }],
    ["an overlong encoding", bytes(0xc0, 0xaf), { keyBase64: "wK8=" }],
    ["an encoded surrogate", bytes(0xed, 0xa0, 0x80), { keyBase64: "7aCA" }],
    ["a sequence cut short", bytes(0x61, 0xe2, 0x82), { keyBase64: "YeKC" }],
  ])("maps a key of %s", (_, key, expected) => {
    const record = toProduceRecord(kafkaRecord({ key }), 0);
    expect({ key: record.key, keyBase64: record.keyBase64 }).toEqual({
      key: undefined,
      keyBase64: undefined,
      ...expected,
    });
  });

  it("leaves a null key out", () => {
    expect(toProduceRecord(kafkaRecord({ key: null }), 0)).not.toHaveProperty("key");
    expect(toProduceRecord(kafkaRecord({ key: null }), 0)).not.toHaveProperty("keyBase64");
  });
});

describe("toProduceRecord: values", () => {
  it.each([
    ['{"a":1,"b":[true,null,"x"]}', { a: 1, b: [true, null, "x"] }],
    ["[1,2,3]", [1, 2, 3]],
    ['"text"', "text"],
    ['"null"', "null"],
    ['"é 🚀"', "é 🚀"],
    ["42", 42],
    ["-1.5", -1.5],
    ["1e+21", 1e21],
    ["true", true],
  ])("takes %s as the JSON value it is", (text, value) => {
    const record = toProduceRecord(kafkaRecord({ value: b(text) }), 0);
    expect(record).toHaveProperty("value");
    expect(record.value).toEqual(value);
    expect(record).not.toHaveProperty("valueBase64");
  });

  it.each([
    ["JSON with spaces", '{"a": 1}'],
    ["a number JSON writes otherwise", "1.0"],
    ["a negative zero", "-0"],
    ["a number past double precision", "12345678901234567890"],
    ["a key given twice", '{"a":1,"a":2}'],
    ["keys that JavaScript reorders", '{"b":1,"1":2}'],
    ["an escape JSON need not write", '"\\u00e9"'],
    ["text that is not JSON", "hello"],
    ["the bytes null (not a tombstone)", "null"],
    ["empty bytes", ""],
  ])("keeps %s as bytes", (_, text) => {
    const record = toProduceRecord(kafkaRecord({ value: b(text) }), 0);
    expect(record).not.toHaveProperty("value");
    expect(record.valueBase64).toBe(b(text).toString("base64"));
  });

  it("keeps a value that is not UTF-8 as bytes", () => {
    expect(toProduceRecord(kafkaRecord({ value: bytes(0x7b, 0xff, 0x7d) }), 0)).toMatchObject({ valueBase64: "e/99" });
  });

  it("maps a null value (a tombstone) to value: null", () => {
    const record = toProduceRecord(kafkaRecord({ value: null }), 0);
    expect(record).toHaveProperty("value", null);
    expect(record).not.toHaveProperty("valueBase64");
  });
});

describe("toProduceRecord: headers and timestamps", () => {
  it("maps text headers, a null header value to empty, and leaves out no headers", () => {
    const record = toProduceRecord(
      kafkaRecord({
        headers: [
          [b("trace-id"), b("abc")],
          [b(""), b("empty key")],
          [b("gone"), null],
        ],
      }),
      0,
    );
    expect(record.headers).toEqual({ "trace-id": "abc", "": "empty key", gone: "" });
    expect(toProduceRecord(kafkaRecord({ headers: [] }), 0)).not.toHaveProperty("headers");
  });

  it("refuses a header value or key that is not UTF-8 with INVALID_RECORD, naming the record", () => {
    expect(() => toProduceRecord(kafkaRecord({ headers: [[b("h"), bytes(0xff)]] }), 3)).toThrow(
      expect.objectContaining({
        kafkaError: "INVALID_RECORD",
        message: "record 3: a header that is not UTF-8 text (Tributary keeps headers as text)",
      }),
    );
    expect(() => toProduceRecord(kafkaRecord({ headers: [[bytes(0xc3), b("v")]] }), 0)).toThrow(
      expect.objectContaining({ kafkaError: "INVALID_RECORD" }),
    );
  });

  it("refuses a header key given twice with INVALID_RECORD", () => {
    const headers: [Buffer, Buffer][] = [
      [b("h"), b("1")],
      [b("h"), b("2")],
    ];
    expect(() => toProduceRecord(kafkaRecord({ headers }), 1)).toThrow(
      expect.objectContaining({
        kafkaError: "INVALID_RECORD",
        message: "record 1: header 'h' appears twice (Tributary keeps one value per header key)",
      }),
    );
  });

  it("keeps a timestamp, and leaves out -1 (no timestamp)", () => {
    expect(toProduceRecord(kafkaRecord({ timestamp: 0 }), 0).timestamp).toBe(0);
    expect(toProduceRecord(kafkaRecord({ timestamp: 1_700_000_000_123 }), 0).timestamp).toBe(1_700_000_000_123);
    expect(toProduceRecord(kafkaRecord({ timestamp: -1 }), 0)).not.toHaveProperty("timestamp");
  });
});

describe("toBatchRecord", () => {
  const fetched = (fields: Partial<FetchedRecord>): FetchedRecord => ({
    partition: 0,
    offset: 9,
    timestamp: 1_000,
    value: 1,
    ...fields,
  });

  it("writes a JSON value as its compact JSON text, and value: null as a null value", () => {
    expect(toBatchRecord(fetched({ value: { a: [1, "x"], b: null } })).value).toEqual(b('{"a":[1,"x"],"b":null}'));
    expect(toBatchRecord(fetched({ value: "text" })).value).toEqual(b('"text"'));
    expect(toBatchRecord(fetched({ value: null })).value).toBeNull();
  });

  it("writes base64 keys and values as their bytes, and text keys as UTF-8", () => {
    const record = toBatchRecord(fetched({ keyBase64: "/wAQ", value: undefined, valueBase64: "e/99" }));
    expect(record.key).toEqual(bytes(0xff, 0x00, 0x10));
    expect(record.value).toEqual(bytes(0x7b, 0xff, 0x7d));
    expect(toBatchRecord(fetched({ key: "clé" })).key).toEqual(b("clé"));
    expect(toBatchRecord(fetched({ key: null })).key).toBeNull();
    expect(toBatchRecord(fetched({})).key).toBeNull();
  });

  it("keeps the offset and timestamp, and writes headers as bytes (none for null headers)", () => {
    expect(toBatchRecord(fetched({ headers: { a: "1", é: "" } }))).toEqual({
      offset: 9,
      timestamp: 1_000,
      key: null,
      value: b("1"),
      headers: [
        [b("a"), b("1")],
        [b("é"), b("")],
      ],
    });
    expect(toBatchRecord(fetched({ headers: null })).headers).toEqual([]);
  });
});

describe("a Kafka record through Tributary and back", () => {
  it.each([
    ["a text key and a JSON value", { key: b("k"), value: b('{"n":[1,2]}') }],
    ["a binary key and a binary value", { key: bytes(0x00, 0xff), value: bytes(0xde, 0xad, 0xbe, 0xef) }],
    ["an empty key and an empty value", { key: Buffer.alloc(0), value: Buffer.alloc(0) }],
    ["no key and a tombstone", { key: null, value: null }],
    ["the bytes null", { value: b("null") }],
    ["non-compact JSON", { value: b('{ "a" : 1 }') }],
    ["text that is not JSON", { value: b("héllo 🚀") }],
    ["a JSON string escaping a lone surrogate", { value: b('"\\ud800"') }],
    ["text headers", { headers: [[b("a"), b("1")] as [Buffer, Buffer], [b("b"), b("")] as [Buffer, Buffer]] }],
  ])("reads %s back byte for byte", (_, fields) => {
    const record = kafkaRecord(fields);
    expect(throughTributary(record)).toEqual({
      offset: 42,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
      headers: record.headers,
    });
  });

  it("reads a null header value back as empty, as documented", () => {
    expect(throughTributary(kafkaRecord({ headers: [[b("h"), null]] })).headers).toEqual([[b("h"), b("")]]);
  });
});

describe("a UTF-8 byte order mark", () => {
  const bom = bytes(0xef, 0xbb, 0xbf);

  it("is kept at the start of a key, value or header, so that the record reads back byte for byte", () => {
    const record = kafkaRecord({
      key: Buffer.concat([bom, b("k")]),
      value: Buffer.concat([bom, b('{"a":1}')]),
      headers: [[b("h"), Buffer.concat([bom, b("v")])]],
    });
    const produced = toProduceRecord(record, 0);
    expect(produced.key).toBe("\ufeffk");
    expect(produced.headers).toEqual({ h: "\ufeffv" });
    // With its mark the value is not JSON text (JSON.parse takes no U+FEFF), so it stays bytes.
    expect(produced).not.toHaveProperty("value");
    expect(produced.valueBase64).toBe(record.value!.toString("base64"));
    expect(throughTributary(record)).toEqual({
      offset: 42,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
      headers: record.headers,
    });
  });
});

describe("a header named __proto__", () => {
  it("is refused with INVALID_RECORD rather than dropped (Tributary's JSON headers cannot keep it)", () => {
    const record = kafkaRecord({
      headers: [
        [b("a"), b("1")],
        [b("__proto__"), b("x")],
      ],
    });
    expect(() => toProduceRecord(record, 2)).toThrow(
      expect.objectContaining({
        kafkaError: "INVALID_RECORD",
        message: expect.stringMatching(/^record 2: .*__proto__/),
      }),
    );
  });
});
