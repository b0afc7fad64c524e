// The unmodified @upstash/kafka client against a real local worker (wrangler dev, started by
// global-setup.ts): only its url and credentials point at Tributary. One test per client call.
import { Kafka, UpstashError } from "@upstash/kafka";
import { describe, expect, inject, it } from "vitest";
import { createClient } from "../../sdk/index.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

const baseUrl = inject("baseUrl");
const token = inject("token");
const kafka = new Kafka({ url: `${baseUrl}/upstash`, username: "any-user", password: token });
const tributary = createClient({ url: baseUrl, token, retry: { retries: 2, initialRetryTime: 5, maxRetryTime: 50 } });
const admin = tributary.admin();

let n = 0;
const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

async function newTopic(partitions = 1): Promise<string> {
  const topic = unique("upstash");
  await admin.createTopic({ topic, partitions, replicationFactor: 1 });
  return topic;
}

/** Consumes until `count` messages came or the deadline passed (a new instance may get nothing at first). */
async function consumeUntil(
  request: Parameters<ReturnType<Kafka["consumer"]>["consume"]>[0],
  count: number,
  deadlineMs = 15_000,
) {
  const got = [];
  const deadline = Date.now() + deadlineMs;
  while (got.length < count && Date.now() < deadline) got.push(...(await kafka.consumer().consume(request)));
  return got;
}

describe("producer", () => {
  it("produce stores one message where Kafka's partitioner puts its key, with its headers and timestamp", async () => {
    const topic = await newTopic(4);
    const timestamp = Date.now() - 60_000;
    const sent = await kafka
      .producer()
      .produce(
        topic,
        { hello: "world" },
        { key: "customer-7", headers: [{ key: "trace", value: "85a9f12" }], timestamp },
      );
    expect(sent).toEqual({ topic, partition: partitionForKey("customer-7", 4), offset: 0, timestamp });

    // Tributary's own API sees the exact string the client sent, and the headers as a map.
    const page = await tributary.fetch({ topic, partition: sent.partition, offset: 0 });
    expect(page.records).toHaveLength(1);
    expect(page.records[0]).toMatchObject({
      key: "customer-7",
      value: '{"hello":"world"}',
      headers: { trace: "85a9f12" },
      timestamp,
    });

    const explicit = await kafka.producer().produce(topic, "to partition 2", { partition: 2 });
    expect(explicit).toMatchObject({ topic, partition: 2, offset: 0 });
    expect(explicit.timestamp).toBeGreaterThan(timestamp);
  });

  it("produceMany answers every message in request order, across topics", async () => {
    const [a, b] = [await newTopic(1), await newTopic(1)];
    const results = await kafka.producer().produceMany([
      { topic: a, value: "a0" },
      { topic: b, value: { n: 1 } },
      { topic: a, value: "a1", key: "k" },
      { topic: b, value: "b1", headers: [{ key: "h", value: "v" }] },
    ]);
    expect(results.map((r) => [r.topic, r.partition, r.offset])).toEqual([
      [a, 0, 0],
      [b, 0, 0],
      [a, 0, 1],
      [b, 0, 1],
    ]);
    const stored = await tributary.fetch({ topic: b, partition: 0, offset: 0 });
    expect(stored.records.map((r) => r.value)).toEqual(['{"n":1}', "b1"]);
  });
});

describe("replicated topics", () => {
  it("produces to the leader with acks all and reads back through fetch and consume", async () => {
    const topic = unique("upstash-rf3");
    await admin.createTopic({ topic, partitions: 2, replicationFactor: 3 });
    const sent = await kafka.producer().produceMany([
      { topic, value: "r0", partition: 0 },
      { topic, value: "r1", partition: 1 },
    ]);
    expect(sent.map((r) => [r.partition, r.offset])).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect((await kafka.consumer().fetch({ topic, partition: 1, offset: 0 })).map((m) => m.value)).toEqual(["r1"]);
    const request = {
      consumerGroupId: unique("group"),
      instanceId: "i",
      topics: [topic],
      autoOffsetReset: "earliest" as const,
    };
    const got = await consumeUntil({ ...request, timeout: 200 }, 2);
    expect(got.map((m) => m.value).sort()).toEqual(["r0", "r1"]);
    await kafka.admin().removeConsumerInstance(request.consumerGroupId, "i");
  });
});

describe("consumer.fetch", () => {
  it("fetches from an offset, from several partitions at once, in parallel or in one request", async () => {
    const topic = await newTopic(2);
    await kafka.producer().produceMany([
      { topic, value: "p0-0", partition: 0, key: "k0", headers: [{ key: "a", value: "1" }] },
      { topic, value: "p0-1", partition: 0 },
      { topic, value: "p1-0", partition: 1 },
    ]);
    const c = kafka.consumer();
    const single = await c.fetch({ topic, partition: 0, offset: 1 });
    expect(single).toEqual([
      { topic, partition: 0, offset: 1, timestamp: expect.any(Number), key: "", value: "p0-1", headers: [] },
    ]);
    const both = await c.fetch({
      topicPartitionOffsets: [
        { topic, partition: 0, offset: 0 },
        { topic, partition: 1, offset: 0 },
      ],
    });
    expect(both.map((m) => m.value).sort()).toEqual(["p0-0", "p0-1", "p1-0"]);
    expect(both.find((m) => m.value === "p0-0")).toMatchObject({ key: "k0", headers: [{ key: "a", value: "1" }] });

    const oneRequest = await c.fetch(
      { topic, partition: 1, offset: 0, topicPartitionOffsets: [{ topic, partition: 0, offset: 1 }], timeout: 0 },
      { parallel: false },
    );
    expect(oneRequest.map((m) => m.value).sort()).toEqual(["p0-1", "p1-0"]);
  });

  it("waits up to timeout for a message at the end of the log and answers as soon as one comes", async () => {
    const topic = await newTopic(1);
    const started = Date.now();
    const waiting = kafka.consumer().fetch({ topic, partition: 0, offset: 0, timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    await kafka.producer().produce(topic, "late");
    const got = await waiting;
    expect(got.map((m) => m.value)).toEqual(["late"]);
    expect(Date.now() - started).toBeLessThan(8_000);

    const emptyStart = Date.now();
    expect(await kafka.consumer().fetch({ topic, partition: 0, offset: 1, timeout: 500 })).toEqual([]);
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(450);
  });
});

describe("consumer.consume", () => {
  it("reads a group from the earliest offset, auto-commits when the instance comes back, and resumes there", async () => {
    const topic = await newTopic(2);
    await kafka
      .producer()
      .produceMany(Array.from({ length: 6 }, (_, i) => ({ topic, value: `m${i}`, partition: i % 2 })));
    const consumerGroupId = unique("group");
    const request = {
      consumerGroupId,
      instanceId: "i1",
      topics: [topic],
      autoOffsetReset: "earliest" as const,
      timeout: 200,
    };
    const got = await consumeUntil(request, 6);
    expect(got.map((m) => m.value).sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);

    // The next consume commits what the last one handed out, and finds nothing new.
    expect(await kafka.consumer().consume(request)).toEqual([]);
    const committed = await kafka.consumer().committed({
      consumerGroupId,
      instanceId: "i1",
      topicPartitions: [
        { topic, partition: 0 },
        { topic, partition: 1 },
      ],
    });
    expect(committed).toEqual([
      { topic, partition: 0, offset: 3 },
      { topic, partition: 1, offset: 3 },
    ]);

    // A new instance of the same group (after the first leaves) resumes at the committed offsets.
    await kafka.admin().removeConsumerInstance(consumerGroupId, "i1");
    await kafka.producer().produce(topic, "after", { partition: 1 });
    const resumed = await consumeUntil({ ...request, instanceId: "i2" }, 1);
    expect(resumed.map((m) => [m.partition, m.offset, m.value])).toEqual([[1, 3, "after"]]);
    await kafka.admin().removeConsumerInstance(consumerGroupId, "i2");
  });

  it("starts at the end of the log by default (autoOffsetReset latest)", async () => {
    const topic = await newTopic(1);
    await kafka.producer().produce(topic, "before");
    const request = { consumerGroupId: unique("group"), instanceId: "i", topics: [topic], timeout: 0 };
    expect(await kafka.consumer().consume(request)).toEqual([]);
    await kafka.producer().produce(topic, "after");
    const got = await consumeUntil(request, 1);
    expect(got.map((m) => m.value)).toEqual(["after"]);
    await kafka.admin().removeConsumerInstance(request.consumerGroupId, "i");
  });

  it("long-polls up to timeout and answers as soon as a message arrives", async () => {
    const topic = await newTopic(3);
    const request = { consumerGroupId: unique("group"), instanceId: "i", topics: [topic], timeout: 0 };
    await kafka.consumer().consume(request); // joins and takes the end of the log as its position
    const started = Date.now();
    const waiting = kafka.consumer().consume({ ...request, timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    await kafka.producer().produce(topic, "wake up", { partition: 2 });
    const got = await waiting;
    expect(got.map((m) => m.value)).toEqual(["wake up"]);
    expect(Date.now() - started).toBeLessThan(8_000);
    await kafka.admin().removeConsumerInstance(request.consumerGroupId, "i");
  });

  it("shares the partitions among the instances of a group, each message to one instance", async () => {
    const topic = await newTopic(4);
    const consumerGroupId = unique("group");
    const base = { consumerGroupId, topics: [topic], autoOffsetReset: "earliest" as const, timeout: 0 };
    await kafka.consumer().consume({ ...base, instanceId: "a" });
    await kafka.consumer().consume({ ...base, instanceId: "b" });
    await kafka.producer().produceMany(Array.from({ length: 40 }, (_, i) => ({ topic, value: `m${i}`, key: `k${i}` })));
    const seen = new Map<string, string>();
    const deadline = Date.now() + 20_000;
    while (seen.size < 40 && Date.now() < deadline) {
      for (const instanceId of ["a", "b"]) {
        for (const m of await kafka.consumer().consume({ ...base, instanceId })) {
          expect(seen.has(m.value), `${m.value} delivered twice`).toBe(false);
          seen.set(m.value, instanceId);
        }
      }
    }
    expect(seen.size).toBe(40);
    expect(new Set(seen.values())).toEqual(new Set(["a", "b"]));

    const group = (await kafka.admin().consumers()).find((g) => g.name === consumerGroupId)!;
    const owned = group.instances.flatMap((i) => i.topics.flatMap((t) => t.partitions));
    expect(group.instances.map((i) => i.name).sort()).toEqual(["a", "b"]);
    expect(owned.sort()).toEqual([0, 1, 2, 3]);
    // When "a" goes, "b" takes over its partitions and reads on where "a" got to (a's last
    // messages were committed by its own later consumes).
    await kafka.admin().removeConsumerInstance(consumerGroupId, "a");
    await kafka
      .producer()
      .produceMany([0, 1, 2, 3].map((partition) => ({ topic, value: `late${partition}`, partition })));
    const late = await consumeUntil({ ...base, instanceId: "b" }, 4);
    expect(late.map((m) => m.value).sort()).toEqual(["late0", "late1", "late2", "late3"]);
    const after = (await kafka.admin().consumers()).find((g) => g.name === consumerGroupId)!;
    expect(after.instances).toEqual([{ name: "b", topics: [{ topic, partitions: [0, 1, 2, 3] }] }]);
    await kafka.admin().removeConsumerInstance(consumerGroupId, "b");
  });
});

describe("consumer instances and topic changes", () => {
  it("an instance picks up partitions added to its topic within seconds", async () => {
    const topic = await newTopic(1);
    const request = { consumerGroupId: unique("group"), instanceId: "i", topics: [topic], timeout: 0 };
    await kafka.consumer().consume({ ...request, autoOffsetReset: "earliest" });
    await admin.createPartitions({ topic, count: 2 });
    await kafka.producer().produce(topic, "in the new partition", { partition: 1 });
    const got = await consumeUntil({ ...request, autoOffsetReset: "earliest", timeout: 200 }, 1, 20_000);
    expect(got.map((m) => [m.partition, m.value])).toEqual([[1, "in the new partition"]]);
    await kafka.admin().removeConsumerInstance(request.consumerGroupId, "i");
  });
});

describe("consumer.commit and consumer.committed", () => {
  it("without auto commit, keeps reading ahead and commits what was consumed, or the offsets given", async () => {
    const topic = await newTopic(1);
    await kafka.producer().produceMany(Array.from({ length: 3 }, (_, i) => ({ topic, value: `m${i}` })));
    const ids = { consumerGroupId: unique("group"), instanceId: "manual" };
    const request = { ...ids, topics: [topic], autoCommit: false, autoOffsetReset: "earliest" as const, timeout: 0 };
    const got = await consumeUntil(request, 3);
    expect(got.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(await kafka.consumer().consume(request)).toEqual([]); // the position moved on ...
    const tp = [{ topic, partition: 0 }];
    expect(await kafka.consumer().committed({ ...ids, topicPartitions: tp })).toEqual([
      { topic, partition: 0, offset: -1 },
    ]);

    await kafka.consumer().commit(ids); // ... and a commit without offsets commits it
    expect(await kafka.consumer().committed({ ...ids, topicPartitions: tp })).toEqual([
      { topic, partition: 0, offset: 3 },
    ]);

    await kafka.consumer().commit({ ...ids, offset: { topic, partition: 0, offset: 1 } });
    expect(await kafka.admin().committedOffsets({ ...ids, topicPartition: tp[0]! })).toEqual([
      { topic, partition: 0, offset: 1 },
    ]);
    // Without auto commit, removing the instance commits nothing for it.
    await kafka.admin().removeConsumerInstance(ids.consumerGroupId, ids.instanceId);
    expect(await kafka.consumer().committed({ ...ids, topicPartitions: tp })).toEqual([
      { topic, partition: 0, offset: 1 },
    ]);
  });
});

describe("admin", () => {
  it("topics lists every topic with its partition count", async () => {
    const [a, b] = [await newTopic(3), await newTopic(1)];
    const topics = await kafka.admin().topics();
    expect(topics[a]).toBe(3);
    expect(topics[b]).toBe(1);
  });

  it("topicPartitionOffsets finds offsets by time, earliest and latest", async () => {
    const topic = await newTopic(2);
    const t0 = Date.now();
    await kafka.producer().produceMany([
      { topic, value: "old", partition: 0, timestamp: t0 - 10_000 },
      { topic, value: "new", partition: 0, timestamp: t0 },
      { topic, value: "x", partition: 1, timestamp: t0 - 10_000 },
    ]);
    const a = kafka.admin();
    const p0 = { topic, partition: 0 };
    const p1 = { topic, partition: 1 };
    expect(await a.topicPartitionOffsets({ timestamp: t0 - 1, topicPartitions: [p0, p1] })).toEqual([
      { ...p0, offset: 1 },
      { ...p1, offset: 1 },
    ]);
    expect(await a.topicPartitionOffsets({ timestamp: "earliest", topicPartition: p0 })).toEqual([
      { ...p0, offset: 0 },
    ]);
    expect(await a.topicPartitionOffsets({ timestamp: "latest", topicPartition: p0 })).toEqual([{ ...p0, offset: 2 }]);
  });

  it("consumers lists live instances and removeConsumerInstance removes one", async () => {
    const topic = await newTopic(2);
    const consumerGroupId = unique("group");
    await kafka.consumer().consume({ consumerGroupId, instanceId: "solo", topics: [topic], timeout: 0 });
    const listed = (await kafka.admin().consumers()).find((g) => g.name === consumerGroupId);
    expect(listed).toEqual({
      name: consumerGroupId,
      instances: [{ name: "solo", topics: [{ topic, partitions: [0, 1] }] }],
    });
    await kafka.admin().removeConsumerInstance(consumerGroupId, "solo");
    expect((await kafka.admin().consumers()).find((g) => g.name === consumerGroupId)).toBeUndefined();
    // The same instance id consuming again simply joins again.
    await kafka.consumer().consume({ consumerGroupId, instanceId: "solo", topics: [topic], timeout: 0 });
    expect((await kafka.admin().consumers()).find((g) => g.name === consumerGroupId)?.instances).toHaveLength(1);
    await kafka.admin().removeConsumerInstance(consumerGroupId, "solo");
  });
});

describe("errors", () => {
  // The client retries every failed call five times with backoff (15.5 s) before it throws;
  // the failures run side by side.
  it("every failure reaches the client as an UpstashError with the status and a message saying why", async () => {
    const topic = await newTopic(1);
    const failing = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (err) {
        return err as UpstashError;
      }
      throw new Error("the call did not fail");
    };
    const wrong = new Kafka({ url: `${baseUrl}/upstash`, username: "any-user", password: "not-a-token" });
    const [auth, unknownTopic, dupHeaders, none, gone] = await Promise.all([
      failing(() => wrong.admin().topics()),
      failing(() => kafka.producer().produce(unique("missing"), "x")),
      failing(() =>
        kafka.producer().produce(topic, "x", {
          headers: [
            { key: "h", value: "1" },
            { key: "h", value: "2" },
          ],
        }),
      ),
      failing(() =>
        kafka
          .consumer()
          .consume({ consumerGroupId: unique("group"), instanceId: "i", topics: [topic], autoOffsetReset: "none" }),
      ),
      failing(() => kafka.admin().removeConsumerInstance(unique("group"), "nobody")),
    ]);
    for (const err of [auth, unknownTopic, dupHeaders, none, gone]) expect(err).toBeInstanceOf(UpstashError);
    expect([auth.status, unknownTopic.status, dupHeaders.status, none.status, gone.status]).toEqual([
      401, 404, 400, 416, 404,
    ]);
    expect(auth.message).toMatch(/^UNAUTHENTICATED: the password is not a valid Tributary API token/);
    expect(unknownTopic.message).toMatch(/^UNKNOWN_TOPIC_OR_PARTITION: topic 'missing-.*' does not exist/);
    expect(dupHeaders.message).toContain("header 'h' appears twice");
    expect(none.message).toContain("autoOffsetReset is 'none'");
    expect(gone.message).toContain("consumer instance 'nobody' is not in group");
    // Nothing of the refused produce was stored.
    expect((await tributary.fetch({ topic, partition: 0, offset: 0 })).records).toEqual([]);
  }, 60_000);
});

describe("the REST API itself", () => {
  const auth = { authorization: `Basic ${btoa(`any-user:${token}`)}` };
  const call = async (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${baseUrl}/upstash${path}`, {
      method,
      body: init.body,
      headers: { ...auth, ...init.headers },
    });
    return { status: res.status, headers: res.headers, json: JSON.parse(await res.text()) };
  };

  it("answers every refusal as JSON {error, status}: no credentials, bad JSON, bad names, unknown routes", async () => {
    const noAuth = await call("GET", "/topics", { headers: { authorization: "" } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get("www-authenticate")).toBe('Basic realm="tributary"');
    expect(noAuth.json).toEqual({ error: expect.stringMatching(/^UNAUTHENTICATED: missing credentials/), status: 401 });

    const badJson = await call("POST", "/produce", { body: "{not json" });
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toMatch(/^INVALID_REQUEST: the request body is not valid JSON/);

    const badGroup = await call("POST", "/commit/bad%20group/i", { body: "null" });
    expect(badGroup.status).toBe(400);
    expect(badGroup.json.error).toMatch(/^INVALID_GROUP_ID: consumer group id in the path/);

    const nowhere = await call("GET", "/produce");
    expect(nowhere).toMatchObject({ status: 404, json: { error: expect.stringMatching(/^NOT_FOUND: /), status: 404 } });
  });

  it("serves the curl forms of Upstash's docs: produce with the message in the path, consume with the topic in it", async () => {
    const topic = await newTopic(1);
    const produced = await call("GET", `/produce/${topic}/hello_kafka`);
    expect(produced.json).toEqual({ topic, partition: 0, offset: 0, timestamp: expect.any(Number) });
    const group = unique("group");
    const consumed = await call("GET", `/consume/${group}/i/${topic}`, {
      headers: { "Kafka-Auto-Offset-Reset": "earliest" },
    });
    expect(consumed.json.map((m: { value: string }) => m.value)).toEqual(["hello_kafka"]);
    await kafka.admin().removeConsumerInstance(group, "i");
  });
});
