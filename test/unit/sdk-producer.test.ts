// The producer's batching, sequence numbers, retries and throttling, against a fake worker
// passed as the client's fetch (no server: test/e2e/producer.test.ts runs against a worker).
import { describe, expect, it } from "vitest";
import { gunzip } from "../../sdk/compression.ts";
import {
  createClient,
  type FetchFunction,
  ProducerFencedError,
  type ProducerOptions,
  TributaryError,
} from "../../sdk/index.ts";
import { Batcher } from "../../sdk/producer/batcher.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

interface Stamp {
  id: string;
  epoch: number;
  sequence: number;
}

interface ProduceCall {
  topic: string;
  partition?: number;
  records: Array<{ key?: string; value?: unknown }>;
  acks: unknown;
  producer?: Stamp;
  encoding: string | null;
}

type Reply = Response | Error | undefined;

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const failure = (code: string, status: number, retriable: boolean, details: Record<string, unknown> = {}) =>
  json({ error: { code, message: code.toLowerCase(), retriable, ...details } }, status);

/**
 * A fake worker: topics with `partitions` partitions, producer ids, and partition logs that,
 * like the real one, answer a repeated (id, epoch, sequence) with its first offsets.
 * `intercept` may answer a produce call itself (an error, a lost answer) before or after it is
 * applied (`applied` says which).
 */
function fakeWorker(partitions = 3, intercept?: (call: ProduceCall, n: number, phase: "before" | "after") => Reply) {
  const logs = new Map<string, unknown[]>();
  const seen = new Map<string, { offset: number; count: number }>();
  const produceCalls: ProduceCall[] = [];
  let initCalls = 0;
  let metadataCalls = 0;
  const fetch: FetchFunction = async (input, init) => {
    const url = new URL(input);
    const path = url.pathname.replace(/^\/v1\//, "");
    if (path === "producers") {
      initCalls++;
      return json({ id: `p${initCalls}`, epoch: 0 });
    }
    const topicMatch = /^topics\/([^/]+)$/.exec(path);
    if (topicMatch && init.method === "GET") {
      metadataCalls++;
      return json({
        name: topicMatch[1],
        partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p })),
      });
    }
    const produceMatch = /^topics\/([^/]+)(?:\/partitions\/(\d+))?\/records$/.exec(path);
    if (!produceMatch) return failure("NOT_FOUND", 404, false);
    const headers = new Headers(init.headers);
    const encoding = headers.get("content-encoding");
    let text: string;
    if (encoding === "gzip") text = new TextDecoder().decode(await gunzip(init.body as Uint8Array));
    else text = init.body as string;
    const body = JSON.parse(text);
    const call: ProduceCall = {
      topic: produceMatch[1]!,
      partition: produceMatch[2] === undefined ? undefined : Number(produceMatch[2]),
      records: body.records,
      acks: body.acks,
      producer: body.producer,
      encoding,
    };
    produceCalls.push(call);
    const n = produceCalls.length;
    const before = intercept?.(call, n, "before");
    if (before instanceof Error) throw before;
    if (before) return before;
    const partition = call.partition ?? 0;
    const log = logs.get(`${call.topic}/${partition}`) ?? [];
    logs.set(`${call.topic}/${partition}`, log);
    let base: number;
    const stampKey = call.producer && `${call.producer.id}/${call.topic}/${partition}/${call.producer.sequence}`;
    const dup = stampKey ? seen.get(stampKey) : undefined;
    if (dup) base = dup.offset;
    else {
      base = log.length;
      log.push(...call.records.map((r) => r.value));
      if (stampKey) seen.set(stampKey, { offset: base, count: call.records.length });
    }
    const after = intercept?.(call, n, "after");
    if (after instanceof Error) throw after;
    if (after) return after;
    if (call.acks === 0) return json({ accepted: call.records.length }, 202);
    return json({ results: call.records.map((_, i) => ({ partition, offset: base + i, timestamp: 1000 })) });
  };
  return {
    fetch,
    produceCalls,
    logs,
    get initCalls() {
      return initCalls;
    },
    get metadataCalls() {
      return metadataCalls;
    },
  };
}

const noWait = { retries: 3, initialRetryTime: 1, maxRetryTime: 2 };

function producerOver(fetch: FetchFunction, options: ProducerOptions = {}) {
  return createClient({ url: "http://tributary.test", token: "t", fetch, retry: noWait }).producer(options);
}

async function failureOf(promise: Promise<unknown>): Promise<TributaryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

describe("idempotent producer (the default)", () => {
  it("gets a producer id once and sends each partition's batch with its first record's sequence", async () => {
    const worker = fakeWorker(3);
    const producer = producerOver(worker.fetch);
    const keys = ["a", "b", "c", "d", "e", "f"];
    const first = await producer.send({ topic: "t", messages: keys.map((key) => ({ key, value: key })) });
    const second = await producer.send({ topic: "t", messages: keys.map((key) => ({ key, value: `${key}2` })) });
    expect(worker.initCalls).toBe(1);
    expect(worker.metadataCalls).toBe(1);
    for (const [i, key] of keys.entries()) {
      expect(first[i]).toMatchObject({ topic: "t", partition: partitionForKey(key, 3) });
      expect(second[i]!.partition).toBe(first[i]!.partition);
    }
    // Per partition: sequence 0 for the first batch, then the count of records before it.
    const perPartition = new Map<number, number[]>();
    for (const call of worker.produceCalls) {
      expect(call.producer).toMatchObject({ id: "p1", epoch: 0 });
      perPartition.set(call.partition!, [...(perPartition.get(call.partition!) ?? []), call.producer!.sequence]);
    }
    for (const [partition, sequences] of perPartition) {
      const count = keys.filter((k) => partitionForKey(k, 3) === partition).length;
      expect(sequences).toEqual([0, count]);
    }
  });

  it("returns each message's metadata in the order given, across partitions", async () => {
    const worker = fakeWorker(4);
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: i }));
    const results = await producerOver(worker.fetch).send({ topic: "t", messages });
    expect(results.map((r) => r.partition)).toEqual(messages.map((m) => partitionForKey(m.key, 4)));
    for (const [i, r] of results.entries()) {
      expect(worker.logs.get(`t/${r.partition}`)![r.offset]).toBe(i);
    }
  });

  it("sends to the partition a message names, and keeps unkeyed messages of one send together", async () => {
    const worker = fakeWorker(5);
    const producer = producerOver(worker.fetch);
    const pinned = await producer.send({ topic: "t", messages: [{ key: "x", value: 1, partition: 4 }] });
    expect(pinned[0]!.partition).toBe(4);
    expect(worker.produceCalls[0]!.records[0]).not.toHaveProperty("partition");
    const unkeyed = await producer.send({ topic: "t", messages: [{ value: 1 }, { value: 2 }, { value: 3 }] });
    expect(new Set(unkeyed.map((r) => r.partition)).size).toBe(1);
  });

  it("refuses a partition the topic does not have, before sending anything", async () => {
    const worker = fakeWorker(2);
    const err = await failureOf(
      producerOver(worker.fetch).send({ topic: "t", messages: [{ value: 1, partition: 7 }] }),
    );
    expect(err.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(worker.produceCalls).toHaveLength(0);
  });

  it("retries a batch whose answer was lost with the same sequence, storing it once", async () => {
    const worker = fakeWorker(1, (_call, n, phase) =>
      n === 1 && phase === "after" ? new TypeError("connection reset after the append (simulated)") : undefined,
    );
    const producer = producerOver(worker.fetch);
    const results = await producer.send({ topic: "t", messages: [{ value: "a" }, { value: "b" }] });
    const next = await producer.send({ topic: "t", messages: [{ value: "c" }] });
    expect(results.map((r) => r.offset)).toEqual([0, 1]);
    expect(next[0]!.offset).toBe(2);
    expect(worker.produceCalls.map((c) => c.producer!.sequence)).toEqual([0, 0, 2]);
    expect(worker.logs.get("t/0")).toEqual(["a", "b", "c"]);
  });

  it("retries retriable errors with the same sequence, and gives up after retry.retries", async () => {
    const worker = fakeWorker(1, (_call, _n, phase) =>
      phase === "before" ? failure("NOT_LEADER_OR_FOLLOWER", 503, true) : undefined,
    );
    const err = await failureOf(producerOver(worker.fetch).send({ topic: "t", messages: [{ value: 1 }] }));
    expect(err.code).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(worker.produceCalls).toHaveLength(noWait.retries + 1);
    expect(new Set(worker.produceCalls.map((c) => c.producer!.sequence))).toEqual(new Set([0]));
  });

  it("takes a new producer id after a batch whose fate is unknown, so no later batch is taken for it", async () => {
    let down = true;
    const worker = fakeWorker(1, (_call, _n, phase) =>
      down && phase === "before" ? new TypeError("network down (simulated)") : undefined,
    );
    const producer = producerOver(worker.fetch);
    await failureOf(producer.send({ topic: "t", messages: [{ value: "lost?" }] }));
    down = false;
    await producer.send({ topic: "t", messages: [{ value: "next" }] });
    expect(worker.initCalls).toBe(2);
    expect(worker.produceCalls.at(-1)!.producer).toMatchObject({ id: "p2", sequence: 0 });
  });

  it("reuses the sequence of a batch the worker refused (nothing was stored)", async () => {
    const worker = fakeWorker(1, (call, _n, phase) =>
      phase === "before" && call.records[0]!.value === "huge" ? failure("MESSAGE_TOO_LARGE", 413, false) : undefined,
    );
    const producer = producerOver(worker.fetch);
    await producer.send({ topic: "t", messages: [{ value: "a" }] });
    expect((await failureOf(producer.send({ topic: "t", messages: [{ value: "huge" }] }))).code).toBe(
      "MESSAGE_TOO_LARGE",
    );
    await producer.send({ topic: "t", messages: [{ value: "b" }] });
    expect(worker.produceCalls.map((c) => c.producer!.sequence)).toEqual([0, 1, 1]);
  });

  it("waits out THROTTLING_QUOTA_EXCEEDED without counting it as a failure", async () => {
    const worker = fakeWorker(1, (_call, n, phase) =>
      phase === "before" && n <= 6
        ? json(
            { error: { code: "THROTTLING_QUOTA_EXCEEDED", message: "slow down", retriable: true, retryAfterMs: 5 } },
            429,
            { "retry-after": "1" },
          )
        : undefined,
    );
    const started = Date.now();
    const results = await producerOver(worker.fetch).send({ topic: "t", messages: [{ value: 1 }] });
    expect(results[0]!.offset).toBe(0);
    // Six throttled answers, more than retry.retries (3): throttling is not a failure.
    expect(worker.produceCalls).toHaveLength(7);
    // The body's retryAfterMs (5 ms) is used, not the header's rounded-up second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("turns PRODUCER_FENCED into a ProducerFencedError, and refuses every later send", async () => {
    const worker = fakeWorker(1, (_call, _n, phase) =>
      phase === "before" ? failure("PRODUCER_FENCED", 409, false, { currentEpoch: 1 }) : undefined,
    );
    const producer = producerOver(worker.fetch, { transactionalId: "billing" });
    const err = await failureOf(producer.send({ topic: "t", messages: [{ value: 1 }] }));
    expect(err).toBeInstanceOf(ProducerFencedError);
    expect(err).toMatchObject({ code: "PRODUCER_FENCED", retriable: false });
    expect(await failureOf(producer.send({ topic: "t", messages: [{ value: 2 }] }))).toBe(err);
    expect(worker.produceCalls).toHaveLength(1);
  });

  it("keeps one batch per partition in flight; later sends gather in the next batch", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const worker = fakeWorker(1);
    const slow: FetchFunction = async (input, init) => {
      if (input.includes("/records") && worker.produceCalls.length === 0) await gate;
      return worker.fetch(input, init);
    };
    const producer = producerOver(slow);
    const sends = [producer.send({ topic: "t", messages: [{ value: 0 }] })];
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 1; i <= 5; i++) sends.push(producer.send({ topic: "t", messages: [{ value: i }] }));
    await new Promise((r) => setTimeout(r, 20));
    release();
    const results = await Promise.all(sends);
    expect(results.map((r) => r[0]!.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(worker.produceCalls.map((c) => c.records.length)).toEqual([1, 5]);
    expect(worker.produceCalls.map((c) => c.producer!.sequence)).toEqual([0, 1]);
  });
});

describe("non-idempotent producer", () => {
  it("sends one request per send to the topic route, without a producer id", async () => {
    const worker = fakeWorker(3);
    const results = await producerOver(worker.fetch, { idempotent: false }).send({
      topic: "t",
      messages: [{ key: "k", value: 1 }],
    });
    expect(results).toEqual([{ topic: "t", partition: 0, offset: 0, timestamp: 1000 }]);
    expect(worker.initCalls).toBe(0);
    expect(worker.metadataCalls).toBe(0);
    expect(worker.produceCalls).toEqual([
      expect.objectContaining({ partition: undefined, producer: undefined, records: [{ key: "k", value: 1 }] }),
    ]);
  });

  it("is what acks 0 gets by default, answering an empty result", async () => {
    const worker = fakeWorker(1);
    expect(await producerOver(worker.fetch, { acks: 0 }).send({ topic: "t", messages: [{ value: 1 }] })).toEqual([]);
    expect(worker.produceCalls[0]).toMatchObject({ acks: 0, producer: undefined });
    expect(worker.initCalls).toBe(0);
  });
});

describe("batching", () => {
  it("with lingerMs, gathers many sends into one request per partition", async () => {
    const worker = fakeWorker(2);
    const producer = producerOver(worker.fetch, { lingerMs: 50 });
    const sends = Array.from({ length: 40 }, (_, i) =>
      producer.send({ topic: "t", messages: [{ key: `k${i % 4}`, value: i }] }),
    );
    const results = await Promise.all(sends);
    const partitions = new Set(["k0", "k1", "k2", "k3"].map((k) => partitionForKey(k, 2)));
    expect(worker.produceCalls).toHaveLength(partitions.size);
    expect(worker.produceCalls.reduce((n, c) => n + c.records.length, 0)).toBe(40);
    for (const [i, [r]] of results.entries()) expect(worker.logs.get(`t/${r!.partition}`)![r!.offset]).toBe(i);
  });

  it("sends a batch as soon as it reaches batchSize, without waiting for the linger", async () => {
    const worker = fakeWorker(1);
    // {"value":"x…"} with 60 x's is 72 bytes: two fill a batch of 144.
    const producer = producerOver(worker.fetch, { lingerMs: 60_000, batchSize: 144 });
    const value = "x".repeat(60);
    await Promise.all([0, 1].map(() => producer.send({ topic: "t", messages: [{ value }] })));
    expect(worker.produceCalls.map((c) => c.records.length)).toEqual([2]);
  });

  it("sends a batch as soon as the next record does not fit in it", async () => {
    const worker = fakeWorker(1);
    const producer = producerOver(worker.fetch, { lingerMs: 60_000, batchSize: 150 });
    const value = "x".repeat(60);
    const sends = [0, 1, 2].map(() => producer.send({ topic: "t", messages: [{ value }] }));
    await Promise.all(sends.slice(0, 2));
    expect(worker.produceCalls.map((c) => c.records.length)).toEqual([2]);
    await producer.flush();
    expect((await sends[2]!)[0]!.offset).toBe(2);
  });

  it("splits one large send into batches of at most batchSize, sent in order", async () => {
    const worker = fakeWorker(1);
    const value = "y".repeat(90);
    const messages = Array.from({ length: 10 }, () => ({ value }));
    const results = await producerOver(worker.fetch, { batchSize: 250 }).send({ topic: "t", messages });
    expect(results.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(worker.produceCalls.map((c) => c.records.length)).toEqual([2, 2, 2, 2, 2]);
    expect(worker.produceCalls.map((c) => c.producer!.sequence)).toEqual([0, 2, 4, 6, 8]);
  });

  it("flush sends lingering batches at once", async () => {
    const worker = fakeWorker(1);
    const producer = producerOver(worker.fetch, { lingerMs: 60_000 });
    const sent = producer.send({ topic: "t", messages: [{ value: 1 }] });
    await new Promise((r) => setTimeout(r, 20));
    expect(worker.produceCalls).toHaveLength(0);
    await producer.flush();
    expect(worker.produceCalls).toHaveLength(1);
    expect((await sent)[0]!.offset).toBe(0);
  });

  it("disconnect sends what is pending", async () => {
    const worker = fakeWorker(1);
    const producer = producerOver(worker.fetch, { lingerMs: 60_000, idempotent: false });
    const sent = producer.send({ topic: "t", messages: [{ value: 1 }] });
    await producer.disconnect();
    expect((await sent)[0]!.offset).toBe(0);
  });

  it("keeps sends with different acks in separate batches", async () => {
    const worker = fakeWorker(1);
    const producer = producerOver(worker.fetch, { lingerMs: 30 });
    await Promise.all([
      producer.send({ topic: "t", messages: [{ value: 1 }] }),
      producer.send({ topic: "t", messages: [{ value: 2 }], acks: "all" }),
    ]);
    expect(worker.produceCalls.map((c) => c.acks)).toEqual([1, "all"]);
  });
});

describe("Batcher", () => {
  it("sends the head batch when its linger has passed", async () => {
    let now = 0;
    const sent: number[][] = [];
    const batcher = new Batcher<number>({
      batchSize: 1000,
      lingerMs: 100,
      now: () => now,
      deliver: async (batch) => {
        sent.push(batch.records.map((r) => r.value as number));
        return batch.records.map((r) => r.value as number);
      },
    });
    const a = batcher.add({ topic: "t", partition: 0 }, 1, { value: 1 });
    batcher.add({ topic: "t", partition: 0 }, 1, { value: 2 });
    batcher.drain();
    expect(sent).toEqual([]);
    now = 100;
    batcher.drain();
    expect(sent).toEqual([[1, 2]]);
    expect(await a).toBe(1);
  });
});

describe("compression", () => {
  it("gzips bodies of 1 KiB or more, with Content-Encoding: gzip, and leaves small ones", async () => {
    const worker = fakeWorker(1);
    const producer = producerOver(worker.fetch, { compression: "gzip" });
    await producer.send({ topic: "t", messages: [{ value: "small" }] });
    const big = Array.from({ length: 50 }, (_, i) => ({ value: `a fairly repetitive value number ${i}` }));
    const results = await producer.send({ topic: "t", messages: big });
    expect(worker.produceCalls.map((c) => c.encoding)).toEqual([null, "gzip"]);
    expect(results).toHaveLength(50);
    expect(worker.logs.get("t/0")!.at(-1)).toBe("a fairly repetitive value number 49");
  });
});

describe("producer options", () => {
  const client = createClient({ url: "http://tributary.test", token: "t" });
  const configError = (make: () => unknown): TributaryError => {
    try {
      make();
    } catch (err) {
      expect(err).toBeInstanceOf(TributaryError);
      expect((err as TributaryError).code).toBe("INVALID_ARGUMENT");
      return err as TributaryError;
    }
    throw new Error("expected an INVALID_ARGUMENT error");
  };

  it("checks batchSize", () => {
    expect(configError(() => client.producer({ batchSize: 0 })).message).toBe(
      "producer: batchSize: must be a whole number from 1 to 16777216",
    );
  });

  it("checks lingerMs", () => {
    expect(configError(() => client.producer({ lingerMs: 1.5 })).message).toBe(
      "producer: lingerMs: must be a whole number from 0 to 60000",
    );
  });

  it("checks compression", () => {
    expect(configError(() => client.producer({ compression: "zstd" as never })).message).toBe(
      'producer: compression: must be "gzip" or "none"',
    );
  });

  it("checks idempotent", () => {
    expect(configError(() => client.producer({ idempotent: "yes" as never })).message).toBe(
      "producer: idempotent: must be true or false",
    );
  });

  it("checks transactionalId", () => {
    expect(configError(() => client.producer({ transactionalId: "" })).message).toBe(
      "producer: transactionalId: must be a string of 1 to 249 characters",
    );
    expect(configError(() => client.producer({ transactionalId: "x", idempotent: false })).message).toMatch(
      /^producer: transactionalId: needs an idempotent producer/,
    );
  });

  it("checks metadataMaxAgeMs", () => {
    expect(configError(() => client.producer({ metadataMaxAgeMs: -1 })).message).toBe(
      "producer: metadataMaxAgeMs: must be a whole number from 0 to 3600000",
    );
  });

  it("refuses acks 0 with idempotent: true, saying why", () => {
    expect(configError(() => client.producer({ idempotent: true, acks: 0 })).message).toMatch(
      /^producer: acks: must be 1, -1 or "all" when idempotent is true/,
    );
  });

  it("refuses a send with acks 0 on a producer made with idempotent: true", async () => {
    const err = await failureOf(
      client.producer({ idempotent: true }).send({ topic: "t", messages: [{ value: 1 }], acks: 0 }),
    );
    expect(err.message).toMatch(/^producer\.send: acks: must be 1, -1 or "all"/);
  });

  it("refuses gzip clearly where CompressionStream is missing", () => {
    const global = globalThis as Record<string, unknown>;
    const saved = global.CompressionStream;
    try {
      global.CompressionStream = undefined;
      expect(configError(() => client.producer({ compression: "gzip" })).message).toMatch(
        /^producer: compression: "gzip" needs the global CompressionStream/,
      );
    } finally {
      global.CompressionStream = saved;
    }
  });
});
