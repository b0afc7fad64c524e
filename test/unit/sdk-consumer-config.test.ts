// The consumer's, the queue's and the retry-topic helper's options are checked when they are
// made (or when subscribe/run/seek are called), with messages that name the field.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type ConsumerOptions,
  type ConsumerRunConfig,
  createClient,
  type QueueOptions,
  type RetryTopicOptions,
  TributaryError,
  type WebSocketConstructor,
} from "../../sdk/index.ts";

const client = createClient({
  url: "http://tributary.test",
  token: "t",
  // Nothing here may reach a server.
  fetch: () => Promise.reject(new Error("no network in unit tests")),
});

/** The error `make` throws (or rejects with), checked to be an INVALID_ARGUMENT TributaryError. */
async function refused(make: () => unknown): Promise<TributaryError> {
  let error: unknown;
  try {
    await make();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(TributaryError);
  expect((error as TributaryError).code).toBe("INVALID_ARGUMENT");
  return error as TributaryError;
}

const consumerWith = (options: Partial<ConsumerOptions>) =>
  client.consumer({ groupId: "g", ...options } as ConsumerOptions);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("consumer options", () => {
  it("accepts a group id alone, and the documented options", () => {
    expect(client.consumer({ groupId: "billing" }).groupId).toBe("billing");
    const full = consumerWith({
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      autoCommit: false,
      autoCommitIntervalMs: 1_000,
      autoOffsetReset: "none",
      assignor: "sticky",
      maxRecords: 100,
      maxWaitMs: 2_000,
      push: "off",
      retry: { retries: 1 },
    });
    expect(full.memberId).toBeUndefined();
    expect(full.assignment()).toEqual([]);
  });

  it("refuses a missing or malformed groupId, naming the field", async () => {
    expect((await refused(() => client.consumer({} as ConsumerOptions))).message).toMatch(
      /^consumer: groupId: must be a group id/,
    );
    expect((await refused(() => consumerWith({ groupId: "has space" }))).message).toMatch(
      /^consumer: groupId: must be 1 to 249 characters/,
    );
  });

  it("refuses a heartbeat interval that is not below the session timeout", async () => {
    const err = await refused(() => consumerWith({ sessionTimeoutMs: 5_000, heartbeatIntervalMs: 5_000 }));
    expect(err.message).toBe(
      "consumer: heartbeatIntervalMs: must be below sessionTimeoutMs (5000); a third of it or less is best",
    );
    expect(err.details.field).toBe("heartbeatIntervalMs");
  });

  it("picks a heartbeat interval below a short session timeout when none is given", () => {
    expect(() => consumerWith({ sessionTimeoutMs: 1_000 })).not.toThrow();
  });

  it("refuses a session timeout outside what the server allows", async () => {
    expect((await refused(() => consumerWith({ sessionTimeoutMs: 999 }))).message).toBe(
      "consumer: sessionTimeoutMs: must be a whole number from 1000 to 300000",
    );
    expect((await refused(() => consumerWith({ sessionTimeoutMs: 300_001 }))).details.field).toBe("sessionTimeoutMs");
  });

  it("refuses an unknown autoOffsetReset, assignor or push mode", async () => {
    const reset = await refused(() => consumerWith({ autoOffsetReset: "beginning" as "earliest" }));
    expect(reset.message).toBe('consumer: autoOffsetReset: must be "earliest", "latest" or "none"');
    const assignor = await refused(() => consumerWith({ assignor: "cooperative" as "range" }));
    expect(assignor.message).toBe('consumer: assignor: must be "range", "roundrobin" or "sticky"');
    const push = await refused(() => consumerWith({ push: "sse" as "auto" }));
    expect(push.message).toBe('consumer: push: must be "auto", "websocket" or "off"');
  });

  it('refuses push "websocket" where there is no WebSocket, and accepts it with one given', async () => {
    vi.stubGlobal("WebSocket", undefined);
    const err = await refused(() => consumerWith({ push: "websocket" }));
    expect(err.message).toMatch(/^consumer: push: "websocket" needs a WebSocket.*pass one as webSocket/);
    const Fake = class {} as unknown as WebSocketConstructor;
    expect(() => consumerWith({ push: "websocket", webSocket: Fake })).not.toThrow();
  });

  it("refuses a webSocket that is not a class", async () => {
    const err = await refused(() => consumerWith({ webSocket: "ws" as unknown as WebSocketConstructor }));
    expect(err.message).toBe("consumer: webSocket: must be a WebSocket class (a constructor)");
  });

  it("refuses batch sizes and waits outside their ranges", async () => {
    expect((await refused(() => consumerWith({ maxRecords: 0 }))).message).toBe(
      "consumer: maxRecords: must be a whole number from 1 to 10000",
    );
    expect((await refused(() => consumerWith({ maxWaitMs: 50 }))).message).toBe(
      "consumer: maxWaitMs: must be a whole number from 100 to 30000",
    );
    expect((await refused(() => consumerWith({ autoCommitIntervalMs: 1.5 }))).message).toBe(
      "consumer: autoCommitIntervalMs: must be a whole number from 10 to 3600000",
    );
  });

  it("refuses a wrong autoCommit and wrong retry options, naming the nested field", async () => {
    expect((await refused(() => consumerWith({ autoCommit: "yes" as unknown as boolean }))).message).toBe(
      "consumer: autoCommit: must be true or false",
    );
    expect((await refused(() => consumerWith({ retry: { retries: -1 } }))).message).toBe(
      "consumer: retry.retries: must be a whole number from 0 to 100",
    );
  });

  it("refuses options it does not know", async () => {
    const err = await refused(() => consumerWith({ fromBeginning: true } as Partial<ConsumerOptions>));
    expect(err.message).toBe("consumer: fromBeginning: is not an option");
  });
});

describe("consumer.subscribe, run, seek and pause arguments", () => {
  it("refuses a subscription without topics, or with a bad topic name", async () => {
    const c = consumerWith({});
    expect((await refused(() => c.subscribe({}))).message).toBe("consumer.subscribe: topics: name at least one topic");
    expect((await refused(() => c.subscribe({ topics: ["ok", "not ok"] }))).message).toMatch(
      /^consumer\.subscribe: topics\[1\]: must be 1 to 249 characters/,
    );
  });

  it("refuses run without a handler, or with both kinds", async () => {
    const c = consumerWith({});
    await c.subscribe({ topic: "t" });
    expect((await refused(() => c.run({}))).message).toBe(
      "consumer.run: eachMessage: give either eachMessage or eachBatch (one of them)",
    );
    const both: ConsumerRunConfig = { eachMessage: async () => {}, eachBatch: async () => {} };
    expect((await refused(() => c.run(both))).message).toBe(
      "consumer.run: eachBatch: give either eachMessage or eachBatch (one of them)",
    );
    const notAFunction = { eachMessage: "log" } as unknown as ConsumerRunConfig;
    expect((await refused(() => c.run(notAFunction))).message).toMatch(
      /^consumer\.run: eachMessage: must be a function/,
    );
  });

  it("refuses run before subscribe, with a typed error", async () => {
    const err = await consumerWith({})
      .run({ eachMessage: async () => {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("ILLEGAL_STATE");
    expect((err as TributaryError).message).toBe("consumer.run: subscribe to at least one topic first");
  });

  it("refuses a seek to a negative offset, or of a topic not subscribed", async () => {
    const c = consumerWith({});
    await c.subscribe({ topic: "t" });
    expect((await refused(() => c.seek({ topic: "t", partition: 0, offset: -1 }))).message).toMatch(
      /^consumer\.seek: offset: must be a whole number from 0/,
    );
    expect(() => c.seek({ topic: "other", partition: 0, offset: 1 })).toThrow(
      "consumer.seek: the consumer is not subscribed to topic 'other'",
    );
  });

  it("tracks paused partitions of the assignment only, and refuses a bad pause argument", async () => {
    const c = consumerWith({});
    c.pause([{ topic: "t", partitions: [0] }]);
    expect(c.paused()).toEqual([]); // nothing assigned yet
    expect((await refused(() => c.pause([{ topic: "t", partitions: [-1] }]))).message).toMatch(
      /^consumer\.pause: \[0\]\.partitions\[0\]: must be a whole number from 0/,
    );
  });
});

describe("queue options", () => {
  const queueWith = (options: Partial<QueueOptions>) => client.queue({ groupId: "g", topic: "t", ...options });

  it("accepts a group and a topic, and the documented options", () => {
    const q = queueWith({ maxRecords: 100, visibilityTimeoutMs: 60_000, waitMs: 0, maxDeliveries: 3 });
    expect([q.groupId, q.topic]).toEqual(["g", "t"]);
    expect(() => queueWith({ nackDelayMs: ({ message }) => message.deliveryCount * 1000 })).not.toThrow();
  });

  it("refuses a missing topic and out-of-range numbers, naming the field", async () => {
    expect((await refused(() => client.queue({ groupId: "g" } as QueueOptions))).message).toBe(
      "queue: topic: must be a topic name (a string)",
    );
    expect((await refused(() => queueWith({ maxRecords: 1001 }))).message).toBe(
      "queue: maxRecords: must be a whole number from 1 to 1000",
    );
    expect((await refused(() => queueWith({ visibilityTimeoutMs: 10 }))).message).toBe(
      "queue: visibilityTimeoutMs: must be a whole number from 100 to 43200000",
    );
    expect((await refused(() => queueWith({ maxDeliveries: 0 }))).details.field).toBe("maxDeliveries");
    expect((await refused(() => queueWith({ nackDelayMs: -5 }))).message).toMatch(/^queue: nackDelayMs: /);
  });

  it("refuses run without a handler, and ack without receipts", async () => {
    const q = queueWith({});
    expect((await refused(() => q.run({} as never))).message).toMatch(/^queue\.run: handler: must be a function/);
    expect((await refused(() => q.ack([]))).message).toBe("queue.ack: must hold at least one receipt");
  });
});

describe("retryTopicConsumer options", () => {
  const retryWith = (options: Partial<RetryTopicOptions>) =>
    client.retryTopicConsumer({ groupId: "g", topic: "orders", ...options });

  it("names the retry and dead-letter topics after the topic by default", () => {
    const r = retryWith({});
    expect([r.topic, r.retryTopic, r.deadLetterTopic]).toEqual(["orders", "orders.retry", "orders.dlq"]);
    expect(r.consumer.groupId).toBe("g");
  });

  it("refuses maxAttempts out of range and clashing topic names", async () => {
    expect((await refused(() => retryWith({ maxAttempts: 0 }))).message).toBe(
      "retryTopicConsumer: maxAttempts: must be a whole number from 1 to 100",
    );
    expect((await refused(() => retryWith({ deadLetterTopic: "orders.retry" }))).message).toBe(
      "retryTopicConsumer: deadLetterTopic: the topic, retryTopic and deadLetterTopic must be three different topics",
    );
  });

  it("checks the consumer's options too", async () => {
    expect((await refused(() => retryWith({ heartbeatIntervalMs: 40_000 }))).details.field).toBe("heartbeatIntervalMs");
  });
});
