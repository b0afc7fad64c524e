import { describe, expect, it } from "vitest";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";
import { call, createTopic } from "../helpers/http.ts";

type Fetched = { offset: number; partition: number; value?: unknown; key?: string; timestamp: number };

async function fetchAll(topic: string, partition: number, from = 0): Promise<Fetched[]> {
  const out: Fetched[] = [];
  let offset = from;
  for (;;) {
    const res = await call(
      "GET",
      `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&maxRecords=1000`,
    );
    if (res.status !== 200) throw new Error(JSON.stringify(res.json));
    out.push(...res.json.records);
    if (res.json.nextOffset >= res.json.highWatermark) return out;
    offset = res.json.nextOffset;
  }
}

describe("produce and fetch", () => {
  it("gives contiguous, ordered offsets under concurrent producers, each request's records together", async () => {
    const topic = await createTopic(1);
    const producers = 8;
    const requests = 6;
    const perRequest = 25;
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let r = 0; r < requests; r++) {
          const records = Array.from({ length: perRequest }, (_, i) => ({ value: { p, r, i } }));
          const res = await call("POST", `/v1/topics/${topic}/records`, { records });
          expect(res.status).toBe(200);
          const offsets = res.json.results.map((x: { offset: number }) => x.offset);
          // One request's records are appended atomically: contiguous offsets, request order.
          expect(offsets).toEqual(offsets.map((_: number, i: number) => offsets[0] + i));
        }
      }),
    );
    const all = await fetchAll(topic, 0);
    expect(all.map((r) => r.offset)).toEqual(all.map((_, i) => i));
    expect(all).toHaveLength(producers * requests * perRequest);
    // Each producer's records arrive in the order it sent them.
    for (let p = 0; p < producers; p++) {
      const mine = all.map((r) => r.value as { p: number; r: number; i: number }).filter((v) => v.p === p);
      expect(mine.map((v) => v.r * perRequest + v.i)).toEqual(mine.map((_, i) => i));
    }
  });

  it("returns results in request order with partition, offset and timestamp", async () => {
    const topic = await createTopic(4);
    const records = [
      { key: "alpha", value: 1 },
      { partition: 2, value: 2 },
      { key: "beta", value: 3, timestamp: 1_700_000_000_000 },
      { partition: 2, value: 4 },
    ];
    const res = await call("POST", `/v1/topics/${topic}/records`, { records });
    expect(res.status).toBe(200);
    const [a, b, c, d] = res.json.results;
    expect(a.partition).toBe(partitionForKey("alpha", 4));
    expect(b).toMatchObject({ partition: 2 });
    expect(d).toMatchObject({ partition: 2, offset: b.offset + 1 });
    expect(c).toMatchObject({ partition: partitionForKey("beta", 4), timestamp: 1_700_000_000_000 });
    expect(a.timestamp).toBeGreaterThan(1_700_000_000_000);
  });

  it("puts the same key on the partition Kafka's default partitioner picks, every time", async () => {
    const topic = await createTopic(6);
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    for (let round = 0; round < 2; round++) {
      const res = await call("POST", `/v1/topics/${topic}/records`, {
        records: keys.map((key) => ({ key, value: round })),
      });
      expect(res.status).toBe(200);
      res.json.results.forEach((r: { partition: number }, i: number) => {
        expect(r.partition).toBe(partitionForKey(keys[i]!, 6));
      });
    }
    // And the records are really there.
    const p = partitionForKey("user-7", 6);
    const stored = await fetchAll(topic, p);
    expect(stored.filter((r) => r.key === "user-7").map((r) => r.value)).toEqual([0, 1]);
  });

  it("spreads unkeyed records evenly over the partitions across requests", async () => {
    const topic = await createTopic(4);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40; i++) {
      const res = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: i }, { value: i }] });
      for (const r of res.json.results) counts[r.partition]!++;
    }
    expect(counts).toEqual([20, 20, 20, 20]);
  });

  it("round-trips keys, binary keys and values, headers, null values and timestamps", async () => {
    const topic = await createTopic(1);
    const records = [
      { key: "k1", value: { nested: [1, "two", null, { three: 3.5 }] }, headers: { source: "edge", trace: "abc" } },
      { keyBase64: "AAEC/w==", valueBase64: "aGVsbG8gd29ybGQ=" },
      { value: null, timestamp: 1234 },
      { key: "ключ", value: "значение ✓ 🚀" },
      { key: null, value: false },
    ];
    const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records });
    expect(res.status).toBe(200);
    const fetched = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    const got = fetched.json.records;
    expect(got[0]).toMatchObject({
      partition: 0,
      offset: 0,
      key: "k1",
      value: records[0]!.value,
      headers: records[0]!.headers,
    });
    expect(got[1]).toMatchObject({ offset: 1, keyBase64: "AAEC/w==", valueBase64: "aGVsbG8gd29ybGQ=" });
    expect(got[1]).not.toHaveProperty("value");
    expect(got[2]).toEqual({ partition: 0, offset: 2, timestamp: 1234, value: null });
    expect(got[3]).toMatchObject({ key: "ключ", value: "значение ✓ 🚀" });
    expect(got[4]).toMatchObject({ value: false });
    expect(got[4]).not.toHaveProperty("key");
  });

  it("serves the same records whether the body was compact or spaced out", async () => {
    const topic = await createTopic(1);
    const records = [
      { key: "k", value: { a: [1, { b: "c" }] }, headers: { h: "v" } },
      { keyBase64: "AAE=", valueBase64: "AgM=" },
      { value: "plain" },
    ];
    // A compact body is stored without serializing the records again; a spaced one is not.
    await call("POST", `/v1/topics/${topic}/records`, JSON.stringify({ records }));
    await call("POST", `/v1/topics/${topic}/records`, JSON.stringify({ records }, null, 2));
    const got = (await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`)).json.records;
    const strip = (r: Record<string, unknown>) => {
      const { offset: _o, timestamp: _t, ...rest } = r;
      return rest;
    };
    expect(got).toHaveLength(6);
    expect(got.slice(0, 3).map(strip)).toEqual(got.slice(3).map(strip));
    expect(got.slice(0, 3).map(strip)).toEqual(records.map((r) => ({ partition: 0, ...r })));
  });

  it("caps a fetch by maxRecords and maxBytes and follows nextOffset", async () => {
    const topic = await createTopic(1);
    const records = Array.from({ length: 50 }, (_, i) => ({ value: { i, pad: "p".repeat(100) } }));
    await call("POST", `/v1/topics/${topic}/records`, { records });
    const page = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=10&maxRecords=7`);
    expect(page.json.records.map((r: Fetched) => r.offset)).toEqual([10, 11, 12, 13, 14, 15, 16]);
    expect(page.json).toMatchObject({ nextOffset: 17, highWatermark: 50, logStartOffset: 0 });
    const bytes = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&maxBytes=300`);
    expect(bytes.json.records.length).toBeGreaterThanOrEqual(1);
    expect(bytes.json.records.length).toBeLessThan(4);
    const tiny = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&maxBytes=1`);
    expect(tiny.json.records).toHaveLength(1);
    const end = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=50`);
    expect(end.json).toMatchObject({ records: [], nextOffset: 50, highWatermark: 50 });
  });

  it("answers 416 OFFSET_OUT_OF_RANGE above the high watermark, with the bounds", async () => {
    const topic = await createTopic(1);
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1 }] });
    const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=2`);
    expect(res.status).toBe(416);
    expect(res.json.error).toMatchObject({
      code: "OFFSET_OUT_OF_RANGE",
      logStartOffset: 0,
      highWatermark: 1,
      retriable: false,
    });
  });

  it("wakes a long poll as soon as an append lands", async () => {
    const topic = await createTopic(1);
    const poll = call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&waitMs=20000`);
    let settled = false;
    poll.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "wake" }] });
    const res = await poll;
    expect(res.json.records.map((r: Fetched) => r.value)).toEqual(["wake"]);
  });

  it("answers a long poll that times out with no records", async () => {
    const topic = await createTopic(1);
    const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&waitMs=100`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ records: [], nextOffset: 0, highWatermark: 0 });
  });

  it("finds offsets by earliest, latest and timestamp", async () => {
    const topic = await createTopic(1);
    // Recent timestamps: records older than retentionMs (7 days) would be removed.
    const base = Date.now() - 60_000;
    await call("POST", `/v1/topics/${topic}/records`, {
      records: [0, 1, 2].map((i) => ({ value: i, timestamp: base + i * 1000 })),
    });
    await call("POST", `/v1/topics/${topic}/records`, {
      records: [3, 4].map((i) => ({ value: i, timestamp: base + i * 1000 })),
    });
    const at = async (q: string) => (await call("GET", `/v1/topics/${topic}/partitions/0/offsets?at=${q}`)).json;
    expect(await at("earliest")).toEqual({ offset: 0 });
    expect(await at("latest")).toEqual({ offset: 5 });
    expect(await at(String(base + 1500))).toEqual({ offset: 2, timestamp: base + 2000 });
    expect(await at(String(base + 3000))).toEqual({ offset: 3, timestamp: base + 3000 });
    expect(await at(String(base))).toEqual({ offset: 0, timestamp: base });
    expect(await at(String(base + 99_000))).toEqual({ offset: 5 });
  });

  it("rejects a request holding a record over maxMessageBytes with 413 and stores nothing, on any partition", async () => {
    const topic = await createTopic(3, { maxMessageBytes: 1000 });
    const records = [
      { partition: 0, value: "ok" },
      { partition: 1, value: "ok" },
      { partition: 2, value: "z".repeat(2000) },
    ];
    const res = await call("POST", `/v1/topics/${topic}/records`, { records });
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: "MESSAGE_TOO_LARGE", maxMessageBytes: 1000 });
    const described = await call("GET", `/v1/topics/${topic}`);
    expect(described.json.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([0, 0, 0]);
  });

  it("stores a batch larger than the storage's 2 MB string limit in several chunks, atomically and in order", async () => {
    const topic = await createTopic(1);
    const records = Array.from({ length: 3000 }, (_, i) => ({ value: { i, pad: "q".repeat(1000) } }));
    const res = await call("POST", `/v1/topics/${topic}/records`, { records });
    expect(res.status).toBe(200);
    expect(res.json.results.at(-1).offset).toBe(2999);
    const all = await fetchAll(topic, 0);
    expect(all.map((r) => (r.value as { i: number }).i)).toEqual(records.map((_, i) => i));
  });

  it("answers acks=0 with 202 at once and still stores the records", async () => {
    const topic = await createTopic(1);
    const res = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1 }, { value: 2 }], acks: 0 });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: 2 });
    const stored = await (async () => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const f = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
        if (f.json.records.length === 2 || Date.now() > deadline) return f.json.records;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    expect(stored.map((r: Fetched) => r.value)).toEqual([1, 2]);
  });

  it("accepts a gzip-compressed request body", async () => {
    const topic = await createTopic(1);
    const body = JSON.stringify({ records: [{ value: "compressed" }] });
    const gz = await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch(
      new Request(`http://t/v1/topics/${topic}/records`, {
        method: "POST",
        body: gz,
        headers: { authorization: "Bearer test-token", "content-encoding": "gzip", "content-type": "application/json" },
      }),
    );
    expect(res.status).toBe(200);
    const f = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(f.json.records[0].value).toBe("compressed");
  });
});
