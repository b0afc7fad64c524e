// Log compaction inside workerd: the real PartitionLog, its alarm work run through `maintain`
// (what the alarm does, run now), crashes injected in a compaction slice, replicas and failover,
// and the SDK's consumer reading a compacted topic.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PartitionRef } from "../../cluster/rpc/partition-log.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import type { LogBounds } from "../../durable-objects/partition-log/store.ts";
import { createClient } from "../../sdk/index.ts";
import { call, TOKEN, uniqueName, waitFor } from "../helpers/http.ts";

interface Fetched {
  offset: number;
  key?: string;
  keyBase64?: string;
  value?: unknown;
}

async function compactedTopic(config: Record<string, unknown> = {}, replicationFactor = 1) {
  const name = uniqueName("cmp");
  const res = await call("POST", "/v1/topics", {
    name,
    replicationFactor,
    config: { cleanupPolicy: "compact", ...(replicationFactor > 1 ? { minInsyncReplicas: 2 } : {}), ...config },
  });
  if (res.status !== 201) throw new Error(`creating ${name} failed: ${JSON.stringify(res.json)}`);
  const ref: PartitionRef = { topic: name, topicId: res.json.id, partition: 0 };
  return { name, ref };
}

const stubOf = (ref: PartitionRef, replica?: number) =>
  partitionStub(env, replica === undefined ? ref : { ...ref, replica });

/** Every record of partition 0, following nextOffset page by page up to the high watermark. */
async function readAll(topic: string, { replica, maxRecords = 1000 }: { replica?: number; maxRecords?: number } = {}) {
  const out: Fetched[] = [];
  for (let offset = 0, pages = 0; ; pages++) {
    const q = `offset=${offset}&maxRecords=${maxRecords}${replica === undefined ? "" : `&replica=${replica}`}`;
    const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?${q}`);
    if (res.status !== 200) throw new Error(`fetch at ${offset} answered ${res.status}: ${JSON.stringify(res.json)}`);
    out.push(...res.json.records);
    if (res.json.nextOffset >= res.json.highWatermark) return out;
    expect(res.json.nextOffset).toBeGreaterThan(offset);
    offset = res.json.nextOffset;
    if (pages > 10_000) throw new Error("too many pages");
  }
}

const keyOf = (r: Fetched) => r.key ?? atob(r.keyBase64!);

/** key → { offset, value } of a partition's records; fails on a key seen twice. */
function byKey(records: Fetched[]) {
  const map = new Map<string, { offset: number; value: unknown }>();
  for (const r of records) {
    expect(map.has(keyOf(r)), `key ${keyOf(r)} twice`).toBe(false);
    map.set(keyOf(r), { offset: r.offset, value: r.value });
  }
  return map;
}

let seed = 42;
function random(n: number): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed % n;
}

/**
 * Produces `rounds` × `perRound` updates of `keys` keys (one in six a tombstone, one in five sent
 * as keyBase64), and answers the last write of each key with its offset.
 */
async function produceRounds(
  topic: string,
  rounds: number,
  perRound: number,
  keys: number,
  between?: (round: number) => Promise<void>,
  acks: 1 | "all" = 1,
) {
  const last = new Map<string, { offset: number; value: unknown }>();
  for (let round = 0; round < rounds; round++) {
    const records = Array.from({ length: perRound }, (_, i) => {
      const key = `key-${random(keys)}`;
      const value = random(6) === 0 ? null : { round, i };
      return random(5) === 0 ? { keyBase64: btoa(key), value } : { key, value };
    });
    const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records, acks });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    records.forEach((r, i) => {
      last.set(r.key ?? atob(r.keyBase64!), { offset: res.json.results[i].offset, value: r.value });
    });
    await between?.(round);
  }
  return last;
}

const withoutTombstones = (m: Map<string, { offset: number; value: unknown }>) =>
  new Map([...m].filter(([, v]) => v.value !== null));

describe("log compaction", () => {
  it("keeps exactly the latest record of each key over many rounds of updates and tombstones, offsets unchanged", async () => {
    const { name, ref } = await compactedTopic({ deleteRetentionMs: 3_600_000 });
    const stub = stubOf(ref);
    const last = await produceRounds(name, 12, 150, 40, async (round) => {
      if (round % 3 === 2) await stub.maintain();
    });
    const report = await stub.maintain();
    expect(report.highWatermark).toBe(1800);
    expect(report.cleanedTo).toBe(1800);
    // Nothing is left uncleaned, so appends do not start compaction runs again and again.
    const dirty = await runInDurableObject(stub, (o) => (o as unknown as { bounds: LogBounds }).bounds.dirtyBytes);
    expect(dirty).toBe(0);

    const all = await readAll(name);
    expect(byKey(all)).toEqual(last);
    expect(all.map((r) => r.offset)).toEqual([...last.values()].map((v) => v.offset).sort((a, b) => a - b));
    // Small pages step over the gaps to the same records.
    expect(await readAll(name, { maxRecords: 7 })).toEqual(all);
    // The stored form (stream tasks' reads) holds the same records.
    const stored = await stub.read({
      ref,
      offset: 0,
      maxRecords: 10_000,
      maxBytes: 1 << 24,
      waitMs: 0,
      form: "stored",
    });
    expect(stored).toMatchObject({ ok: true, count: all.length, nextOffset: 1800 });

    // Past deleteRetentionMs the tombstones go too; the high watermark stays.
    await stub.maintain(Date.now() + 3_600_000 + 60_000);
    expect(byKey(await readAll(name))).toEqual(withoutTombstones(last));
    const next = await call("POST", `/v1/topics/${name}/partitions/0/records`, { records: [{ key: "k", value: 1 }] });
    expect(next.json.results[0].offset).toBe(1800);
  });

  it("keeps records younger than minCompactionLagMs, and compacts them once they are older", async () => {
    const { name, ref } = await compactedTopic({ minCompactionLagMs: 60_000 });
    const stub = stubOf(ref);
    for (let i = 0; i < 3; i++) {
      await call("POST", `/v1/topics/${name}/partitions/0/records`, { records: [{ key: "a", value: i }] });
    }
    expect((await stub.maintain()).removed).toBe(0);
    expect((await readAll(name)).map((r) => r.value)).toEqual([0, 1, 2]);
    await stub.maintain(Date.now() + 61_000);
    expect((await readAll(name)).map((r) => [r.offset, r.value])).toEqual([[2, 2]]);
  });

  it("compacts on its own once maxCompactionLagMs has passed", async () => {
    const { name } = await compactedTopic({ maxCompactionLagMs: 1 });
    for (let i = 0; i < 3; i++) {
      await call("POST", `/v1/topics/${name}/partitions/0/records`, { records: [{ key: "a", value: i }] });
    }
    // The alarm set for the first uncleaned batch's deadline fires by itself.
    await waitFor(async () => (await readAll(name)).length === 1, 15_000, "the alarm's compaction");
    expect((await readAll(name)).map((r) => r.value)).toEqual([2]);
  });

  it("refuses records without a key on a compacted topic with INVALID_RECORD, storing nothing", async () => {
    const { name } = await compactedTopic();
    for (const records of [
      [{ value: 1 }],
      [
        { key: "a", value: 1 },
        { key: null, value: 2 },
      ],
    ]) {
      const res = await call("POST", `/v1/topics/${name}/records`, { records });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: "INVALID_RECORD", retriable: false, topic: name });
      expect(res.json.error.message).toContain("needs a key");
    }
    const empty = await call("POST", `/v1/topics/${name}/records`, { records: [{ key: "", value: 1 }] });
    expect(empty.status).toBe(200);
    expect((await call("GET", `/v1/topics/${name}`)).json.partitions[0].highWatermark).toBe(1);
  });

  it("compacts a topic changed to compact: old records without a key go, new ones are refused", async () => {
    const name = uniqueName("cmp");
    const created = await call("POST", "/v1/topics", { name, replicationFactor: 1 });
    const ref = { topic: name, topicId: created.json.id, partition: 0 };
    await call("POST", `/v1/topics/${name}/records`, {
      records: [{ value: "no key" }, { key: "a", value: 1 }, { key: "a", value: 2 }],
    });
    const patched = await call("PATCH", `/v1/topics/${name}`, { config: { cleanupPolicy: "compact,delete" } });
    expect(patched.json.config.cleanupPolicy).toBe("compact,delete");
    await stubOf(ref).maintain();
    expect((await readAll(name)).map((r) => [r.offset, r.value])).toEqual([[2, 2]]);
    const refused = await call("POST", `/v1/topics/${name}/records`, { records: [{ value: "no key" }] });
    expect(refused.json.error.code).toBe("INVALID_RECORD");
  });

  it("loses and duplicates nothing when it crashes in the middle of a compaction slice", async () => {
    const { name, ref } = await compactedTopic();
    const stub = stubOf(ref);
    const last = await produceRounds(name, 4, 250, 30);
    const armed = await call("POST", "/v1/_test/faults", {
      topic: name,
      partition: 0,
      replica: 0,
      crash: "mid-compaction",
    });
    expect(armed.status).toBe(200);
    // The slice's transaction is thrown away with the object (the alarm may get there first).
    await stub.maintain().catch(() => {});
    const crashes = await runInDurableObject(stubOf(ref), (_o, state) =>
      Number(state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'crashes_injected'").one().v),
    );
    expect(crashes).toBe(1);
    const report = await stubOf(ref).maintain();
    expect(report.cleanedTo).toBe(1000);
    expect(byKey(await readAll(name))).toEqual(last);
  });

  it("keeps an idempotent producer's state: a retried batch is still answered with its offsets", async () => {
    const { name, ref } = await compactedTopic();
    const { json: producer } = await call("POST", "/v1/producers", {});
    const send = (sequence: number, value: number) =>
      call("POST", `/v1/topics/${name}/partitions/0/records`, {
        records: [{ key: "same", value }],
        producer: { ...producer, sequence },
      });
    for (let s = 0; s < 5; s++) expect((await send(s, s)).status).toBe(200);
    const report = await stubOf(ref).maintain();
    expect(report.removed).toBe(4);
    const retried = await send(4, 4);
    expect(retried.json.results[0].offset).toBe(4);
    expect((await send(5, 5)).json.results[0].offset).toBe(5);
    expect((await send(7, 7)).json.error.code).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
  });

  it("compacts every replica the same way, so a new leader after a failover serves the same log", async () => {
    const { name, ref } = await compactedTopic({ replicaLagTimeMs: 1_000 }, 3);
    const last = await produceRounds(name, 6, 100, 25, undefined, "all");
    // Followers serve up to the high watermark they were told: wait until they have all of it.
    for (const replica of [1, 2]) {
      await waitFor(async () => (await readAll(name, { replica })).length >= 600, 10_000, `replica ${replica}`);
    }
    const now = Date.now();
    for (const replica of [0, 1, 2]) await stubOf(ref, replica).maintain(now);
    const logs = await Promise.all([0, 1, 2].map((replica) => readAll(name, { replica })));
    expect(byKey(logs[0]!)).toEqual(last);
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);

    // The leader dies; the next writes go to a new leader, which compacts them as well.
    await call("POST", "/v1/_test/faults", { topic: name, partition: 0, replica: 0, unavailable: true });
    const more = await produceRounds(name, 2, 100, 25, undefined, "all");
    for (const [k, v] of more) last.set(k, v);
    const { leader } = (await call("GET", `/v1/topics/${name}`)).json.partitions[0];
    expect(leader).not.toBe(0);
    await stubOf(ref, leader).maintain();
    expect(byKey(await readAll(name))).toEqual(last);
  });

  it("gives a consumer group reading from the start the producer's last value of every key", async () => {
    const { name, ref } = await compactedTopic({ deleteRetentionMs: 0 });
    const last = await produceRounds(name, 5, 200, 30);
    await stubOf(ref).maintain(Date.now() + 1);
    const expected = new Map([...withoutTombstones(last)].map(([k, v]) => [k, v.value]));
    const client = createClient({
      url: "http://tributary.test",
      token: TOKEN,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });
    const groupId = uniqueName("cg");
    const consumer = client.consumer({ groupId, push: "off", maxWaitMs: 200, autoCommitIntervalMs: 200 });
    const seen = new Map<string, unknown>();
    try {
      await consumer.subscribe({ topics: [name], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = typeof message.key === "string" ? message.key : new TextDecoder().decode(message.key!);
          seen.set(key, message.value);
        },
      });
      await waitFor(() => seen.size === expected.size, 15_000, "every key");
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(expected);
    // The group's position is past the whole log, gaps included.
    const offsets = await call("GET", `/v1/groups/${groupId}/offsets?topic=${name}`);
    expect(offsets.json.offsets[0]).toMatchObject({ committed: 1000, lag: 0 });
  });
});
