// @platformatic/kafka, unmodified, against `tributary gateway`: a producer, and a consumer
// group reading everything back (Fetch v13 and later, which name topics by id).
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { describe, expect, inject, it } from "vitest";

const brokers = [inject("kafkaBroker")];

describe("@platformatic/kafka through the gateway", () => {
  it("produces and consumes with a group", async () => {
    const topic = `pk-${Date.now().toString(36)}`;
    const admin = new Admin({ clientId: "e2e-admin", bootstrapBrokers: brokers });
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const producer = new Producer({
      clientId: "e2e-producer",
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
    });
    const messages = Array.from({ length: 30 }, (_, i) => ({
      topic,
      key: `k${i}`,
      value: `v${i}`,
      headers: { n: String(i) },
    }));
    await producer.send({ messages });
    await producer.close();

    const consumer = new Consumer({
      groupId: `pk-group-${topic}`,
      clientId: "e2e-consumer",
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
    });
    const stream = await consumer.consume({
      autocommit: true,
      topics: [topic],
      mode: "earliest",
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const got: { key: string; value: string; n: string }[] = [];
    for await (const m of stream) {
      got.push({ key: m.key, value: m.value, n: String(m.headers.get("n")) });
      if (got.length === messages.length) break;
    }
    await stream.close();
    await consumer.close();
    await admin.close();
    expect(got.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      messages.map((m) => ({ key: m.key, value: m.value, n: m.headers.n })).sort((a, b) => a.key.localeCompare(b.key)),
    );
  });
});
