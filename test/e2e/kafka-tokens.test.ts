// Scoped tokens through the Kafka gateway: a kafkajs client authenticates with SASL/PLAIN and a
// scoped token as the password, and the worker applies that token's ACLs to every request the
// gateway makes for it, answered with Kafka's own authorization errors.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createClient } from "../../sdk/index.ts";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const admin = createClient({ url: inject("baseUrl"), token: inject("token") }).admin();
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const kafka = (password: string) =>
  new Kafka({
    clientId: "e2e-tokens",
    brokers: [inject("kafkaBroker")],
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: "plain", username: "any", password },
    retry: { retries: 1, initialRetryTime: 50 },
  });

const open: { disconnect(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.disconnect()));
});

describe("scoped tokens through the Kafka gateway", () => {
  it("lets a write-only token produce to its topic and refuses it the rest with Kafka's codes", async () => {
    const topic = unique("kafka-tokens");
    const other = unique("kafka-tokens-other");
    await admin.createTopic({ topic, partitions: 2, replicationFactor: 1 });
    await admin.createTopic({ topic: other, partitions: 1, replicationFactor: 1 });
    const { token } = await admin.createToken({
      name: "kafka writer",
      acls: [{ resource: "topic", pattern: topic, operations: ["write"] }],
    });
    const client = kafka(token);
    const producer = client.producer({ idempotent: true });
    open.push(producer);
    await producer.connect();
    const sent = await producer.send({ topic, messages: [{ key: "k", value: "v" }], acks: -1 });
    expect(sent[0]!.errorCode).toBe(0);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + p.high, 0)).toBe(1);

    // Metadata answers TOPIC_AUTHORIZATION_FAILED for a topic the token may not describe.
    await expect(producer.send({ topic: other, messages: [{ value: "no" }] })).rejects.toMatchObject({
      cause: { type: "TOPIC_AUTHORIZATION_FAILED" },
    });
    const kafkaAdmin = client.admin();
    open.push(kafkaAdmin);
    await kafkaAdmin.connect();
    await expect(kafkaAdmin.deleteTopics({ topics: [topic], timeout: 2_000 })).rejects.toMatchObject({
      type: "TOPIC_AUTHORIZATION_FAILED",
    });
    expect((await admin.describeTopic(topic)).name).toBe(topic);
    const { groups } = await kafkaAdmin.listGroups();
    expect(groups).toEqual([]);
  });

  it("refuses a revoked token at SASL authentication", async () => {
    const { id, token } = await admin.createToken({ name: "kafka revoked", acls: [] });
    await admin.revokeToken(id);
    const producer = kafka(token).producer();
    open.push(producer);
    await expect(producer.connect()).rejects.toMatchObject({ name: "KafkaJSSASLAuthenticationError" });
  });
});
