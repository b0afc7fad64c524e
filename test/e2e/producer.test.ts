// The producer's guarantees against a real local worker (wrangler dev, started by
// global-setup.ts): batching, gzip, the key partitioner, idempotent retries, fencing and quotas.
import { describe, expect, inject, it } from "vitest";
import {
  createClient,
  type FetchFunction,
  ProducerFencedError,
  type ReaderRecord,
  type TributaryClient,
  TributaryError,
} from "../../sdk/index.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

const url = inject("baseUrl");
const token = inject("token");
const retry = { retries: 3, initialRetryTime: 5, maxRetryTime: 50 };
const client = createClient({ url, token, retry });
const admin = client.admin();

let n = 0;
async function newTopic(partitions = 1, config: Record<string, number> = {}): Promise<string> {
  const topic = `producer-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await admin.createTopic({ topic, partitions, replicationFactor: 1, config });
  return topic;
}

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

/** A fetch that counts produce requests and notes whether their bodies were gzipped. */
function countingFetch(wrapped: FetchFunction = (input, init) => fetch(input, init)) {
  const produces: Array<{ path: string; encoding: string | null }> = [];
  const fetchFn: FetchFunction = (input, init) => {
    const path = new URL(input).pathname;
    if (init.method === "POST" && path.endsWith("/records")) {
      produces.push({ path, encoding: new Headers(init.headers).get("content-encoding") });
    }
    return wrapped(input, init);
  };
  return { fetchFn, produces };
}

describe("batching and compression", () => {
  it("gathers many concurrent sends into few requests with lingerMs", async () => {
    const topic = await newTopic(2);
    const { fetchFn, produces } = countingFetch();
    const producer = createClient({ url, token, retry, fetch: fetchFn }).producer({ lingerMs: 100 });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => producer.send({ topic, messages: [{ key: `k${i % 10}`, value: i }] })),
    );
    expect(produces.length).toBeLessThanOrEqual(4);
    const stored = [...(await readAll(client, topic, 0)), ...(await readAll(client, topic, 1))];
    expect(stored).toHaveLength(100);
    for (const [i, [meta]] of results.entries()) {
      const record = stored.find((r) => r.partition === meta!.partition && r.offset === meta!.offset);
      expect(record?.value).toBe(i);
    }
  });

  it("sends gzipped bodies the worker stores as sent", async () => {
    const topic = await newTopic();
    const { fetchFn, produces } = countingFetch();
    const producer = createClient({ url, token, retry, fetch: fetchFn }).producer({ compression: "gzip" });
    const messages = Array.from({ length: 200 }, (_, i) => ({
      key: `user-${i}`,
      value: { i, text: "hello ".repeat(5) },
    }));
    const results = await producer.send({ topic, messages });
    expect(results.map((r) => r.offset)).toEqual(messages.map((_, i) => i));
    expect(produces.map((p) => p.encoding)).toEqual(["gzip"]);
    const stored = await readAll(client, topic, 0);
    expect(stored.map((r) => r.value)).toEqual(messages.map((m) => m.value));
  });

  it("puts keyed messages on the partition partitionForKey picks", async () => {
    const topic = await newTopic(6);
    const keys = Array.from({ length: 30 }, (_, i) => `ad-${i}`);
    const results = await client.producer().send({ topic, messages: keys.map((key) => ({ key, value: key })) });
    for (const [i, key] of keys.entries()) expect(results[i]!.partition).toBe(partitionForKey(key, 6));
    for (let p = 0; p < 6; p++) {
      for (const record of await readAll(client, topic, p)) expect(partitionForKey(record.key as string, 6)).toBe(p);
    }
  });

  it("still sends to the topic route without idempotence", async () => {
    const topic = await newTopic(3);
    const { fetchFn, produces } = countingFetch();
    const producer = createClient({ url, token, retry, fetch: fetchFn }).producer({ idempotent: false });
    const results = await producer.send({
      topic,
      messages: [
        { key: "a", value: 1 },
        { key: "b", value: 2 },
      ],
    });
    expect(results.map((r) => r.partition)).toEqual([partitionForKey("a", 3), partitionForKey("b", 3)]);
    expect(produces).toEqual([{ path: `/v1/topics/${topic}/records`, encoding: null }]);
  });
});

describe("idempotence", () => {
  it("stores each record once and in order when answers are lost and batches retried", async () => {
    const topic = await newTopic();
    let produceCalls = 0;
    // Every third produce is performed, but its answer is lost on the way back.
    const lossy: FetchFunction = async (input, init) => {
      const response = await fetch(input, init);
      if (init.method === "POST" && new URL(input).pathname.endsWith("/records") && produceCalls++ % 3 === 0) {
        await response.text();
        throw new TypeError("connection reset after the request was handled (simulated)");
      }
      return response;
    };
    const producer = createClient({ url, token, retry, fetch: lossy }).producer();
    const sent: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const values = [0, 1, 2].map((i) => batch * 3 + i);
      const results = await producer.send({ topic, messages: values.map((value) => ({ value })) });
      expect(results.map((r) => r.offset)).toEqual(values);
      sent.push(...values);
    }
    expect(produceCalls).toBeGreaterThan(5);
    expect((await readAll(client, topic, 0)).map((r) => r.value)).toEqual(sent);
  });

  it("fences the older producer of a transactionalId with PRODUCER_FENCED", async () => {
    const topic = await newTopic();
    const transactionalId = `tx-${topic}`;
    const first = client.producer({ transactionalId });
    await first.send({ topic, messages: [{ value: "from the first" }] });
    const second = client.producer({ transactionalId });
    await second.send({ topic, messages: [{ value: "from the second" }] });
    const err = await first.send({ topic, messages: [{ value: "too late" }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProducerFencedError);
    expect(err).toMatchObject({ code: "PRODUCER_FENCED", retriable: false });
    expect((await readAll(client, topic, 0)).map((r) => r.value)).toEqual(["from the first", "from the second"]);
  });
});

describe("quotas", () => {
  it("slows down when throttled and ends with every record stored, in order", async () => {
    const topic = await newTopic(1, { produceRecordsPerSecond: 20 });
    let throttled = 0;
    const counting: FetchFunction = async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 429) throttled++;
      return response;
    };
    // Retries would run out long before the quota lets 60 records through: throttling must not count.
    const producer = createClient({
      url,
      token,
      retry: { retries: 1, initialRetryTime: 5 },
      fetch: counting,
    }).producer();
    const sent: number[] = [];
    for (let i = 0; i < 12; i++) {
      const values = [0, 1, 2, 3, 4].map((j) => i * 5 + j);
      await producer.send({ topic, messages: values.map((value) => ({ value })) });
      sent.push(...values);
    }
    expect(throttled).toBeGreaterThan(0);
    expect((await readAll(client, topic, 0)).map((r) => r.value)).toEqual(sent);
  });

  it("fails at once on a refused batch, and reuses its sequence for the next one", async () => {
    const topic = await newTopic(1, { maxMessageBytes: 100 });
    const producer = client.producer();
    const err = await producer.send({ topic, messages: [{ value: "x".repeat(500) }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("MESSAGE_TOO_LARGE");
    const [next] = await producer.send({ topic, messages: [{ value: "small" }] });
    expect(next!.offset).toBe(0);
    expect((await readAll(client, topic, 0)).map((r) => r.value)).toEqual(["small"]);
  });
});
