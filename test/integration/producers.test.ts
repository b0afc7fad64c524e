import { describe, expect, it } from "vitest";
import { call, createTopic, uniqueName, waitFor } from "../helpers/http.ts";

async function fetchValues(topic: string) {
  const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&maxRecords=10000`);
  return res.json.records.map((r: { value: unknown }) => r.value);
}

describe("idempotent produce", () => {
  it("hands out producer ids, and a transactional id gets the same id with a newer epoch", async () => {
    const a = await call("POST", "/v1/producers", {});
    const b = await call("POST", "/v1/producers");
    expect(a.status).toBe(200);
    expect(a.json.epoch).toBe(0);
    expect(a.json.id).not.toBe(b.json.id);
    const tx = uniqueName("tx");
    const first = await call("POST", "/v1/producers", { transactionalId: tx });
    const second = await call("POST", "/v1/producers", { transactionalId: tx });
    expect(second.json).toEqual({ id: first.json.id, epoch: first.json.epoch + 1 });
  });

  it("stores each record once and in order when every request is sent twice (a lost response, retried)", async () => {
    const topic = await createTopic(1);
    const { json: producer } = await call("POST", "/v1/producers", {});
    let sequence = 0;
    for (let batch = 0; batch < 10; batch++) {
      const records = Array.from({ length: 5 }, (_, i) => ({ value: batch * 5 + i }));
      const body = { records, producer: { ...producer, sequence } };
      const first = await call("POST", `/v1/topics/${topic}/partitions/0/records`, body);
      const retry = await call("POST", `/v1/topics/${topic}/partitions/0/records`, body);
      expect(first.status).toBe(200);
      expect(retry.status).toBe(200);
      expect(retry.json.results).toEqual(first.json.results);
      sequence += records.length;
    }
    expect(await fetchValues(topic)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("answers a gap in the sequence with OUT_OF_ORDER_SEQUENCE_NUMBER and stores nothing of it", async () => {
    const topic = await createTopic(1);
    const { json: producer } = await call("POST", "/v1/producers", {});
    await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: 0 }],
      producer: { ...producer, sequence: 0 },
    });
    const gap = await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: "x" }],
      producer: { ...producer, sequence: 5 },
    });
    expect(gap.status).toBe(409);
    expect(gap.json.error).toMatchObject({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER", expectedSequence: 1 });
    expect(await fetchValues(topic)).toEqual([0]);
  });

  it("fences the older producer once a newer epoch of its transactional id has written", async () => {
    const topic = await createTopic(1);
    const tx = uniqueName("tx");
    const { json: old } = await call("POST", "/v1/producers", { transactionalId: tx });
    await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: "old" }],
      producer: { ...old, sequence: 0 },
    });
    const { json: fresh } = await call("POST", "/v1/producers", { transactionalId: tx });
    const ok = await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: "new" }],
      producer: { ...fresh, sequence: 0 },
    });
    expect(ok.status).toBe(200);
    const fenced = await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: "zombie" }],
      producer: { ...old, sequence: 1 },
    });
    expect(fenced.status).toBe(409);
    expect(fenced.json.error.code).toBe("PRODUCER_FENCED");
    expect(await fetchValues(topic)).toEqual(["old", "new"]);
  });

  it("refuses a producer on the topic-level route, whose records may go to many partitions", async () => {
    const topic = await createTopic(2);
    const res = await call("POST", `/v1/topics/${topic}/records`, {
      records: [{ value: 1 }],
      producer: { id: "p", epoch: 0, sequence: 0 },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain("partitions/:p/records");
  });
});

describe("produce quotas", () => {
  it("answers 429 THROTTLING_QUOTA_EXCEEDED with Retry-After over the records/s quota, storing nothing of that request", async () => {
    const topic = await createTopic(1, { produceRecordsPerSecond: 20 });
    const records = Array.from({ length: 15 }, (_, i) => ({ value: i }));
    expect((await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records })).status).toBe(200);
    expect((await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records })).status).toBe(200);
    const throttled = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records });
    expect(throttled.status).toBe(429);
    expect(throttled.json.error).toMatchObject({ code: "THROTTLING_QUOTA_EXCEEDED", retriable: true });
    expect(throttled.json.error.retryAfterMs).toBeGreaterThan(0);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await fetchValues(topic)).toHaveLength(30);
    // After the wait it takes records again.
    await waitFor(
      async () =>
        (await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records: [{ value: "later" }] })).status ===
        200,
      5000,
      "the quota to refill",
    );
  });

  it("applies a bytes/s quota set later with PATCH", async () => {
    const topic = await createTopic(1);
    const patched = await call("PATCH", `/v1/topics/${topic}`, { config: { produceBytesPerSecond: 2048 } });
    expect(patched.json.config.produceBytesPerSecond).toBe(2048);
    const big = [{ value: "b".repeat(3000) }];
    expect((await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records: big })).status).toBe(200);
    const throttled = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records: big });
    expect(throttled.status).toBe(429);
  });
});
