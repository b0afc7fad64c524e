import { describe, expect, it } from "vitest";
import {
  BINARY_PIECE_BYTES,
  bytesBody,
  isTextStream,
  jsonBody,
  mediaType,
  prepareBody,
} from "../../cluster/durable-streams/bodies.ts";
import { topicNameFor } from "../../cluster/durable-streams/topic-name.ts";
import {
  admit,
  checkProducer,
  expiryTime,
  isExpired,
  PRODUCER_STATE_TTL_MS,
  type StreamMeta,
  sameSettings,
} from "../../durable-objects/durable-stream/state.ts";
import { responseCursor } from "../../worker/compat/durable-streams/cursor.ts";
import { parseCreate, parseFork, parseProducer } from "../../worker/compat/durable-streams/headers.ts";
import { encodeOffset, parseOffset } from "../../worker/compat/durable-streams/offsets.ts";
import { sseEvent } from "../../worker/compat/durable-streams/sse.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("offsets", () => {
  it("encodes positions so that string order is position order", () => {
    const encoded = [0, 9, 10, 99, 12345678901].map(encodeOffset);
    expect([...encoded].sort()).toEqual(encoded);
    expect(encodeOffset(42)).toBe("0000000000000000_0000000000000042");
  });

  it("reads back what it wrote, plus -1 and now", () => {
    expect(parseOffset(encodeOffset(7))).toEqual({ kind: "at", position: 7 });
    expect(parseOffset("-1")).toEqual({ kind: "start" });
    expect(parseOffset("now")).toEqual({ kind: "now" });
  });

  it("refuses anything that is not an offset, and puts offsets of a higher epoch past every position", () => {
    for (const bad of ["", "abc", "-2", "1", "../etc/passwd", "1_2_3", "1_a", " 1_2", "NOW"]) {
      expect(parseOffset(bad)).toBeUndefined();
    }
    expect(parseOffset("0000000000000001_0000000000000000")).toEqual({
      kind: "at",
      position: Number.POSITIVE_INFINITY,
    });
  });
});

describe("cursor", () => {
  it("answers the current 20 s interval, and always more than a cursor at or past it", () => {
    const now = Date.UTC(2024, 9, 9) + 20_000 * 100 + 5;
    expect(responseCursor(undefined, now)).toBe("100");
    expect(responseCursor("50", now)).toBe("100");
    expect(Number(responseCursor("100", now, () => 0))).toBeGreaterThan(100);
    expect(Number(responseCursor("500", now, () => 0.999))).toBeGreaterThan(500);
  });
});

describe("request headers", () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it("defaults the content type and reads TTL, expiry and closed", () => {
    expect(parseCreate(headers({}))).toEqual({ contentType: "application/octet-stream", closed: false });
    expect(parseCreate(headers({ "content-type": "text/plain", "stream-ttl": "60", "stream-closed": "true" }))).toEqual(
      { contentType: "text/plain", ttlSeconds: 60, closed: true },
    );
  });

  it("refuses a TTL that is not a plain decimal, a bad date, and TTL with Expires-At", () => {
    for (const ttl of ["-1", "1.5", "+1", "01", "1e3", "0x10", "1 2"]) {
      expect(parseCreate(headers({ "stream-ttl": ttl }))).toEqual({ invalid: "Invalid Stream-TTL value" });
    }
    expect(parseCreate(headers({ "stream-expires-at": "tomorrow" }))).toHaveProperty("invalid");
    expect(parseCreate(headers({ "stream-ttl": "5", "stream-expires-at": "2030-01-01T00:00:00Z" }))).toHaveProperty(
      "invalid",
    );
  });

  it("takes the producer triple whole or not at all", () => {
    expect(parseProducer(headers({}))).toEqual({});
    expect(parseProducer(headers({ "producer-id": "p", "producer-epoch": "1", "producer-seq": "2" }))).toEqual({
      producer: { id: "p", epoch: 1, seq: 2 },
    });
    expect(parseProducer(headers({ "producer-id": "p", "producer-epoch": "1" }))).toHaveProperty("invalid");
    expect(parseProducer(headers({ "producer-id": "", "producer-epoch": "1", "producer-seq": "0" }))).toHaveProperty(
      "invalid",
    );
    expect(parseProducer(headers({ "producer-id": "p", "producer-epoch": "1e3", "producer-seq": "0" }))).toHaveProperty(
      "invalid",
    );
    expect(parseProducer(headers({ "producer-id": "p", "producer-epoch": "1", "producer-seq": "-1" }))).toHaveProperty(
      "invalid",
    );
  });
});

describe("fork headers", () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it("reads the source, the offset and the sub-offset", () => {
    expect(parseFork(headers({}))).toEqual({});
    expect(
      parseFork(headers({ "stream-forked-from": "/a", "stream-fork-offset": "0_5", "stream-fork-sub-offset": "3" })),
    ).toEqual({ fork: { from: "/a", offsetHeader: "0_5", subOffset: 3 } });
  });

  it("refuses a sub-offset without a source, and malformed offsets", () => {
    expect(parseFork(headers({ "stream-fork-sub-offset": "0" }))).toHaveProperty("invalid");
    expect(parseFork(headers({ "stream-forked-from": "/a", "stream-fork-offset": "-1" }))).toHaveProperty("invalid");
    for (const sub of ["", "-1", "01", "1.5", "x"]) {
      expect(parseFork(headers({ "stream-forked-from": "/a", "stream-fork-sub-offset": sub }))).toHaveProperty(
        "invalid",
      );
    }
  });
});

describe("bodies and records", () => {
  it("splits a JSON array into one record per message, and keeps a single value whole", () => {
    expect(prepareBody(bytes('[{"a":1}, 2, "x"]'), true, false)).toEqual({
      records: [{ value: { a: 1 } }, { value: 2 }, { value: "x" }],
    });
    expect(prepareBody(bytes('{"a":[1,2]}'), true, false)).toEqual({ records: [{ value: { a: [1, 2] } }] });
  });

  it("refuses bad JSON, and an empty array except on create", () => {
    expect(prepareBody(bytes("{nope"), true, false)).toEqual({ invalid: "Invalid JSON" });
    expect(prepareBody(bytes("[]"), true, false)).toEqual({ invalid: "Empty arrays are not allowed" });
    expect(prepareBody(bytes("[]"), true, true)).toEqual({ records: [] });
  });

  it("keeps binary bodies byte for byte, in pieces that fit a record", () => {
    const body = new Uint8Array(BINARY_PIECE_BYTES * 2 + 3);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const prepared = prepareBody(body, false, false);
    if ("invalid" in prepared) throw new Error(prepared.invalid);
    expect(prepared.records).toHaveLength(3);
    const back = bytesBody(prepared.records as { valueBase64: string }[]);
    expect(back.length).toBe(body.length);
    expect(back.findIndex((b, i) => b !== body[i])).toBe(-1);
  });

  it("answers JSON messages as one array", () => {
    expect(jsonBody([{ value: { a: 1 } }, { value: [2] }, { value: null }])).toBe('[{"a":1},[2],null]');
    expect(jsonBody([])).toBe("[]");
  });

  it("normalizes media types and knows which are text", () => {
    expect(mediaType(" Application/JSON; charset=utf-8")).toBe("application/json");
    expect(isTextStream("text/plain;charset=utf-8")).toBe(true);
    expect(isTextStream("application/json")).toBe(true);
    expect(isTextStream("application/octet-stream")).toBe(false);
  });
});

describe("SSE framing", () => {
  it("gives every line of a payload its own data line, so a payload cannot start an event", () => {
    expect(sseEvent("data", "a\r\nb\rc\nd")).toBe("event: data\ndata:a\ndata:b\ndata:c\ndata:d\n\n");
    expect(sseEvent("data", "x\n\nevent: control")).toBe("event: data\ndata:x\ndata:\ndata:event: control\n\n");
  });
});

describe("topic names", () => {
  it("are valid topic names, deterministic, and distinct for paths that read alike", async () => {
    const a = await topicNameFor("/orders/eu");
    expect(a).toMatch(/^ds\.orders_eu\.[0-9a-f]{16}$/);
    expect(await topicNameFor("/orders/eu")).toBe(a);
    expect(await topicNameFor("/orders_eu")).not.toBe(a);
    const long = await topicNameFor(`/${"é/".repeat(500)}`);
    expect(long).toMatch(/^[a-zA-Z0-9._-]{1,249}$/);
  });
});

describe("stream state", () => {
  const meta = (over: Partial<StreamMeta> = {}): StreamMeta => ({
    path: "/s",
    topic: { name: "ds.s.0", id: "id" },
    contentType: "text/plain",
    closed: false,
    createdAt: 0,
    lastAccessedAt: 1_000,
    tail: 0,
    ...over,
  });

  it("expires at Expires-At or TTL seconds after the last access, whichever is first", () => {
    expect(expiryTime(meta())).toBeUndefined();
    expect(expiryTime(meta({ ttlSeconds: 10 }))).toBe(11_000);
    expect(isExpired(meta({ ttlSeconds: 10 }), 10_999)).toBe(false);
    expect(isExpired(meta({ ttlSeconds: 10 }), 11_000)).toBe(true);
    expect(expiryTime(meta({ expiresAt: "1970-01-01T00:00:05.000Z" }))).toBe(5_000);
  });

  it("treats a repeated create as the same stream only with the same settings", () => {
    const m = meta({ contentType: "text/plain; charset=utf-8", ttlSeconds: 5 });
    expect(sameSettings(m, { contentType: "TEXT/PLAIN", ttlSeconds: 5, closed: false })).toBe(true);
    expect(sameSettings(m, { contentType: "text/plain", closed: false })).toBe(false);
    expect(sameSettings(m, { contentType: "text/html", ttlSeconds: 5, closed: false })).toBe(false);
    expect(sameSettings(m, { contentType: "text/plain", ttlSeconds: 5, closed: true })).toBe(false);
  });

  it("follows the protocol's producer rules", () => {
    const p = (epoch: number, seq: number) => ({ id: "p", epoch, seq });
    const now = 1_000;
    expect(checkProducer(undefined, p(0, 0), now)).toEqual({
      status: "accepted",
      state: { epoch: 0, lastSeq: 0, updatedAt: now },
    });
    expect(checkProducer(undefined, p(0, 3), now)).toEqual({ status: "sequence_gap", expected: 0, received: 3 });
    const known = { epoch: 2, lastSeq: 4, updatedAt: now };
    expect(checkProducer(known, p(2, 5), now)).toMatchObject({ status: "accepted", state: { lastSeq: 5 } });
    expect(checkProducer(known, p(2, 4), now)).toEqual({ status: "duplicate", lastSeq: 4 });
    expect(checkProducer(known, p(2, 1), now)).toEqual({ status: "duplicate", lastSeq: 4 });
    expect(checkProducer(known, p(2, 7), now)).toEqual({ status: "sequence_gap", expected: 5, received: 7 });
    expect(checkProducer(known, p(1, 5), now)).toEqual({ status: "stale_epoch", currentEpoch: 2 });
    expect(checkProducer(known, p(3, 0), now)).toMatchObject({ status: "accepted", state: { epoch: 3, lastSeq: 0 } });
    expect(checkProducer(known, p(3, 1), now)).toEqual({ status: "invalid_epoch_seq" });
    // Forgotten after a week unused: a new start at 0 is accepted again.
    expect(checkProducer(known, p(0, 0), now + PRODUCER_STATE_TTL_MS + 1)).toMatchObject({ status: "accepted" });
  });
});

describe("admitting appends in order", () => {
  const body = { chunks: ['[{"value":1}]'], count: 1, bytes: 13 };
  const none = () => undefined;
  const open = () => ({ tail: 5, closed: false });

  it("refuses a closed stream, except a retry of the close and a plain close again", () => {
    const closedBy = { id: "p", epoch: 0, seq: 3 };
    const work = { tail: 5, closed: true, closedBy };
    expect(admit(work, "text/plain", { close: false, body }, none, 0)).toEqual({ kind: "closed", tail: 5 });
    expect(admit(work, "text/plain", { close: true, producer: closedBy }, none, 0)).toEqual({
      kind: "duplicate",
      lastSeq: 3,
      tail: 5,
      closed: true,
    });
    expect(admit(work, "text/plain", { close: true }, none, 0)).toEqual({ kind: "appended", tail: 5, closed: true });
  });

  it("checks content type, then producer, then Stream-Seq, then the body", () => {
    const known = () => ({ epoch: 1, lastSeq: 2, updatedAt: 0 });
    const input = { close: false, contentType: "text/html", producer: { id: "p", epoch: 0, seq: 9 }, body };
    expect(admit(open(), "text/plain", input, known, 0)).toEqual({ kind: "content_type_mismatch" });
    expect(admit(open(), "text/plain", { ...input, contentType: "text/plain" }, known, 0)).toEqual({
      kind: "stale_epoch",
      currentEpoch: 1,
    });
    expect(admit({ ...open(), lastSeq: "b" }, "text/plain", { close: false, seq: "a", body }, none, 0)).toEqual({
      kind: "seq_conflict",
    });
    expect(admit(open(), "text/plain", { close: false, body: { invalid: "Invalid JSON" } }, none, 0)).toEqual({
      kind: "invalid",
      message: "Invalid JSON",
    });
  });

  it("accepts with the producer state the append leaves", () => {
    expect(
      admit(open(), "text/plain", { close: false, producer: { id: "p", epoch: 0, seq: 0 }, body }, none, 7),
    ).toEqual({
      producer: { id: "p", state: { epoch: 0, lastSeq: 0, updatedAt: 7 } },
    });
    expect(admit(open(), "text/plain", { close: false, body }, none, 7)).toEqual({ producer: undefined });
  });
});
