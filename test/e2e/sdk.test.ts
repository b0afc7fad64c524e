// The SDK against a real local worker (wrangler dev, started by global-setup.ts).
import { describe, expect, inject, it } from "vitest";
import {
  createClient,
  type FetchFunction,
  OffsetOutOfRangeError,
  type ReaderRecord,
  type TributaryClient,
  TributaryError,
} from "../../sdk/index.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

const url = inject("baseUrl");
const token = inject("token");

// Retries are on, with tiny delays, as a caller would set them for a local worker.
const retry = { retries: 3, initialRetryTime: 5, maxRetryTime: 50 };
const client = createClient({ url, token, retry });
const admin = client.admin();
const producer = client.producer();

let n = 0;
/** A topic name no other test uses. */
function uniqueTopic(prefix = "sdk"): string {
  return `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

async function newTopic(partitions = 1, config: Record<string, number> = {}): Promise<string> {
  const topic = uniqueTopic();
  await admin.createTopic({ topic, partitions, replicationFactor: 1, config });
  return topic;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The error a promise rejects with, checked to be a TributaryError. */
async function failureOf(promise: Promise<unknown>): Promise<TributaryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

/** Every record of a partition, following nextOffset. */
async function readAll(c: TributaryClient, topic: string, partition: number): Promise<ReaderRecord[]> {
  const out: ReaderRecord[] = [];
  let offset = 0;
  for (let pages = 0; pages < 100; pages++) {
    const page = await c.fetch({ topic, partition, offset });
    out.push(...page.records);
    if (page.nextOffset >= page.highWatermark) return out;
    offset = page.nextOffset;
  }
  throw new Error("more than 100 pages");
}

/** A fetch that records each call before passing it to the global fetch. */
function recordingFetch() {
  const calls: Array<{ url: URL; signal: AbortSignal | null | undefined }> = [];
  const fetchFn: FetchFunction = (input, init) => {
    calls.push({ url: new URL(input), signal: init.signal });
    return fetch(input, init);
  };
  return { fetchFn, calls };
}

describe("admin", () => {
  it("creates, lists, describes, grows and deletes a topic", async () => {
    const topic = uniqueTopic();
    const created = await admin.createTopic({
      topic,
      partitions: 2,
      replicationFactor: 1,
      config: { retentionMs: 3_600_000 },
    });
    expect(created.name).toBe(topic);
    expect(created.partitions).toEqual([
      expect.objectContaining({ partition: 0, logStartOffset: 0, highWatermark: 0 }),
      expect.objectContaining({ partition: 1, logStartOffset: 0, highWatermark: 0 }),
    ]);
    expect(created.config.retentionMs).toBe(3_600_000);

    expect(await admin.listTopics()).toContainEqual(expect.objectContaining({ name: topic, partitions: 2 }));

    const described = await admin.describeTopic(topic);
    expect(described.id).toBe(created.id);
    expect(described.replicationFactor).toBe(1);

    expect((await admin.updateTopic(topic, { partitions: 3 })).partitions).toHaveLength(3);
    expect((await admin.createPartitions({ topic, count: 5 })).partitions).toHaveLength(5);
    expect(await admin.fetchTopicOffsets(topic)).toEqual(
      [0, 1, 2, 3, 4].map((p) => ({ partition: p, low: 0, high: 0 })),
    );

    await admin.deleteTopic(topic);
    expect((await failureOf(admin.describeTopic(topic))).code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect((await admin.listTopics()).map((t) => t.name)).not.toContain(topic);
  });

  it("changes a topic's config", async () => {
    const topic = await newTopic();
    const updated = await admin.updateTopic(topic, { config: { maxMessageBytes: 2048 } });
    expect(updated.config.maxMessageBytes).toBe(2048);
    expect((await admin.describeTopic(topic)).config.maxMessageBytes).toBe(2048);
  });

  it("refuses to create a topic that exists with TOPIC_ALREADY_EXISTS", async () => {
    const topic = await newTopic();
    const err = await failureOf(admin.createTopic({ topic, partitions: 1, replicationFactor: 1 }));
    expect(err).toMatchObject({ code: "TOPIC_ALREADY_EXISTS", status: 409, retriable: false });
    expect(err.message).toContain(topic);
  });

  it("answers UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist", async () => {
    const topic = uniqueTopic("missing");
    for (const call of [
      () => admin.describeTopic(topic),
      () => admin.deleteTopic(topic),
      () => producer.send({ topic, messages: [{ value: 1 }] }),
      () => client.fetch({ topic, partition: 0, offset: 0 }),
    ]) {
      expect(await failureOf(call())).toMatchObject({
        code: "UNKNOWN_TOPIC_OR_PARTITION",
        status: 404,
        retriable: false,
      });
    }
  });

  it("refuses to lower a topic's partition count with INVALID_PARTITIONS", async () => {
    const topic = await newTopic(3);
    expect(await failureOf(admin.updateTopic(topic, { partitions: 2 }))).toMatchObject({
      code: "INVALID_PARTITIONS",
      status: 400,
    });
  });

  it("passes on the server's naming of a wrong config field", async () => {
    const err = await failureOf(
      admin.createTopic({ topic: uniqueTopic(), replicationFactor: 1, config: { retentionMs: 0 } }),
    );
    expect(err).toMatchObject({ code: "INVALID_CONFIG", status: 400, details: { field: "config.retentionMs" } });
  });

  it("looks up the earliest, latest and first-at-a-time offsets", async () => {
    const topic = await newTopic();
    const t0 = Date.now() - 60_000;
    await producer.send({
      topic,
      messages: [0, 10, 20].map((d) => ({ value: d, timestamp: t0 + d })),
    });
    expect(await admin.fetchOffset({ topic, partition: 0, at: "earliest" })).toEqual({ offset: 0 });
    expect(await admin.fetchOffset({ topic, partition: 0, at: "latest" })).toEqual({ offset: 3 });
    expect(await admin.fetchOffset({ topic, partition: 0, at: t0 + 5 })).toEqual({ offset: 1, timestamp: t0 + 10 });
    expect(await admin.fetchOffset({ topic, partition: 0, at: new Date(t0 + 25) })).toEqual({ offset: 3 });
  });
});

describe("producer", () => {
  it("sends keyed messages to the partition Kafka's default partitioner picks", async () => {
    const partitions = 6;
    const topic = await newTopic(partitions);
    const keys = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    const first = await producer.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
    const again = await producer.send({ topic, messages: keys.map((key) => ({ key, value: `${key} again` })) });
    keys.forEach((key, i) => {
      expect(first[i]!.partition).toBe(partitionForKey(key, partitions));
      expect(again[i]!.partition).toBe(first[i]!.partition);
    });
    // The keys must not all hash to one partition, or this test would prove little.
    expect(new Set(first.map((r) => r.partition)).size).toBeGreaterThan(1);

    const binaryKey = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const [binary] = await producer.send({ topic, messages: [{ key: binaryKey, value: "bytes key" }] });
    expect(binary!.partition).toBe(partitionForKey(binaryKey, partitions));
  });

  it("answers where each message went, in request order, with contiguous offsets per partition", async () => {
    const topic = await newTopic(3);
    const results = await producer.send({
      topic,
      messages: [0, 1, 2, 0, 1, 0].map((partition, i) => ({ partition, value: i })),
    });
    expect(results.map((r) => [r.topic, r.partition, r.offset])).toEqual([
      [topic, 0, 0],
      [topic, 1, 0],
      [topic, 2, 0],
      [topic, 0, 1],
      [topic, 1, 1],
      [topic, 0, 2],
    ]);
    const records = await readAll(client, topic, 0);
    expect(records.map((r) => r.value)).toEqual([0, 3, 5]);
  });

  it("stores headers and timestamps and reads them back", async () => {
    const topic = await newTopic();
    const timestamp = Date.now() - 30_000;
    const [sent, defaulted] = await producer.send({
      topic,
      messages: [
        { key: "ad-42", value: { adId: "ad-42" }, headers: { source: "edge", "trace-id": "abc" }, timestamp },
        { value: "no timestamp" },
      ],
    });
    expect(sent!.timestamp).toBe(timestamp);
    expect(defaulted!.timestamp).toBeGreaterThan(timestamp);
    const [first, second] = await readAll(client, topic, 0);
    expect(first).toEqual({
      topic,
      partition: 0,
      offset: 0,
      timestamp,
      key: "ad-42",
      value: { adId: "ad-42" },
      headers: { source: "edge", "trace-id": "abc" },
    });
    expect(second).toMatchObject({ offset: 1, timestamp: defaulted!.timestamp, key: null, headers: {} });
  });

  it("sends a message to its explicit partition whatever its key", async () => {
    const topic = await newTopic(4);
    const key = "always-the-same-key";
    const target = (partitionForKey(key, 4) + 1) % 4;
    const [result] = await producer.send({ topic, messages: [{ key, value: "pinned", partition: target }] });
    expect(result!.partition).toBe(target);
    expect((await readAll(client, topic, target)).map((r) => r.value)).toEqual(["pinned"]);
  });

  it("round-trips binary and JSON values", async () => {
    const topic = await newTopic();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    const values: unknown[] = [bytes, "a string", { nested: [1, null, true] }, 42, null];
    await producer.send({
      topic,
      messages: values.map((value, i) => ({ key: i === 0 ? new Uint8Array([1, 2]) : `k${i}`, value })),
    });
    const records = await readAll(client, topic, 0);
    expect(records.map((r) => r.value)).toEqual(values);
    expect(records[0]!.value).toBeInstanceOf(Uint8Array);
    expect(records[0]!.key).toEqual(new Uint8Array([1, 2]));
  });

  it("refuses a partition the topic does not have, storing nothing", async () => {
    const topic = await newTopic(2);
    const err = await failureOf(
      producer.send({
        topic,
        messages: [
          { value: "fine", partition: 0 },
          { value: "nowhere", partition: 7 },
        ],
      }),
    );
    expect(err).toMatchObject({ code: "UNKNOWN_TOPIC_OR_PARTITION", status: 404 });
    expect(await admin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, low: 0, high: 0 },
      { partition: 1, low: 0, high: 0 },
    ]);
  });
});

describe("reader", () => {
  it("fetches pages of at most maxRecords and follows nextOffset to the end", async () => {
    const topic = await newTopic();
    await producer.send({ topic, messages: Array.from({ length: 7 }, (_, i) => ({ value: i })) });
    const first = await client.fetch({ topic, partition: 0, offset: 0, maxRecords: 3 });
    expect(first.records.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(first).toMatchObject({ nextOffset: 3, highWatermark: 7, logStartOffset: 0 });
    const second = await client.fetch({ topic, partition: 0, offset: first.nextOffset, maxRecords: 3 });
    expect(second.records.map((r) => r.value)).toEqual([3, 4, 5]);
    const last = await client.fetch({ topic, partition: 0, offset: second.nextOffset });
    expect(last.records.map((r) => r.value)).toEqual([6]);
    expect(last.nextOffset).toBe(7);
  });

  it("iterates a partition from 'earliest' and continues after a break", async () => {
    const topic = await newTopic();
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` })) });
    const reader = client.reader({ topic, partition: 0, fromOffset: "earliest", maxRecords: 2 });
    const seen: unknown[] = [];
    for await (const record of reader) {
      seen.push(record.value);
      if (seen.length === 3) break;
    }
    expect(reader.position).toBe(3);
    for await (const record of reader) {
      seen.push(record.value);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual(["v0", "v1", "v2", "v3", "v4"]);
  });

  it("follows records appended while it waits on a long poll", async () => {
    const topic = await newTopic();
    await producer.send({ topic, messages: [{ value: "old-0" }, { value: "old-1" }] });
    const { fetchFn, calls } = recordingFetch();
    const watcher = createClient({ url, token, retry, fetch: fetchFn });
    const reader = watcher.reader({ topic, partition: 0, fromOffset: "latest", waitMs: 20_000 });
    const iterator = reader[Symbol.asyncIterator]();
    const next = iterator.next();
    const longPolls = () => calls.filter((c) => c.url.pathname.endsWith("/records"));
    await waitFor(() => longPolls().length === 1, "the reader's long poll to start");
    expect(longPolls()[0]!.url.searchParams.get("offset")).toBe("2");
    expect(longPolls()[0]!.url.searchParams.get("waitMs")).toBe("20000");

    await producer.send({ topic, messages: [{ value: "new-2" }, { value: "new-3" }] });
    const first = await next;
    const second = await iterator.next();
    expect([first.value, second.value].map((r) => (r as ReaderRecord).value)).toEqual(["new-2", "new-3"]);
    expect([first.value, second.value].map((r) => (r as ReaderRecord).offset)).toEqual([2, 3]);
    // Both came from the one waiting request, not from polling again.
    expect(longPolls()).toHaveLength(1);
    await iterator.return?.();
    expect(reader.position).toBe(4);
  });

  it("stops a reader waiting on a long poll when its signal is aborted", async () => {
    const topic = await newTopic();
    const { fetchFn, calls } = recordingFetch();
    const controller = new AbortController();
    const reader = createClient({ url, token, fetch: fetchFn }).reader({
      topic,
      partition: 0,
      fromOffset: 0,
      waitMs: 30_000,
      signal: controller.signal,
    });
    const loop = (async () => {
      const seen: ReaderRecord[] = [];
      for await (const record of reader) seen.push(record);
      return seen;
    })();
    await waitFor(() => calls.length === 1, "the reader's long poll to start");
    controller.abort();
    expect(await loop).toEqual([]);
    // The waiting request itself was cancelled, not left to run out its 30 seconds.
    expect(calls[0]!.signal?.aborted).toBe(true);
  });

  it("rejects a fetch below the log start offset with OffsetOutOfRangeError", async () => {
    const topic = await newTopic(1, { retentionMs: 60_000 });
    const anHourAgo = Date.now() - 3_600_000;
    await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ value: i, timestamp: anHourAgo })) });
    await producer.send({ topic, messages: [{ value: "recent" }] });
    await waitFor(
      async () => (await admin.describeTopic(topic)).partitions[0]!.logStartOffset === 3,
      "retention to remove the expired records",
    );
    const err = await failureOf(client.fetch({ topic, partition: 0, offset: 0 }));
    expect(err).toBeInstanceOf(OffsetOutOfRangeError);
    expect(err).toMatchObject({ code: "OFFSET_OUT_OF_RANGE", status: 416, logStartOffset: 3, highWatermark: 4 });
    const recovered = await client.fetch({
      topic,
      partition: 0,
      offset: (err as OffsetOutOfRangeError).logStartOffset,
    });
    expect(recovered.records.map((r) => r.value)).toEqual(["recent"]);
  });

  it("rejects a fetch above the high watermark with OffsetOutOfRangeError", async () => {
    const topic = await newTopic();
    await producer.send({ topic, messages: [{ value: 1 }, { value: 2 }] });
    const err = await failureOf(client.fetch({ topic, partition: 0, offset: 3 }));
    expect(err).toBeInstanceOf(OffsetOutOfRangeError);
    expect(err).toMatchObject({ logStartOffset: 0, highWatermark: 2, retriable: false });
    // The high watermark itself is a valid place to read (and wait) from.
    expect((await client.fetch({ topic, partition: 0, offset: 2 })).records).toEqual([]);
  });
});

describe("authentication and retries", () => {
  it("rejects a wrong token with UNAUTHENTICATED", async () => {
    const stranger = createClient({ url, token: "not-the-token", retry });
    const err = await failureOf(stranger.admin().listTopics());
    expect(err).toMatchObject({ code: "UNAUTHENTICATED", status: 401, retriable: false });
  });

  it("recovers from a network failure by retrying, sending the records once", async () => {
    const topic = await newTopic();
    let calls = 0;
    const flaky: FetchFunction = (input, init) => {
      calls++;
      if (calls === 1) return Promise.reject(new TypeError("fetch failed: connection reset (simulated)"));
      return fetch(input, init);
    };
    const results = await createClient({ url, token, retry, fetch: flaky })
      .producer({ idempotent: false })
      .send({ topic, messages: [{ key: "k", value: "survived" }] });
    expect(results).toEqual([expect.objectContaining({ partition: 0, offset: 0 })]);
    expect(calls).toBe(2);
    expect((await readAll(client, topic, 0)).map((r) => r.value)).toEqual(["survived"]);
  });

  it("gives up with CONNECTION_ERROR once retries are spent", async () => {
    let calls = 0;
    const down: FetchFunction = () => {
      calls++;
      return Promise.reject(new TypeError("fetch failed (simulated)"));
    };
    const err = await failureOf(createClient({ url, token, retry, fetch: down }).admin().listTopics());
    expect(err).toMatchObject({ code: "CONNECTION_ERROR", retriable: true });
    expect(calls).toBe(retry.retries + 1);
  });
});
