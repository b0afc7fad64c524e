// kafkajs 2.2.4, unmodified, against `tributary gateway` in front of a real local worker: admin,
// an idempotent producer (keys, headers, timestamps, unkeyed records, gzip), a group of
// consumers sharing partitions with one leaving and one restarting from the commits, offsets by
// time. What kafkajs produced is then read through Tributary's HTTP API.
import { CompressionTypes, type Consumer, Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const url = inject("baseUrl");
const token = inject("token");
const kafka = new Kafka({
  clientId: "e2e",
  brokers: [inject("kafkaBroker")],
  logLevel: logLevel.NOTHING,
  retry: { retries: 8 },
});
const admin = kafka.admin();
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

async function api(path: string) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return res.json() as Promise<any>;
}

async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterAll(async () => {
  await admin.disconnect();
});

describe("kafkajs through the gateway", () => {
  it("administers topics: create, list, describe, configs, partitions, delete", async () => {
    await admin.connect();
    const topic = unique("kjs-admin");
    expect(
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }),
    ).toBe(true);
    expect(await admin.listTopics()).toContain(topic);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(meta.topics[0]!.partitions.every((p) => p.leader === 0)).toBe(true);

    await admin.alterConfigs({
      resources: [{ type: 2, name: topic, configEntries: [{ name: "retention.ms", value: "3600000" }] }],
      validateOnly: false,
    });
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });
    const configs = Object.fromEntries(described.resources[0]!.configEntries.map((c) => [c.configName, c.configValue]));
    expect(configs).toMatchObject({
      "retention.ms": "3600000",
      "cleanup.policy": "delete",
      "max.message.bytes": "1048576",
    });
    // …and Tributary's API sees the same change.
    expect((await api(`/v1/topics/${topic}`)).config.retentionMs).toBe(3_600_000);

    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
    expect((await api(`/v1/topics/${topic}`)).partitions).toHaveLength(5);
    await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] })).rejects.toThrow();

    const refused = await admin
      .createTopics({ topics: [{ topic: unique("kjs-bad"), configEntries: [{ name: "segment.bytes", value: "1" }] }] })
      .catch((err: { errors?: { type: string; message: string }[] }) => err.errors);
    // A config Tributary has no counterpart of is refused, not dropped.
    expect(refused).toEqual([expect.objectContaining({ type: "INVALID_CONFIG", code: 40 })]);
    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it("creates a compacted topic and deletes a partition's first records (DeleteRecords)", async () => {
    await admin.connect();
    const topic = unique("kjs-compact");
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "min.compaction.lag.ms", value: "60000" },
          ],
        },
      ],
    });
    expect((await api(`/v1/topics/${topic}`)).config).toMatchObject({
      cleanupPolicy: "compact",
      minCompactionLagMs: 60_000,
    });
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });
    const configs = Object.fromEntries(described.resources[0]!.configEntries.map((c) => [c.configName, c.configValue]));
    expect(configs).toMatchObject({ "cleanup.policy": "compact", "max.compaction.lag.ms": "9223372036854775807" });

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: `k${i % 3}`, value: `v${i}` })),
    });
    // A compacted topic keeps records by key: one without a key is refused (INVALID_RECORD), nothing stored.
    await expect(producer.send({ topic, messages: [{ partition: 0, key: null, value: "x" }] })).rejects.toThrow();
    await producer.disconnect();
    expect((await api(`/v1/topics/${topic}`)).partitions[0].highWatermark).toBe(10);

    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "4" }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets[0]).toMatchObject({ partition: 0, low: "4", high: "10" });
    expect((await api(`/v1/topics/${topic}`)).partitions[0].logStartOffset).toBe(4);
    await admin.deleteTopics({ topics: [topic] });
  });

  it("produces idempotently with keys, headers, timestamps, unkeyed records and gzip, readable over HTTP", async () => {
    await admin.connect();
    const topic = unique("kjs-produce");
    await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const keys = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
    const when = Date.now() - 5_000;
    const sent = await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: [
        ...keys.map((key, i) => ({ key, value: JSON.stringify({ i }), headers: { source: "kafkajs", n: String(i) } })),
        { key: "timed", value: "at a given time", timestamp: String(when) },
        { value: "no key at all" },
      ],
    });
    expect(sent.every((r) => r.errorCode === 0)).toBe(true);
    await producer.disconnect();
    // Keys land where Kafka's (and Tributary's) murmur2 partitioner puts them.
    for (const key of [...keys, "timed"]) {
      const p = partitionForKey(key, 4);
      const page = await api(`/v1/topics/${topic}/partitions/${p}/records?offset=0`);
      const record = page.records.find((r: { key?: string }) => r.key === key);
      expect(record, key).toBeTruthy();
    }
    const alpha = (
      await api(`/v1/topics/${topic}/partitions/${partitionForKey("alpha", 4)}/records?offset=0`)
    ).records.find((r: { key?: string }) => r.key === "alpha");
    // Compact JSON becomes a JSON value; headers are text.
    expect(alpha).toMatchObject({ value: { i: 0 }, headers: { source: "kafkajs", n: "0" } });
    const timed = (
      await api(`/v1/topics/${topic}/partitions/${partitionForKey("timed", 4)}/records?offset=0`)
    ).records.find((r: { key?: string }) => r.key === "timed");
    expect(timed).toMatchObject({
      timestamp: when,
      valueBase64: Buffer.from("at a given time").toString("base64"),
    });
    let total = 0;
    for (let p = 0; p < 4; p++)
      total += (await api(`/v1/topics/${topic}/partitions/${p}/records?offset=0`)).records.length;
    expect(total).toBe(keys.length + 2);
  });

  it("shares partitions in a group, hands a leaving member's partitions on, and resumes from the commits", async () => {
    await admin.connect();
    const topic = unique("kjs-group");
    const groupId = unique("kjs-g");
    await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const produce = async (from: number, n: number) =>
      producer.send({
        topic,
        messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })),
      });

    const seen = new Map<string, string[]>();
    const start = async (name: string): Promise<Consumer> => {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 200,
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommitInterval: 100,
        eachMessage: async ({ message }) => {
          const v = message.value!.toString();
          seen.set(v, [...(seen.get(v) ?? []), name]);
        },
      });
      return consumer;
    };
    const a = await start("a");
    const b = await start("b");
    const c = await start("c");
    // Once the group holds all three, the records go out.
    await waitFor(async () => {
      const g = (await admin.describeGroups([groupId])).groups[0]!;
      return g.state === "Stable" && g.members.length === 3;
    });
    await produce(0, 60);
    await waitFor(() => seen.size === 60);
    // Every record once, and more than one member did the work.
    expect([...seen.values()].every((who) => who.length === 1)).toBe(true);
    expect(new Set([...seen.values()].map((w) => w[0])).size).toBeGreaterThan(1);

    // c leaves: a and b take its partitions.
    await c.disconnect();
    await produce(60, 60);
    await waitFor(() => seen.size === 120);
    expect([...seen.entries()].filter(([v]) => Number(v.slice(1)) >= 60).every(([, who]) => !who.includes("c"))).toBe(
      true,
    );

    // Everyone stops; a restarted member resumes from the committed offsets: only new records come.
    await a.disconnect();
    await b.disconnect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(120);
    await produce(120, 10);
    const d = await start("d");
    await waitFor(() => seen.size === 130);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      [...seen.entries()]
        .filter(([, who]) => who.includes("d"))
        .map(([v]) => v)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `v${120 + i}`).sort());
    await d.disconnect();
    await producer.disconnect();
    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toContain(groupId);
    expect((await admin.describeGroups([groupId])).groups[0]!.state).toBe("Empty");
    await admin.deleteGroups([groupId]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
  });

  it("finds offsets by time", async () => {
    await admin.connect();
    const topic = unique("kjs-time");
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    // Recent times: records older than the topic's retention (7 days) would be removed at once.
    const base = Date.now() - 60_000;
    await producer.send({
      topic,
      messages: [1_000, 2_000, 3_000].map((t) => ({ value: `t${t}`, timestamp: String(base + t) })),
    });
    await producer.disconnect();
    const at = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp(topic, ts))[0]!.offset;
    expect(await at(base + 1_500)).toBe("1");
    expect(await at(base)).toBe("0");
    // Past every record: the high watermark, as Kafka answers.
    expect(await at(base + 60_000)).toBe("3");
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends[0]).toMatchObject({ partition: 0, low: "0", high: "3" });
  });
});
