// The retry-topic helper (client.retryTopicConsumer) against a real local worker: failed
// messages go to <topic>.retry, are tried again by the same group after a delay, and end in
// <topic>.dlq after maxAttempts.
import { afterEach, describe, expect, it } from "vitest";
import { type RetryTopicConsumer, TributaryError } from "../../sdk/index.ts";
import { client, fast, newTopic, readAll, unique, waitFor } from "./consumer-helpers.ts";

const running: RetryTopicConsumer[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((c) => c.disconnect()));
});

describe("retry topics", () => {
  it("retries a failed message from the retry topic, and sends one that keeps failing to the dead-letter topic", async () => {
    const topic = await newTopic(2);
    const groupId = unique("g");
    const retrying = client.retryTopicConsumer({
      groupId,
      topic,
      maxAttempts: 3,
      retryDelayMs: 100,
      ...fast,
    });
    running.push(retrying);
    expect([retrying.retryTopic, retrying.deadLetterTopic]).toEqual([`${topic}.retry`, `${topic}.dlq`]);
    const attempts = new Map<string, number[]>();
    const origins = new Map<string, string>();
    await retrying.run({
      eachMessage: async ({ topic: from, partition, message, attempt }) => {
        const { job } = message.value as { job: string };
        attempts.set(job, [...(attempts.get(job) ?? []), attempt]);
        origins.set(job, `${from}/${partition}/${message.offset}/${Object.keys(message.headers).join(",")}`);
        if (job === "poison" || (job === "flaky" && attempt === 1)) throw new Error(`${job} failed`);
      },
    });
    const sent = await client.producer().send({
      topic,
      messages: [
        { value: { job: "fine" }, partition: 0 },
        { value: { job: "flaky" }, partition: 1, headers: { trace: "t-flaky" } },
        { value: { job: "poison" }, partition: 1, key: "p", headers: { trace: "t-poison" } },
      ],
    });

    const deadLetters = async () => (await Promise.all([0, 1].map((p) => readAll(retrying.deadLetterTopic, p)))).flat();
    const [dead] = await waitFor(async () => {
      const records = await deadLetters();
      return records.length > 0 ? records : undefined;
    }, "the poison message in the dead-letter topic");
    await waitFor(() => attempts.get("flaky")?.length === 2, "the flaky message's second attempt");

    expect(attempts.get("fine")).toEqual([1]);
    expect(attempts.get("flaky")).toEqual([1, 2]);
    expect(attempts.get("poison")).toEqual([1, 2, 3]);
    // The handler sees the message as first produced, without the helper's headers.
    expect(origins.get("flaky")).toBe(`${topic}/1/${sent[1]!.offset}/trace`);
    expect(origins.get("poison")).toBe(`${topic}/1/${sent[2]!.offset}/trace`);

    expect(dead!.value).toEqual({ job: "poison" });
    expect(dead!.key).toBe("p");
    expect(dead!.headers).toMatchObject({
      trace: "t-poison",
      "x-dlq-source-topic": topic,
      "x-dlq-source-partition": "1",
      "x-dlq-source-offset": String(sent[2]!.offset),
      "x-dlq-group": groupId,
      "x-dlq-delivery-count": "3",
      "x-dlq-reason": "Error: poison failed",
    });
    const retried = (await Promise.all([0, 1].map((p) => readAll(retrying.retryTopic, p)))).flat();
    expect(retried.map((r) => [(r.value as { job: string }).job, r.headers["x-retry-attempt"]]).sort()).toEqual([
      ["flaky", "2"],
      ["poison", "2"],
      ["poison", "3"],
    ]);
    expect(await deadLetters()).toHaveLength(1);
  });

  it("refuses a retry topic that is the topic itself, naming the field", () => {
    const err = (() => {
      try {
        client.retryTopicConsumer({ groupId: "g", topic: "orders", retryTopic: "orders" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).message).toMatch(/^retryTopicConsumer: retryTopic: /);
  });
});
