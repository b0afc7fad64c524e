// Queue mode through the SDK (client.queue) against a real local worker: acks on success,
// nacks on throw, redelivery after a nack's delay, and the dead-letter topic.
import { afterEach, describe, expect, it } from "vitest";
import { type Queue, type QueueMessage, TributaryError } from "../../sdk/index.ts";
import { client, committed, newTopic, readAll, unique, waitFor } from "./consumer-helpers.ts";

const started: { queue: Queue; running: Promise<void> }[] = [];

/** Starts `queue.run`; the queue is stopped after the test. A run that fails fails the test. */
function start(queue: Queue, handler: (message: QueueMessage) => Promise<void>) {
  const running = queue.run({ handler });
  started.push({ queue, running });
  return running;
}

afterEach(async () => {
  for (const { queue, running } of started.splice(0)) {
    await queue.stop();
    await running;
  }
});

async function produce(topic: string, values: unknown[]): Promise<void> {
  await client.producer().send({ topic, messages: values.map((value) => ({ value })) });
}

describe("queue", () => {
  it("acks what the handler finished: every job handled once, and the group's offsets reach the end", async () => {
    const topic = await newTopic(2);
    const groupId = unique("q");
    await client.producer().send({
      topic,
      messages: Array.from({ length: 12 }, (_, i) => ({ value: { job: i }, partition: i % 2 })),
    });
    const queue = client.queue({ groupId, topic, waitMs: 500 });
    const handled: number[] = [];
    start(queue, async (message) => {
      handled.push((message.value as { job: number }).job);
      expect(message.deliveryCount).toBe(1);
      expect(message.receipt).toMatch(/\S/);
    });
    await waitFor(() => handled.length >= 12, "12 jobs");
    await waitFor(async () => {
      const offsets = await committed(groupId, topic);
      const ends = await client.admin().fetchTopicOffsets(topic);
      return offsets.length === 2 && offsets.every((o, p) => o === ends[p]!.high);
    }, "the group's offsets to reach the end of each partition");
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    await queue.stop();
    expect(await queue.receive({ waitMs: 0 })).toEqual([]);
  });

  it("moves a job whose handler always throws to the dead-letter topic once, with x-dlq-* headers, and delivers it no more", async () => {
    const topic = await newTopic(1);
    const groupId = unique("q");
    const queue = client.queue({ groupId, topic, maxDeliveries: 3, waitMs: 500 });
    const deliveries: number[] = [];
    const done: string[] = [];
    start(queue, async (message) => {
      const { job } = message.value as { job: string };
      if (job === "poison") {
        deliveries.push(message.deliveryCount);
        throw new Error("cannot digest this");
      }
      done.push(job);
    });
    await client
      .producer()
      .send({ topic, messages: [{ key: "k", value: { job: "poison" }, headers: { trace: "t-1" } }] });
    const dlq = `${topic}.dlq`;
    const [dead] = await waitFor(async () => {
      const topics = await client.admin().listTopics();
      if (!topics.some((t) => t.name === dlq)) return undefined;
      const records = await readAll(dlq, 0);
      return records.length > 0 ? records : undefined;
    }, "the job in the dead-letter topic");
    expect(deliveries).toEqual([1, 2, 3]);
    expect(dead!.value).toEqual({ job: "poison" });
    expect(dead!.key).toBe("k");
    expect(dead!.headers).toMatchObject({
      trace: "t-1",
      "x-dlq-source-topic": topic,
      "x-dlq-source-partition": "0",
      "x-dlq-source-offset": "0",
      "x-dlq-group": groupId,
      "x-dlq-delivery-count": "3",
    });
    expect(dead!.headers["x-dlq-reason"]).toContain("cannot digest this");

    // A job produced after it is handled, and the dead one is not delivered again.
    await produce(topic, [{ job: "after" }]);
    await waitFor(() => done.includes("after"), "the next job");
    expect(deliveries).toEqual([1, 2, 3]);
    expect(await readAll(dlq, 0)).toHaveLength(1);
    expect(await committed(groupId, topic)).toEqual([2]);
  });

  it("delivers a nacked job again after the nack delay, counting the deliveries", async () => {
    const topic = await newTopic(1);
    const delayMs = 1_500;
    const queue = client.queue({ groupId: unique("q"), topic, waitMs: 500, nackDelayMs: () => delayMs });
    const deliveries: { count: number; at: number }[] = [];
    start(queue, async (message) => {
      deliveries.push({ count: message.deliveryCount, at: Date.now() });
      if (message.deliveryCount === 1) throw new Error("not yet");
    });
    await produce(topic, ["later"]);
    await waitFor(() => deliveries.length >= 2, "the second delivery");
    expect(deliveries.map((d) => d.count)).toEqual([1, 2]);
    // The server keeps the record invisible for the delay: it cannot come back sooner.
    expect(deliveries[1]!.at - deliveries[0]!.at).toBeGreaterThanOrEqual(delayMs - 50);
  });

  it("receives, acks and nacks by hand; a stale receipt does nothing", async () => {
    const topic = await newTopic(1);
    const queue = client.queue({ groupId: unique("q"), topic });
    await produce(topic, ["a", "b"]);
    const first = await queue.receive({ maxRecords: 10, waitMs: 1_000 });
    expect(first.map((m) => m.value)).toEqual(["a", "b"]);
    expect(await queue.ack([first[0]!])).toBe(1);
    expect(await queue.ack([first[0]!.receipt])).toBe(0);
    expect(await queue.nack([first[1]!], { reason: "try again" })).toBe(1);
    const again = await queue.receive({ waitMs: 1_000 });
    expect(again.map((m) => [m.value, m.deliveryCount])).toEqual([["b", 2]]);
    expect(await queue.ack(again)).toBe(1);
    expect(await queue.receive({ waitMs: 0 })).toEqual([]);
  });

  it("shares the work among workers of one group: no job handled twice", async () => {
    const topic = await newTopic(3);
    const groupId = unique("q");
    const handled = new Map<number, string[]>();
    for (const name of ["w1", "w2"]) {
      start(client.queue({ groupId, topic, maxRecords: 3, waitMs: 500 }), async (message) => {
        const { job } = message.value as { job: number };
        handled.set(job, [...(handled.get(job) ?? []), name]);
        await new Promise((r) => setTimeout(r, 10));
      });
    }
    await produce(
      topic,
      Array.from({ length: 30 }, (_, job) => ({ job })),
    );
    await waitFor(() => handled.size >= 30, "30 jobs");
    expect([...handled.values()].filter((names) => names.length > 1)).toEqual([]);
  });

  it("fails run for a topic that does not exist", async () => {
    const queue = client.queue({ groupId: unique("q"), topic: unique("missing"), waitMs: 0 });
    const err = await queue.run({ handler: async () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });
});
