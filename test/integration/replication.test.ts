// Replication inside workerd: three PartitionLog replicas per partition, the Controller electing
// leaders, and test-only faults (TRIBUTARY_FAULTS=1 in this suite's config) that make a replica
// unavailable, slow, or restart it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, uniqueName, waitFor } from "../helpers/http.ts";

async function replicatedTopic(config: Record<string, unknown> = {}, partitions = 1) {
  const name = uniqueName("rep");
  const res = await call("POST", "/v1/topics", {
    name,
    partitions,
    replicationFactor: 3,
    config: { minInsyncReplicas: 2, ...config },
  });
  if (res.status !== 201) throw new Error(`creating ${name} failed: ${JSON.stringify(res.json)}`);
  return { name, id: res.json.id as string };
}

const fault = (topic: string, replica: number, spec: Record<string, unknown>) =>
  call("POST", "/v1/_test/faults", { topic, partition: 0, replica, ...spec });

const describeTopic = async (topic: string) => (await call("GET", `/v1/topics/${topic}`)).json.partitions[0];

async function valuesOn(topic: string, replica?: number): Promise<unknown[]> {
  const q = replica === undefined ? "" : `&replica=${replica}`;
  const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&maxRecords=10000${q}`);
  if (res.status !== 200) throw new Error(`fetch answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.records.map((r: { value: unknown }) => r.value);
}

const produce = (topic: string, values: unknown[], acks: 0 | 1 | "all" = "all", producer?: object) =>
  call("POST", `/v1/topics/${topic}/partitions/0/records`, {
    records: values.map((value) => ({ value })),
    acks,
    ...(producer ? { producer } : {}),
  });

/** A follower learns the high watermark with the leader's next call: reads from it catch up shortly. */
async function followerHas(topic: string, replica: number, expected: unknown[]) {
  await waitFor(async () => (await valuesOn(topic, replica)).length >= expected.length, 10_000, `replica ${replica}`);
  expect(await valuesOn(topic, replica)).toEqual(expected);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("replication", () => {
  it("copies every acks=all append to all three replicas and describes leader, epoch and in-sync set", async () => {
    const { name } = await replicatedTopic();
    for (let i = 0; i < 5; i++) expect((await produce(name, range(i * 10, 10))).status).toBe(200);
    const p = await describeTopic(name);
    expect(p).toMatchObject({ leader: 0, leaderEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2], highWatermark: 50 });
    // The leader read right after the acknowledgement serves all of it; a follower serves up
    // to the high watermark the leader last told it, a moment later.
    expect(await valuesOn(name, 0)).toEqual(range(0, 50));
    for (const replica of [1, 2]) await followerHas(name, replica, range(0, 50));
  });

  it("keeps every acknowledged record, in order, when the leader dies during a steady acks=all produce", async () => {
    const { name } = await replicatedTopic({ replicaLagTimeMs: 1_000 });
    const { json: producer } = await call("POST", "/v1/producers", {});
    let sequence = 0;
    let killedAt = 0;
    let firstWriteAfterKill = 0;
    const deadline = Date.now() + 25_000;
    // One producer, 40 batches of 10; the leader dies after batch 15. A batch that fails is
    // retried with the same sequence, as the SDK's idempotent producer does.
    for (let batch = 0; batch < 40 && Date.now() < deadline; ) {
      if (batch === 15 && !killedAt) {
        expect((await fault(name, 0, { unavailable: true })).status).toBe(200);
        killedAt = Date.now();
      }
      const res = await produce(name, range(sequence, 10), "all", { ...producer, sequence });
      if (res.status === 200) {
        expect(res.json.results.map((r: { offset: number }) => r.offset)).toEqual(range(sequence, 10));
        if (killedAt && !firstWriteAfterKill) firstWriteAfterKill = Date.now();
        sequence += 10;
        batch++;
      } else {
        expect(res.json.error.retriable).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(sequence).toBe(400);
    // A new leader took writes within a few seconds of the old one dying.
    expect(firstWriteAfterKill - killedAt).toBeLessThan(10_000);
    const p = await describeTopic(name);
    expect(p.leader).not.toBe(0);
    expect(p.leaderEpoch).toBe(1);
    expect(p.isr).not.toContain(0);
    expect(await valuesOn(name)).toEqual(range(0, 400));

    // The old leader comes back: it follows, catches up and rejoins the in-sync set.
    await fault(name, 0, { unavailable: false });
    expect((await produce(name, range(400, 10))).status).toBe(200);
    await waitFor(async () => (await describeTopic(name)).isr.includes(0), 15_000, "replica 0 back in sync");
    await followerHas(name, 0, range(0, 410));
  });

  it("refuses acks=all with too few in-sync replicas while acks=1 still works, and recovers", async () => {
    const { name } = await replicatedTopic({ replicaLagTimeMs: 300 });
    expect((await produce(name, [0])).status).toBe(200);
    await fault(name, 1, { unavailable: true });
    await fault(name, 2, { unavailable: true });
    // The first acks=all append waits for the followers, drops them from the in-sync set and
    // is not acknowledged; the next ones are refused before anything is stored.
    const first = await produce(name, [1]);
    expect(first.status).toBe(503);
    expect(first.json.error).toMatchObject({ code: "NOT_ENOUGH_REPLICAS", retriable: true, appended: true });
    const refused = await produce(name, [2]);
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ code: "NOT_ENOUGH_REPLICAS", appended: false });
    expect((await describeTopic(name)).isr).toEqual([0]);
    const one = await produce(name, [2, 3], 1);
    expect(one.status).toBe(200);

    await fault(name, 1, { unavailable: false });
    await fault(name, 2, { unavailable: false });
    await waitFor(async () => (await describeTopic(name)).isr.length === 3, 15_000, "followers back in sync");
    expect((await produce(name, [4])).status).toBe(200);
    for (const replica of [0, 1, 2]) await followerHas(name, replica, [0, 1, 2, 3, 4]);
  });

  it("fences a deposed leader and cuts its unreplicated records when it rejoins as a follower", async () => {
    const { name, id } = await replicatedTopic({ replicaLagTimeMs: 60_000 });
    expect((await produce(name, range(0, 10))).status).toBe(200);
    // The followers stop hearing from the leader; acks=1 records then live on the leader alone.
    await fault(name, 1, { unavailable: true });
    await fault(name, 2, { unavailable: true });
    expect((await produce(name, range(100, 5), 1)).status).toBe(200);
    // The leader dies before it could copy them; the followers come back.
    await fault(name, 0, { unavailable: true });
    await fault(name, 1, { unavailable: false });
    await fault(name, 2, { unavailable: false });
    const after = await produce(name, range(10, 3), 1);
    expect(after.status).toBe(200);
    expect(after.json.results[0].offset).toBe(10);
    const p = await describeTopic(name);
    expect(p.leaderEpoch).toBe(1);
    expect(p.leader).not.toBe(0);

    // The old leader's epoch is over: a direct append and a replicate in its epoch are refused.
    await fault(name, 0, { unavailable: false });
    const ref = { topic: name, topicId: id, partition: 0 };
    const stub = (replica: number) =>
      env.PARTITION_LOG.get(
        env.PARTITION_LOG.idFromName(replica === 0 ? `${name}/${id}/0` : `${name}/${id}/0/r${replica}`),
      );
    const stale = await stub(p.leader).replicate({
      ref: { ...ref, replica: p.leader },
      epoch: 0,
      leader: 0,
      history: [{ epoch: 0, startOffset: 0 }],
      from: 10,
      records: "[]",
      batches: [],
      highWatermark: 10,
    });
    expect(stale).toMatchObject({ ok: false, code: "NOT_LEADER_OR_FOLLOWER" });
    // Within a few seconds the Controller tells it its new role: it truncates and follows.
    await waitFor(async () => (await stub(0).status({ ...ref, replica: 0 })).role?.epoch === 1, 10_000, "role pushed");
    const direct = await stub(0).append({
      ref: { ...ref, replica: 0 },
      chunks: ['[{"value":"stale"}]'],
      count: 1,
      bytes: 17,
      usesAppendTime: true,
    });
    expect(direct).toMatchObject({ ok: false, code: "NOT_LEADER_OR_FOLLOWER" });
    expect((await produce(name, [13])).status).toBe(200);
    await followerHas(name, 0, [...range(0, 13), 13]);
    expect(await valuesOn(name)).toEqual([...range(0, 13), 13]);
  });

  it("loses nothing when the leader or a follower restarts and forgets its in-memory state", async () => {
    const { name } = await replicatedTopic({ replicaLagTimeMs: 1_000 });
    expect((await produce(name, range(0, 10))).status).toBe(200);
    expect((await fault(name, 0, { restart: true })).status).toBe(200);
    expect((await produce(name, range(10, 10))).status).toBe(200);
    expect((await fault(name, 2, { restart: true })).status).toBe(200);
    expect((await produce(name, range(20, 10))).status).toBe(200);
    for (const replica of [0, 1, 2]) await followerHas(name, replica, range(0, 30));
    expect((await describeTopic(name)).isr).toEqual([0, 1, 2]);
  });

  it("answers acks=all from a slow follower once it has the records", async () => {
    const { name } = await replicatedTopic({ replicaLagTimeMs: 5_000 });
    await fault(name, 2, { delayMs: 300 });
    const res = await produce(name, range(0, 3));
    expect(res.status).toBe(200);
    await followerHas(name, 2, range(0, 3));
    expect((await describeTopic(name)).isr).toEqual([0, 1, 2]);
  });

  it("checks the fault route's input", async () => {
    const bad = await call("POST", "/v1/_test/faults", { topic: "x", partition: -1, replica: 0 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("INVALID_REQUEST");
    const { name } = await replicatedTopic();
    const missing = await call("POST", "/v1/_test/faults", { topic: name, partition: 0, replica: 3 });
    expect(missing.status).toBe(404);
  });
});
