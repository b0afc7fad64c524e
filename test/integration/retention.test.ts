import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partitionStub } from "../../cluster/stubs.ts";
import { call, createTopic, waitFor } from "../helpers/http.ts";

async function partitionOf(topic: string, partition = 0) {
  const described = await call("GET", `/v1/topics/${topic}`);
  return partitionStub(env, { topic, topicId: described.json.id, partition });
}

describe("retention", () => {
  it("removes records older than retentionMs by alarm and answers 416 with the new start below it", async () => {
    const topic = await createTopic(1, { retentionMs: 3000 });
    const old = Date.now() - 60_000;
    await call("POST", `/v1/topics/${topic}/records`, {
      records: [1, 2, 3].map((i) => ({ value: i, timestamp: old })),
    });
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "fresh" }] });

    // The alarm set for the old batch's expiry (already past) fires on its own.
    const below = await waitFor(
      async () => {
        const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
        return res.status === 416 ? res : undefined;
      },
      15_000,
      "the expired batch to be removed",
    );
    expect(below.json.error).toMatchObject({ code: "OFFSET_OUT_OF_RANGE", logStartOffset: 3, highWatermark: 4 });
    const rest = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=3`);
    expect(rest.json.records.map((r: { value: unknown }) => r.value)).toEqual(["fresh"]);
    expect((await call("GET", `/v1/topics/${topic}/partitions/0/offsets?at=earliest`)).json).toEqual({ offset: 3 });

    // The fresh record expires about 3 s later; the high watermark stays where it was.
    const emptied = await waitFor(
      async () => {
        const d = await call("GET", `/v1/topics/${topic}`);
        return d.json.partitions[0].logStartOffset === 4 ? d.json.partitions[0] : undefined;
      },
      15_000,
      "the fresh record to expire",
    );
    expect(emptied).toMatchObject({ logStartOffset: 4, highWatermark: 4, bytes: 0 });
    const next = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "after" }] });
    expect(next.json.results[0].offset).toBe(4);
  });

  it("keeps the log under retentionBytes, removing the oldest batches first", async () => {
    const topic = await createTopic(1, { retentionBytes: 2500 });
    for (let b = 0; b < 6; b++) {
      const records = Array.from({ length: 4 }, (_, i) => ({ value: { b, i, pad: "r".repeat(150) } }));
      await call("POST", `/v1/topics/${topic}/records`, { records });
    }
    const stub = await partitionOf(topic);
    await runDurableObjectAlarm(stub);
    const status = await waitFor(
      async () => {
        const d = (await call("GET", `/v1/topics/${topic}`)).json.partitions[0];
        return d.logStartOffset > 0 ? d : undefined;
      },
      10_000,
      "size retention",
    );
    expect(status.bytes).toBeLessThanOrEqual(2500);
    expect(status.highWatermark).toBe(24);
    // Whole batches go: the start is on a batch boundary, and the newest batch is kept.
    expect(status.logStartOffset % 4).toBe(0);
    expect(status.logStartOffset).toBeLessThan(24);
    const below = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=${status.logStartOffset - 1}`);
    expect(below.status).toBe(416);
    expect(below.json.error.logStartOffset).toBe(status.logStartOffset);
    const kept = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=${status.logStartOffset}`);
    expect(kept.json.records[0].offset).toBe(status.logStartOffset);
    expect(kept.json.records.at(-1).value).toMatchObject({ b: 5, i: 3 });
  });

  it("keeps everything when both limits are -1", async () => {
    const topic = await createTopic(1, { retentionMs: -1, retentionBytes: -1 });
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1, timestamp: 1 }] });
    const stub = await partitionOf(topic);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(res.json.records).toHaveLength(1);
  });
});
