import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64 } from "../../sdk/base64.ts";
import { toWireRecord } from "../../sdk/producer/messages.ts";
import { produceRecordSchema } from "../../sdk/protocol/schemas.ts";
import { decodeRecord } from "../../sdk/reader.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("base64", () => {
  it("encodes as standard padded base64", () => {
    expect(bytesToBase64(utf8("hello"))).toBe("aGVsbG8=");
    expect(bytesToBase64(utf8("hi"))).toBe("aGk=");
    expect(bytesToBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe("+/+/");
    expect(bytesToBase64(new Uint8Array())).toBe("");
  });

  it("round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
  });

  it("round-trips values larger than one encoding chunk", () => {
    const big = Uint8Array.from({ length: 40_003 }, (_, i) => (i * 7919) & 0xff);
    const encoded = bytesToBase64(big);
    expect(encoded).toHaveLength(Math.ceil(big.length / 3) * 4);
    expect(base64ToBytes(encoded)).toEqual(big);
  });

  it("encodes only the viewed bytes of a subarray", () => {
    const whole = utf8("xxhelloxx");
    expect(bytesToBase64(whole.subarray(2, 7))).toBe("aGVsbG8=");
  });
});

describe("messages in the API's record form", () => {
  it("sends string keys and JSON values as they are", () => {
    const record = toWireRecord({ key: "ad-42", value: { adId: "ad-42", n: [1, 2] } }, 0);
    expect(record).toEqual({ key: "ad-42", value: { adId: "ad-42", n: [1, 2] } });
  });

  it("sends a string value as a JSON string, not as bytes", () => {
    expect(toWireRecord({ value: "plain text" }, 0)).toEqual({ value: "plain text" });
  });

  it("sends null as a JSON value", () => {
    expect(toWireRecord({ key: null, value: null }, 0)).toEqual({ value: null });
  });

  it("sends binary keys and values as base64", () => {
    const record = toWireRecord({ key: new Uint8Array([1, 2, 3]), value: new Uint8Array([0, 255]) }, 0);
    expect(record).toEqual({ keyBase64: "AQID", valueBase64: "AP8=" });
  });

  it("sends an ArrayBuffer value as base64", () => {
    expect(toWireRecord({ value: new Uint8Array([104, 105]).buffer }, 0)).toEqual({ valueBase64: "aGk=" });
  });

  it("sends headers, a Date timestamp as ms, and an explicit partition", () => {
    const record = toWireRecord(
      { value: 1, headers: { source: "edge" }, timestamp: new Date(1_732_240_000_000), partition: 3 },
      0,
    );
    expect(record).toEqual({ value: 1, headers: { source: "edge" }, timestamp: 1_732_240_000_000, partition: 3 });
  });

  it("produces records the server's schema accepts", () => {
    const messages = [
      { key: "k", value: { a: 1 }, headers: { h: "v" }, timestamp: 5, partition: 0 },
      { key: utf8("k"), value: utf8("v") },
      { value: "s" },
    ];
    for (const [i, m] of messages.entries()) {
      expect(produceRecordSchema.safeParse(toWireRecord(m, i)).success).toBe(true);
    }
  });
});

describe("fetched records in the SDK's form", () => {
  it("decodes base64 keys and values to bytes", () => {
    const record = decodeRecord("t", { partition: 1, offset: 7, timestamp: 9, keyBase64: "AQID", valueBase64: "AP8=" });
    expect(record).toEqual({
      topic: "t",
      partition: 1,
      offset: 7,
      timestamp: 9,
      key: new Uint8Array([1, 2, 3]),
      value: new Uint8Array([0, 255]),
      headers: {},
    });
  });

  it("keeps JSON values and string keys, and makes a missing key null", () => {
    expect(decodeRecord("t", { partition: 0, offset: 0, timestamp: 1, key: "k", value: { a: 1 } })).toMatchObject({
      key: "k",
      value: { a: 1 },
    });
    expect(decodeRecord("t", { partition: 0, offset: 0, timestamp: 1, value: "v", headers: { h: "1" } })).toMatchObject(
      { key: null, value: "v", headers: { h: "1" } },
    );
  });
});
