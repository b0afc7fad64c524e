import { describe, expect, it } from "vitest";
import { call, createTopic, uniqueName, waitFor } from "../helpers/http.ts";
import { receive } from "./queue-helpers.ts";

async function produce(topic: string, records: unknown[]) {
  const res = await call("POST", `/v1/topics/${topic}/records`, { records });
  expect(res.status).toBe(200);
}

describe("queue mode", () => {
  it("delivers each record to one receiver and forgets it once acked", async () => {
    const topic = await createTopic(3);
    const group = uniqueName("q");
    await produce(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: i })),
    );
    // Three receivers at once: no record goes to two of them.
    const batches = await Promise.all([1, 2, 3].map(() => receive(group, { topic, maxRecords: 20 })));
    const all = batches.flat();
    expect(all).toHaveLength(30);
    expect(new Set(all.map((r) => `${r.partition}/${r.offset}`)).size).toBe(30);
    expect(all.every((r) => r.deliveryCount === 1 && r.topic === topic)).toBe(true);
    const acked = await call("POST", `/v1/groups/${group}/ack`, { receipts: all.map((r) => r.receipt) });
    expect(acked.json).toEqual({ acked: 30 });
    expect(await receive(group, { topic, maxRecords: 100 })).toEqual([]);
    // Acked progress shows as the group's committed offsets.
    const offsets = await call("GET", `/v1/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.json.offsets.reduce((n: number, o: { lag: number }) => n + o.lag, 0)).toBe(0);
  });

  it("redelivers a record not acked within its visibility timeout, with a higher delivery count", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("q");
    await produce(topic, [{ value: "job" }]);
    const [first] = await receive(group, { topic, visibilityTimeoutMs: 300 });
    expect(first!.deliveryCount).toBe(1);
    expect(await receive(group, { topic })).toEqual([]);
    const again = await waitFor(async () => (await receive(group, { topic, waitMs: 1000 }))[0], 5000, "the redelivery");
    expect(again).toMatchObject({ offset: first!.offset, value: "job", deliveryCount: 2 });
    // The first delivery's receipt is stale now.
    expect((await call("POST", `/v1/groups/${group}/ack`, { receipts: [first!.receipt] })).json).toEqual({ acked: 0 });
    expect((await call("POST", `/v1/groups/${group}/ack`, { receipts: [again.receipt] })).json).toEqual({ acked: 1 });
  });

  it("makes a nacked record deliverable again after its delay", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("q");
    await produce(topic, [{ value: "retry me" }]);
    const [r] = await receive(group, { topic });
    const nacked = await call("POST", `/v1/groups/${group}/nack`, { receipts: [r!.receipt], delayMs: 200 });
    expect(nacked.json).toEqual({ nacked: 1 });
    const back = await receive(group, { topic, waitMs: 5000 });
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ value: "retry me", deliveryCount: 2 });
  });

  it("moves a record that fails maxDeliveries times to the dead-letter topic once, with headers saying why, and never delivers it again", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("q");
    const config = await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 3 });
    expect(config.json).toEqual({ topic, maxDeliveries: 3, deadLetterTopic: `${topic}.dlq` });
    await produce(topic, [
      { key: "bad", value: { job: "poison" }, headers: { origin: "test" } },
      { key: "good", value: { job: "fine" } },
    ]);
    const deliveries: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const got = await receive(group, { topic, maxRecords: 10 });
      for (const r of got) {
        if (r.key === "good") {
          await call("POST", `/v1/groups/${group}/ack`, { receipts: [r.receipt] });
        } else {
          deliveries.push(r.deliveryCount);
          await call("POST", `/v1/groups/${group}/nack`, {
            receipts: [r.receipt],
            reason: `handler threw on try ${r.deliveryCount}`,
          });
        }
      }
    }
    expect(deliveries).toEqual([1, 2, 3]);
    const dlq = await call("GET", `/v1/topics/${topic}.dlq/partitions/0/records?offset=0`);
    expect(dlq.status).toBe(200);
    expect(dlq.json.records).toHaveLength(1);
    expect(dlq.json.records[0]).toMatchObject({
      key: "bad",
      value: { job: "poison" },
      headers: {
        origin: "test",
        "x-dlq-source-topic": topic,
        "x-dlq-source-partition": "0",
        "x-dlq-source-offset": "0",
        "x-dlq-group": group,
        "x-dlq-delivery-count": "3",
        "x-dlq-reason": "handler threw on try 3",
      },
    });
    expect(await receive(group, { topic, maxRecords: 10, waitMs: 300 })).toEqual([]);
    const offsets = await call("GET", `/v1/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.json.offsets[0]).toMatchObject({ committed: 2, lag: 0 });
  });

  it("dead-letters a record whose last delivery timed out", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("q");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1, deadLetterTopic: `${topic}-dead` });
    await produce(topic, [{ value: "slow" }]);
    expect(await receive(group, { topic, visibilityTimeoutMs: 100 })).toHaveLength(1);
    await waitFor(
      async () => {
        await receive(group, { topic });
        const dlq = await call("GET", `/v1/topics/${topic}-dead/partitions/0/records?offset=0`);
        return dlq.status === 200 && dlq.json.records.length === 1 ? dlq.json.records[0] : undefined;
      },
      5000,
      "the dead letter",
    ).then((r) => expect(r.headers["x-dlq-reason"]).toContain("visibility timeout"));
  });

  it("waits for records with waitMs", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("q");
    const waiting = receive(group, { topic, waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    await produce(topic, [{ value: "late" }]);
    const got = await waiting;
    expect(got.map((r) => r.value)).toEqual(["late"]);
  });

  it("keeps one group from reading a topic both as a queue and as a consumer group", async () => {
    const topic = await createTopic(1);
    const queueGroup = uniqueName("q");
    await produce(topic, [{ value: 1 }]);
    await receive(queueGroup, { topic });
    const join = await call("POST", `/v1/groups/${queueGroup}/members`, { topics: [topic] });
    expect(join.status).toBe(400);
    expect(join.json.error.message).toContain("queue mode");
    const consumerGroup = uniqueName("g");
    expect((await call("POST", `/v1/groups/${consumerGroup}/members`, { topics: [topic] })).status).toBe(200);
    const asQueue = await call("POST", `/v1/groups/${consumerGroup}/receive`, { topic });
    expect(asQueue.status).toBe(400);
    expect(asQueue.json.error.message).toContain("consumer group");
  });

  it("answers bad queue calls with the error envelope", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("q");
    const noTopic = await call("POST", `/v1/groups/${group}/receive`, { topic: "missing-topic-x" });
    expect(noTopic.json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    const badBody = await call("POST", `/v1/groups/${group}/receive`, { topic, maxRecords: 0 });
    expect(badBody.json.error.code).toBe("INVALID_REQUEST");
    const badReceipt = await call("POST", `/v1/groups/${group}/ack`, { receipts: ["forged"] });
    expect(badReceipt.status).toBe(400);
    expect(badReceipt.json.error.code).toBe("INVALID_REQUEST");
    const empty = await call("POST", `/v1/groups/${group}/nack`, { receipts: [] });
    expect(empty.json.error.message).toContain("receipts");
    const self = await call("PUT", `/v1/groups/${group}/queue`, { topic, deadLetterTopic: topic });
    expect(self.json.error.code).toBe("INVALID_CONFIG");
  });
});
