// Failover seen from the SDK against a real local worker (wrangler dev with TRIBUTARY_FAULTS=1,
// set by global-setup.ts): an idempotent producer with acks "all" keeps sending while the
// partition's leader becomes unreachable; every record it was told is stored is there once,
// in order, on the new leader.
import { describe, expect, inject, it } from "vitest";
import { createClient, type ReaderRecord } from "../../sdk/index.ts";

const url = inject("baseUrl");
const token = inject("token");
const client = createClient({ url, token, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 1_000 } });

async function readAll(topic: string): Promise<ReaderRecord[]> {
  const out: ReaderRecord[] = [];
  let offset = 0;
  for (let pages = 0; pages < 100; pages++) {
    const page = await client.fetch({ topic, partition: 0, offset });
    out.push(...page.records);
    if (page.nextOffset >= page.highWatermark) return out;
    offset = page.nextOffset;
  }
  throw new Error("more than 100 pages");
}

async function injectFault(topic: string, replica: number, spec: object) {
  const res = await fetch(`${url}/v1/_test/faults`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ topic, partition: 0, replica, ...spec }),
  });
  expect(res.status).toBe(200);
}

describe("replication through the SDK", () => {
  it("loses no acknowledged record and keeps order when the leader dies during a steady acks=all produce", async () => {
    const topic = `failover-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const admin = client.admin();
    await admin.createTopic({
      topic,
      partitions: 1,
      replicationFactor: 3,
      config: { minInsyncReplicas: 2, replicaLagTimeMs: 1_000 },
    });
    const producer = client.producer({ acks: "all", lingerMs: 0 });
    const acknowledged: number[] = [];
    const deadline = Date.now() + 30_000;
    for (let batch = 0; batch < 60 && Date.now() < deadline; batch++) {
      if (batch === 20) await injectFault(topic, 0, { unavailable: true });
      const values = Array.from({ length: 10 }, (_, i) => batch * 10 + i);
      await producer.send({ topic, messages: values.map((value) => ({ value, partition: 0 })) });
      acknowledged.push(...values);
    }
    await producer.disconnect();
    expect(acknowledged.length).toBe(600);
    const stored = (await readAll(topic)).map((r) => r.value);
    expect(stored).toEqual(acknowledged);
    const described = await admin.describeTopic(topic);
    expect(described.partitions[0]).toMatchObject({ leaderEpoch: 1 });
    expect(described.partitions[0]!.leader).not.toBe(0);
  });
});
