import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../sdk/protocol/errors.ts";
import { call, createTopic } from "../helpers/http.ts";

function expectEnvelope(res: { status: number; json: any; headers: Headers }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(res.json.error.code).toBe(code);
  expect(typeof res.json.error.message).toBe("string");
  expect(res.json.error.message.length).toBeGreaterThan(10);
  expect(res.json.error.retriable).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].retriable);
}

describe("the error envelope", () => {
  it("answers 401 UNAUTHENTICATED to a wrong or missing token", async () => {
    expectEnvelope(
      await call("GET", "/v1/topics", undefined, { authorization: "Bearer wrong" }),
      401,
      "UNAUTHENTICATED",
    );
    expectEnvelope(await call("GET", "/v1/topics", undefined, { authorization: "" }), 401, "UNAUTHENTICATED");
    expectEnvelope(
      await call("GET", "/v1/topics", undefined, { authorization: "Basic dGVzdDp0ZXN0" }),
      401,
      "UNAUTHENTICATED",
    );
    const res = await call("GET", "/v1/topics", undefined, { authorization: "Bearer test-token-but-longer" });
    expectEnvelope(res, 401, "UNAUTHENTICATED");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("accepts every configured token", async () => {
    expect((await call("GET", "/v1/topics", undefined, { authorization: "Bearer second-token" })).status).toBe(200);
  });

  it("answers healthz without a token", async () => {
    const res = await call("GET", "/healthz", undefined, { authorization: "" });
    expect(res.json).toEqual({ ok: true });
  });

  it("answers 404 NOT_FOUND to unknown routes", async () => {
    expectEnvelope(await call("GET", "/v1/nothing-here"), 404, "NOT_FOUND");
    expectEnvelope(await call("GET", "/"), 404, "NOT_FOUND");
    expectEnvelope(await call("PUT", "/v1/topics"), 404, "NOT_FOUND");
  });

  it("answers INVALID_REQUEST to malformed JSON and empty bodies", async () => {
    const topic = await createTopic(1);
    expectEnvelope(await call("POST", `/v1/topics/${topic}/records`, "{not json"), 400, "INVALID_REQUEST");
    expectEnvelope(await call("POST", `/v1/topics/${topic}/records`, ""), 400, "INVALID_REQUEST");
    expectEnvelope(await call("POST", "/v1/topics", "[1,2"), 400, "INVALID_REQUEST");
  });

  it.each([
    [{}, "records"],
    [{ records: [] }, "records"],
    [{ records: "nope" }, "records"],
    [{ records: [{}] }, "records[0].value"],
    [{ records: [{ key: "k" }] }, "records[0].value"],
    [{ records: [{ value: 1, valueBase64: "AA==" }] }, "records[0].value"],
    [{ records: [{ valueBase64: "not base64!" }] }, "records[0].valueBase64"],
    [{ records: [{ value: 1, key: 5 }] }, "records[0].key"],
    [{ records: [{ value: 1, key: "a", keyBase64: "AA==" }] }, "records[0].key"],
    [{ records: [{ value: 1, headers: { a: 1 } }] }, "records[0].headers.a"],
    [{ records: [{ value: 1, headers: "x" }] }, "records[0].headers"],
    [{ records: [{ value: 1, timestamp: -5 }] }, "records[0].timestamp"],
    [{ records: [{ value: 1, timestamp: "yesterday" }] }, "records[0].timestamp"],
    [{ records: [{ value: 1, partition: -1 }] }, "records[0].partition"],
    [{ records: [{ value: 1, surprise: true }] }, "records[0]"],
    [{ records: [{ value: 1 }], acks: 2 }, "acks"],
  ])("answers 400 INVALID_REQUEST naming the field for the produce body %j", async (body, field) => {
    const topic = await createTopic(1);
    const res = await call("POST", `/v1/topics/${topic}/records`, body);
    expectEnvelope(res, 400, "INVALID_REQUEST");
    expect(res.json.error.message).toContain(field);
    // Nothing was stored.
    const described = await call("GET", `/v1/topics/${topic}`);
    expect(described.json.partitions[0].highWatermark).toBe(0);
  });

  it("answers 404 to a produce for a partition the topic does not have", async () => {
    const topic = await createTopic(2);
    expectEnvelope(
      await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1, partition: 2 }] }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectEnvelope(
      await call("POST", `/v1/topics/${topic}/partitions/7/records`, { records: [{ value: 1 }] }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectEnvelope(
      await call("GET", `/v1/topics/${topic}/partitions/2/records?offset=0`),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });

  it("answers 400 to a record whose partition disagrees with the path", async () => {
    const topic = await createTopic(2);
    const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: 1, partition: 1 }],
    });
    expectEnvelope(res, 400, "INVALID_REQUEST");
  });

  it.each([
    ["", "offset"],
    ["offset=-1", "offset"],
    ["offset=abc", "offset"],
    ["offset=0&maxRecords=0", "maxRecords"],
    ["offset=0&maxRecords=100000", "maxRecords"],
    ["offset=0&waitMs=30001", "waitMs"],
    ["offset=0&maxBytes=0", "maxBytes"],
    ["offset=0&colour=blue", "colour"],
  ])("answers 400 INVALID_REQUEST to the fetch query %j", async (query, field) => {
    const topic = await createTopic(1);
    const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?${query}`);
    expectEnvelope(res, 400, "INVALID_REQUEST");
    expect(res.json.error.message).toContain(field);
  });

  it("answers 400 to bad paths and offset queries", async () => {
    const topic = await createTopic(1);
    expectEnvelope(await call("GET", `/v1/topics/${topic}/partitions/abc/records?offset=0`), 400, "INVALID_REQUEST");
    expectEnvelope(await call("GET", `/v1/topics/${topic}/partitions/0/offsets?at=yesterday`), 400, "INVALID_REQUEST");
    expectEnvelope(await call("GET", `/v1/topics/${topic}/partitions/0/offsets`), 400, "INVALID_REQUEST");
    expectEnvelope(await call("GET", "/v1/topics/bad%20name"), 400, "INVALID_TOPIC_EXCEPTION");
  });

  it("answers 413 RECORD_LIST_TOO_LARGE to a body over the request limit, storing nothing", async () => {
    const topic = await createTopic(1);
    const records = Array.from({ length: 5 }, () => ({ value: "v".repeat(1_000_000) }));
    const res = await call("POST", `/v1/topics/${topic}/records`, { records });
    expectEnvelope(res, 413, "RECORD_LIST_TOO_LARGE");
    expect((await call("GET", `/v1/topics/${topic}`)).json.partitions[0].highWatermark).toBe(0);
  });

  it("answers 415 to a content encoding it cannot read", async () => {
    const topic = await createTopic(1);
    const res = await exports.default.fetch(
      new Request(`http://t/v1/topics/${topic}/records`, {
        method: "POST",
        body: "{}",
        headers: { authorization: "Bearer test-token", "content-encoding": "br" },
      }),
    );
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers INVALID_REQUEST to a gzip body that is not gzip", async () => {
    const topic = await createTopic(1);
    const res = await exports.default.fetch(
      new Request(`http://t/v1/topics/${topic}/records`, {
        method: "POST",
        body: "definitely not gzip",
        headers: { authorization: "Bearer test-token", "content-encoding": "gzip" },
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("INVALID_REQUEST");
  });
});
