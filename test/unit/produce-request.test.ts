import { describe, expect, it } from "vitest";
import { produceRequestSchema } from "../../sdk/protocol/schemas.ts";
import { isPlainRecord, parseProduceRequest } from "../../worker/produce-request.ts";

// Inputs near every edge of the schema. For each, the fast path may only accept what zod
// accepts, and must then give the same result.
const records: unknown[] = [
  { value: 1 },
  { value: null },
  { value: { a: [1, 2] }, key: "k", headers: { h: "v" }, timestamp: 0, partition: 3 },
  { key: null, value: "x" },
  { key: 5, value: "x" },
  { key: "k" },
  {},
  { value: 1, headers: {} },
  { value: 1, headers: { a: 1 } },
  { value: 1, headers: [] },
  { value: 1, headers: null },
  { value: 1, timestamp: -1 },
  { value: 1, timestamp: 1.5 },
  { value: 1, timestamp: 2 ** 53 },
  { value: 1, timestamp: "1" },
  { value: 1, partition: -0 },
  { value: 1, partition: null },
  { value: 1, extra: 1 },
  { valueBase64: "AA==" },
  { value: 1, valueBase64: "AA==" },
  { value: 1, keyBase64: "AA==" },
  JSON.parse('{"value":1,"__proto__":{"x":1}}'),
  JSON.parse('{"value":1,"headers":{"__proto__":"x"}}'),
  [1],
  null,
  "string",
  7,
];

describe("parseProduceRequest", () => {
  it("refuses a header named __proto__ (an object built from it would lose it) on both paths", () => {
    const body = JSON.parse('{"records":[{"value":1,"headers":{"__proto__":"x","a":"b"}}]}');
    expect(produceRequestSchema.safeParse(body).success).toBe(false);
    expect(() => parseProduceRequest(body)).toThrow(/a header may not be named __proto__/);
  });

  it.each(records.map((r) => [JSON.stringify(r), r]))("agrees with the zod schema on the record %s", (_, record) => {
    const zod = produceRequestSchema.safeParse({ records: [record] });
    if (isPlainRecord(record)) {
      expect(zod.success).toBe(true);
      expect(parseProduceRequest({ records: [record] })).toEqual(zod.data);
    }
    if (!zod.success) expect(() => parseProduceRequest({ records: [record] })).toThrow();
    else expect(parseProduceRequest({ records: [record] })).toEqual(zod.data);
  });

  it.each([
    [{ records: [{ value: 1 }], acks: "all" }],
    [{ records: [{ value: 1 }], acks: 0 }],
    [{ records: [{ value: 1 }], acks: -1 }],
    [{ records: [{ value: 1 }], acks: 2 }],
    [{ records: [{ value: 1 }], acks: null }],
    [{ records: [] }],
    [{ records: {} }],
    [{ records: [{ value: 1 }], other: 1 }],
    [{ records: [{ value: 1 }], producer: { id: "p", epoch: 0, sequence: 0 } }],
    [{ records: [{ value: 1 }], producer: { id: "p", epoch: 0, sequence: 0, extra: 1 } }],
    [{ records: [{ value: 1 }], producer: { id: "", epoch: 0, sequence: 0 } }],
    [{ records: [{ value: 1 }], producer: { id: "x".repeat(65), epoch: 0, sequence: 0 } }],
    [{ records: [{ value: 1 }], producer: { id: "p", epoch: -1, sequence: 0 } }],
    [{ records: [{ value: 1 }], producer: { id: "p", epoch: 0 } }],
    [{ records: [{ value: 1 }], producer: null }],
    [{ records: [{ value: 1 }], acks: "all", producer: { id: "p", epoch: 3, sequence: 9 } }],
    [[]],
  ])("agrees with the zod schema on the request %j", (body) => {
    const zod = produceRequestSchema.safeParse(body);
    if (!zod.success) expect(() => parseProduceRequest(body)).toThrow();
    else expect(parseProduceRequest(body)).toEqual(zod.data);
  });

  it("accepts plain records without copying them", () => {
    const body = { records: [{ value: 1, key: "a" }] };
    expect(parseProduceRequest(body).records[0]).toBe(body.records[0]);
  });
});
