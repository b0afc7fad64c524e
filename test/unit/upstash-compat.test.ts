// The pure parts of the Upstash Kafka REST API: credentials, message conversion, the error
// form the client parses, request validation and the offset arithmetic of consumer instances.
import { describe, expect, it } from "vitest";
import { tokenFromAuthorization } from "../../worker/compat/upstash/credentials.ts";
import { toUpstashError } from "../../worker/compat/upstash/errors.ts";
import { toProduceRecord, toUpstashMessage } from "../../worker/compat/upstash/messages.ts";
import { boundFor, resetEnd, startOffset, uncommitted } from "../../worker/compat/upstash/offsets.ts";
import {
  consumeBodySchema,
  consumeHeadersSchema,
  consumeTopics,
  fetchBodySchema,
  fetchTargets,
  offsetTimeSchema,
  oneOrMany,
  produceItemSchema,
  topicPartitionSchema,
} from "../../worker/compat/upstash/schemas.ts";
import { ApiError } from "../../worker/errors.ts";

/** The header @upstash/kafka builds from username and password. */
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

function thrown(f: () => unknown): ApiError {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("tokenFromAuthorization", () => {
  it("takes the password of Basic credentials as the token, whatever the username", () => {
    expect(tokenFromAuthorization(basic("any-user", "tok_a"))).toEqual({ token: "tok_a" });
    expect(tokenFromAuthorization(basic("", "with:colon"))).toEqual({ token: "with:colon" });
  });

  it("accepts a bearer token as well", () => {
    expect(tokenFromAuthorization("Bearer tok_b")).toEqual({ token: "tok_b" });
  });

  it("says what is wrong with missing or malformed credentials", () => {
    expect(tokenFromAuthorization(undefined)).toEqual({ problem: expect.stringContaining("missing credentials") });
    expect(tokenFromAuthorization("Digest abc")).toEqual({
      problem: expect.stringContaining("neither Basic nor Bearer"),
    });
    expect(tokenFromAuthorization(`Basic ${btoa("no-colon")}`)).toEqual({ problem: expect.stringContaining("no ':'") });
    expect(tokenFromAuthorization("Basic a")).toEqual({ problem: expect.stringContaining("not valid base64") });
  });
});

describe("toProduceRecord", () => {
  it("keeps the value as the exact string sent, with key, partition, timestamp and headers", () => {
    const item = produceItemSchema.parse({
      topic: "t",
      value: '{"a": 1.0}',
      key: "k",
      partition: 2,
      timestamp: 1_700_000_000_000,
      headers: [{ key: "trace", value: "x" }],
    });
    expect(toProduceRecord(item, 0)).toEqual({
      value: '{"a": 1.0}',
      key: "k",
      partition: 2,
      timestamp: 1_700_000_000_000,
      headers: { trace: "x" },
    });
    expect(toProduceRecord({ topic: "t", value: "v" }, 0)).toEqual({ value: "v" });
  });

  it("refuses a header key given twice rather than dropping a value", () => {
    const item = {
      topic: "t",
      value: "v",
      headers: [
        { key: "h", value: "1" },
        { key: "h", value: "2" },
      ],
    };
    const err = thrown(() => toProduceRecord(item, 3));
    expect(err.code).toBe("INVALID_REQUEST");
    expect(err.message).toMatch(/^message 3: header 'h' appears twice \(headers\[1\]\)/);
  });
});

describe("toUpstashMessage", () => {
  const base = { partition: 1, offset: 7, timestamp: 5 };

  it("answers the client's Message shape, headers as a list", () => {
    expect(toUpstashMessage("t", { ...base, key: "k", value: "v", headers: { a: "1", b: "2" } })).toEqual({
      topic: "t",
      partition: 1,
      offset: 7,
      timestamp: 5,
      key: "k",
      value: "v",
      headers: [
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ],
    });
  });

  it("shows records produced through Tributary's own API as text: JSON values as JSON, bytes as UTF-8", () => {
    expect(toUpstashMessage("t", { ...base, value: { n: 1 } })).toMatchObject({
      key: "",
      value: '{"n":1}',
      headers: [],
    });
    expect(toUpstashMessage("t", { ...base, value: null, key: null })).toMatchObject({ key: "", value: "null" });
    const bytes = btoa(String.fromCharCode(...new TextEncoder().encode("héllo")));
    expect(toUpstashMessage("t", { ...base, valueBase64: bytes, keyBase64: btoa("k") })).toMatchObject({
      key: "k",
      value: "héllo",
    });
  });
});

describe("toUpstashError", () => {
  it("answers {error, status} with the code first, as the client's UpstashError reads it", () => {
    const answer = toUpstashError(new ApiError("UNKNOWN_TOPIC_OR_PARTITION", "topic 'x' does not exist"));
    expect(answer).toEqual({
      status: 404,
      body: { error: "UNKNOWN_TOPIC_OR_PARTITION: topic 'x' does not exist", status: 404 },
      headers: undefined,
    });
  });

  it("maps runtime overload to 429 with Retry-After and anything unknown to 500", () => {
    const overloaded = Object.assign(new Error("too busy"), { overloaded: true });
    expect(toUpstashError(overloaded)).toMatchObject({ status: 429, headers: { "Retry-After": "1" } });
    expect(toUpstashError(new TypeError("boom"))).toEqual({
      status: 500,
      body: { error: "UNKNOWN_SERVER_ERROR: the server failed unexpectedly; the error was logged", status: 500 },
      headers: undefined,
    });
  });
});

describe("request validation", () => {
  it("takes one item or a non-empty list, naming the failing field", () => {
    expect(oneOrMany(topicPartitionSchema, { topic: "t", partition: 0 }, "req")).toEqual([
      { topic: "t", partition: 0 },
    ]);
    expect(thrown(() => oneOrMany(topicPartitionSchema, [], "req")).message).toContain("the list is empty");
    expect(thrown(() => oneOrMany(topicPartitionSchema, [{ topic: "t", partition: -1 }], "req")).message).toMatch(
      /^req: \[0\]\.partition: /,
    );
    expect(thrown(() => oneOrMany(produceItemSchema, { topic: "t" }, "produce request")).message).toContain(
      "value is required",
    );
  });

  it("fetch: inline topic, partition and offset together, or a list, or both", () => {
    const both = fetchBodySchema.parse({
      topic: "a",
      partition: 0,
      offset: 3,
      topicPartitionOffsets: [{ topic: "b", partition: 1, offset: 0 }],
    });
    expect(fetchTargets(both)).toEqual([
      { topic: "b", partition: 1, offset: 0 },
      { topic: "a", partition: 0, offset: 3 },
    ]);
    expect(fetchBodySchema.safeParse({ topic: "a", partition: 0 }).error?.issues[0]?.message).toBe(
      "give topic, partition and offset together",
    );
    expect(fetchBodySchema.safeParse({}).success).toBe(false);
    expect(fetchBodySchema.safeParse({ topic: "a", partition: 0, offset: 0, timeout: 30_001 }).success).toBe(false);
  });

  it("consume: topic or topics, and the settings from the client's headers", () => {
    expect(consumeTopics(consumeBodySchema.parse({ topic: "a" }))).toEqual(["a"]);
    expect(consumeTopics(consumeBodySchema.parse({ topics: ["a", "b", "a"] }))).toEqual(["a", "b"]);
    expect(consumeBodySchema.safeParse({ timeout: 5 }).success).toBe(false);
    expect(consumeHeadersSchema.parse({})).toEqual({
      "kafka-enable-auto-commit": "true",
      "kafka-auto-offset-reset": "latest",
    });
    expect(
      consumeHeadersSchema.parse({ "kafka-enable-auto-commit": "false", "kafka-auto-offset-reset": "earliest" }),
    ).toMatchObject({ "kafka-enable-auto-commit": "false", "kafka-auto-offset-reset": "earliest" });
    expect(consumeHeadersSchema.safeParse({ "kafka-auto-offset-reset": "smallest" }).success).toBe(false);
  });

  it("offsets: earliest, latest or milliseconds", () => {
    expect(offsetTimeSchema.parse("earliest")).toBe("earliest");
    expect(offsetTimeSchema.parse("1700000000000")).toBe(1_700_000_000_000);
    expect(offsetTimeSchema.safeParse("yesterday").success).toBe(false);
  });
});

describe("consumer instance offsets", () => {
  const p = (position: number | null, committed: number | null, partition = 0) => ({
    topic: "t",
    partition,
    position,
    committed,
  });

  it("reads on from the kept position, else the committed offset, else from a reset", () => {
    expect(startOffset(p(5, 3))).toBe(5);
    expect(startOffset(p(null, 3))).toBe(3);
    expect(startOffset(p(null, null))).toBeUndefined();
  });

  it("auto-commits only positions the committed offsets have not caught up with", () => {
    expect(uncommitted([p(5, 3, 0), p(4, 4, 1), p(null, 2, 2), p(1, null, 3)])).toEqual([
      { topic: "t", partition: 0, offset: 5 },
      { topic: "t", partition: 3, offset: 1 },
    ]);
  });

  it("resets to an end of the log, or refuses with autoOffsetReset none", () => {
    const where = { topic: "t", partition: 2, group: "g" };
    expect(resetEnd("earliest", where, "no committed offset")).toBe("earliest");
    expect(resetEnd("latest", where, "no committed offset")).toBe("latest");
    const err = thrown(() => resetEnd("none", where, "no committed offset"));
    expect(err.code).toBe("OFFSET_OUT_OF_RANGE");
    expect(err.message).toMatch(/^no committed offset for t\/2 in consumer group 'g' and autoOffsetReset is 'none'/);
    expect(boundFor("earliest", { logStartOffset: 10, highWatermark: 20 })).toBe(10);
    expect(boundFor("latest", { logStartOffset: 10, highWatermark: 20 })).toBe(20);
  });
});
