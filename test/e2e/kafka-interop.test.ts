// What Kafka clients produce through the gateway reads through Tributary's HTTP API and SDK,
// and the other way round, byte for byte: text keys stay text (and hash the same bytes), exact
// compact JSON becomes a JSON value, every other value stays bytes, a null value is a null value.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createClient } from "../../sdk/index.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const url = inject("baseUrl");
const token = inject("token");
const kafka = new Kafka({ clientId: "interop", brokers: [inject("kafkaBroker")], logLevel: logLevel.NOTHING });
const sdk = createClient({ url, token });
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

async function consumeAll(topic: string, n: number) {
  const consumer = kafka.consumer({ groupId: unique("interop-g"), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const h = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        got.push({ offset: message.offset, key: message.key, value: message.value, headers: h });
        if (got.length === n) resolve();
      },
    });
  });
  await consumer.disconnect();
  return got.sort((a, b) => Number(a.offset) - Number(b.offset));
}

afterAll(() => undefined);

describe("Kafka clients and Tributary's API read each other's records", () => {
  it("reads over HTTP and the SDK what a Kafka producer wrote, byte for byte", async () => {
    const topic = unique("interop-k2t");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    await admin.disconnect();
    const binary = randomBytes(64);
    const binaryKey = Buffer.from([0xff, 0x00, 0xfe]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: "text-key", value: '{"compact":true,"n":1}', headers: { source: "kafka" } },
        { key: "spaced", value: '{"not": "compact"}' },
        { key: binaryKey, value: binary },
        { key: "null-bytes", value: "null" },
        { key: "tombstone", value: null },
      ],
    });
    await producer.disconnect();
    const page = await (await fetch(`${url}/v1/topics/${topic}/partitions/0/records?offset=0`, { headers })).json();
    const [a, b, c, d, e] = page.records;
    expect(a).toMatchObject({ key: "text-key", value: { compact: true, n: 1 }, headers: { source: "kafka" } });
    expect(b).toMatchObject({ key: "spaced", valueBase64: Buffer.from('{"not": "compact"}').toString("base64") });
    expect(c).toMatchObject({ keyBase64: binaryKey.toString("base64"), valueBase64: binary.toString("base64") });
    expect(d).toMatchObject({ key: "null-bytes", valueBase64: Buffer.from("null").toString("base64") });
    expect(e).toMatchObject({ key: "tombstone", value: null });
    // The SDK hands bytes back as bytes.
    const read = await sdk.fetch({ topic, partition: 0, offset: 2 });
    expect(Buffer.from(read.records[0]!.value as Uint8Array).equals(binary)).toBe(true);
    // And a Kafka consumer gets every byte back as it was sent.
    const back = await consumeAll(topic, 5);
    expect(back.map((m) => m.value?.toString("hex") ?? null)).toEqual([
      Buffer.from('{"compact":true,"n":1}').toString("hex"),
      Buffer.from('{"not": "compact"}').toString("hex"),
      binary.toString("hex"),
      Buffer.from("null").toString("hex"),
      null,
    ]);
    expect(back[2]!.key!.equals(binaryKey)).toBe(true);
  });

  it("reads through Kafka what Tributary's API wrote: JSON as its compact text, bytes as bytes", async () => {
    const topic = unique("interop-t2k");
    await sdk.admin().createTopic({ topic, partitions: 4, replicationFactor: 1 });
    const binary = randomBytes(32);
    const res = await fetch(`${url}/v1/topics/${topic}/records`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        records: [
          { key: "order-1", value: { total: 42, items: ["a", "b"] }, headers: { via: "http" } },
          { key: "order-2", valueBase64: binary.toString("base64") },
          { key: "order-3", value: "plain text" },
          { key: "order-4", value: null },
        ],
      }),
    });
    const { results } = (await res.json()) as { results: { partition: number }[] };
    // The HTTP partitioner and Kafka's agree on every key.
    expect(results.map((r) => r.partition)).toEqual(
      ["order-1", "order-2", "order-3", "order-4"].map((k) => partitionForKey(k, 4)),
    );
    const got = await consumeAll(topic, 4);
    const byKey = new Map(got.map((m) => [m.key!.toString(), m]));
    expect(byKey.get("order-1")!.value!.toString()).toBe('{"total":42,"items":["a","b"]}');
    expect(byKey.get("order-1")!.headers).toEqual({ via: "http" });
    expect(byKey.get("order-2")!.value!.equals(binary)).toBe(true);
    expect(byKey.get("order-3")!.value!.toString()).toBe('"plain text"');
    expect(byKey.get("order-4")!.value).toBeNull();
  });
});
