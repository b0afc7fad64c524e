import { describe, expect, it } from "vitest";
import { call, createTopic, uniqueName } from "../helpers/http.ts";

describe("topics", () => {
  it("creates a topic with defaults and describes every partition", async () => {
    const name = uniqueName();
    const res = await call("POST", "/v1/topics", { name, partitions: 3 });
    expect(res.status).toBe(201);
    expect(res.json.name).toBe(name);
    expect(res.json.config).toEqual({
      retentionMs: 604800000,
      retentionBytes: 1073741824,
      maxMessageBytes: 1048576,
      minInsyncReplicas: 2,
      cleanupPolicy: "delete",
      produceRecordsPerSecond: -1,
      produceBytesPerSecond: -1,
      deleteRetentionMs: 86400000,
      minCompactionLagMs: 0,
      maxCompactionLagMs: -1,
      localRetentionMs: -1,
      localRetentionBytes: -1,
    });
    expect(res.json.partitions).toEqual(
      [0, 1, 2].map((p) => expect.objectContaining({ partition: p, logStartOffset: 0, highWatermark: 0 })),
    );
    const described = await call("GET", `/v1/topics/${name}`);
    expect(described.status).toBe(200);
    expect(described.json.id).toBe(res.json.id);
  });

  it("lists created topics", async () => {
    const a = await createTopic(2);
    const list = await call("GET", "/v1/topics");
    expect(list.status).toBe(200);
    expect(list.json.topics).toContainEqual(expect.objectContaining({ name: a, partitions: 2 }));
  });

  it("answers 409 TOPIC_ALREADY_EXISTS to a duplicate create", async () => {
    const name = await createTopic(1);
    const again = await call("POST", "/v1/topics", { name, partitions: 1 });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("TOPIC_ALREADY_EXISTS");
  });

  it("answers 404 UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist", async () => {
    for (const [method, path] of [
      ["GET", "/v1/topics/nope-never-made"],
      ["DELETE", "/v1/topics/nope-never-made"],
      ["GET", "/v1/topics/nope-never-made/partitions/0/records?offset=0"],
    ] as const) {
      const res = await call(method, path);
      expect(res.status, path).toBe(404);
      expect(res.json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    }
    const produce = await call("POST", "/v1/topics/nope-never-made/records", { records: [{ value: 1 }] });
    expect(produce.json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });

  it.each([
    [{ name: "" }, "INVALID_TOPIC_EXCEPTION", "name"],
    [{ name: "." }, "INVALID_TOPIC_EXCEPTION", "name"],
    [{ name: ".." }, "INVALID_TOPIC_EXCEPTION", "name"],
    [{ name: "has space" }, "INVALID_TOPIC_EXCEPTION", "name"],
    [{ name: "x".repeat(250) }, "INVALID_TOPIC_EXCEPTION", "name"],
    [{ name: "ok", partitions: 0 }, "INVALID_PARTITIONS", "partitions"],
    [{ name: "ok", partitions: 1.5 }, "INVALID_PARTITIONS", "partitions"],
    [{ name: "ok", partitions: "3" }, "INVALID_PARTITIONS", "partitions"],
    [{ name: "ok", config: { retentionMs: 0 } }, "INVALID_CONFIG", "config.retentionMs"],
    [{ name: "ok", config: { retentionBytes: -2 } }, "INVALID_CONFIG", "config.retentionBytes"],
    [{ name: "ok", config: { maxMessageBytes: 50_000_000 } }, "INVALID_CONFIG", "config.maxMessageBytes"],
    [{ name: "ok", config: { cleanupPolicy: "none" } }, "INVALID_CONFIG", "config.cleanupPolicy"],
    [
      { name: "ok", config: { retentionBytes: 1000, localRetentionBytes: 2000 } },
      "INVALID_CONFIG",
      "config.localRetentionBytes",
    ],
    [
      { name: "ok", config: { retentionMs: 1000, localRetentionMs: 2000 } },
      "INVALID_CONFIG",
      "config.localRetentionMs",
    ],
    [
      { name: "ok", config: { minCompactionLagMs: 5000, maxCompactionLagMs: 1000 } },
      "INVALID_CONFIG",
      "config.maxCompactionLagMs",
    ],
    [{ name: "ok", config: { deleteRetentionMs: -1 } }, "INVALID_CONFIG", "config.deleteRetentionMs"],
    [{ name: "ok", config: { retentionHours: 3 } }, "INVALID_CONFIG", "config"],
    [
      { name: "ok", replicationFactor: 1, config: { minInsyncReplicas: 2 } },
      "INVALID_CONFIG",
      "config.minInsyncReplicas",
    ],
    [{ name: "ok", extra: true }, "INVALID_REQUEST", undefined],
  ])("rejects the topic %j with %s naming the field", async (body, code, field) => {
    const res = await call("POST", "/v1/topics", body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.retriable).toBe(false);
    if (field) expect(res.json.error.message).toContain(field);
  });

  it("adds partitions, refuses to remove them, and routes to the new ones", async () => {
    const name = await createTopic(2);
    const grown = await call("PATCH", `/v1/topics/${name}`, { partitions: 4 });
    expect(grown.status).toBe(200);
    expect(grown.json.partitions).toHaveLength(4);
    const shrink = await call("PATCH", `/v1/topics/${name}`, { partitions: 3 });
    expect(shrink.status).toBe(400);
    expect(shrink.json.error.code).toBe("INVALID_PARTITIONS");
    const produce = await call("POST", `/v1/topics/${name}/partitions/3/records`, { records: [{ value: "new" }] });
    expect(produce.status).toBe(200);
    expect(produce.json.results[0]).toMatchObject({ partition: 3, offset: 0 });
  });

  it("changes config and applies it to the partitions", async () => {
    const name = await createTopic(1);
    const changed = await call("PATCH", `/v1/topics/${name}`, { config: { maxMessageBytes: 100 } });
    expect(changed.status).toBe(200);
    expect(changed.json.config.maxMessageBytes).toBe(100);
    const big = await call("POST", `/v1/topics/${name}/records`, { records: [{ value: "y".repeat(200) }] });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe("MESSAGE_TOO_LARGE");
  });

  it("deletes a topic: its partitions refuse appends and reads, and the name starts empty when re-created", async () => {
    const name = await createTopic(2);
    await call("POST", `/v1/topics/${name}/records`, {
      records: [
        { key: "k", value: 1 },
        { key: "k", value: 2 },
      ],
    });
    const del = await call("DELETE", `/v1/topics/${name}`);
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ deleted: name });
    const read = await call("GET", `/v1/topics/${name}/partitions/0/records?offset=0`);
    expect(read.json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");

    await createTopic(2, {}, name);
    const fresh = await call("GET", `/v1/topics/${name}`);
    expect(fresh.json.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([0, 0]);
    const produced = await call("POST", `/v1/topics/${name}/records`, { records: [{ key: "k", value: 3 }] });
    expect(produced.json.results[0].offset).toBe(0);
  });
});
