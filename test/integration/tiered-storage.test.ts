// Tiered storage inside workerd, with the R2 bucket miniflare simulates (the LOG_SEGMENTS binding
// of wrangler.toml): records moving to segments, reads below the local start, crashes between
// the upload and the local delete, retention and deletion of segments, followers and failover,
// and compaction of tiered records.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PartitionRef } from "../../cluster/rpc/partition-log.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import { call, uniqueName, waitFor } from "../helpers/http.ts";

const MiB = 1024 * 1024;

async function tieredTopic(config: Record<string, unknown>, replicationFactor = 1) {
  const name = uniqueName("tier");
  const res = await call("POST", "/v1/topics", {
    name,
    replicationFactor,
    config: {
      retentionMs: -1,
      retentionBytes: -1,
      ...(replicationFactor > 1 ? { minInsyncReplicas: 2 } : {}),
      ...config,
    },
  });
  if (res.status !== 201) throw new Error(`creating ${name} failed: ${JSON.stringify(res.json)}`);
  const ref: PartitionRef = { topic: name, topicId: res.json.id, partition: 0 };
  return { name, ref };
}

const stubOf = (ref: PartitionRef, replica?: number) =>
  partitionStub(env, replica === undefined ? ref : { ...ref, replica });

const produce = async (topic: string, records: unknown[], acks: 1 | "all" = 1) => {
  const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records, acks });
  expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(200);
  return res.json.results as { offset: number; timestamp: number }[];
};

/**
 * `batches` appends of `perBatch` records of about `bytes` bytes each, values `{ seq, pad }` with
 * `seq` counting from `first`.
 */
async function fill(topic: string, batches: number, perBatch: number, first = 0, acks: 1 | "all" = 1, bytes = 400) {
  for (let b = 0; b < batches; b++) {
    const records = Array.from({ length: perBatch }, (_, i) => ({
      value: { seq: first + b * perBatch + i, pad: "p".repeat(bytes) },
    }));
    await produce(topic, records, acks);
  }
}

/** Every record of partition 0 from the log start, following nextOffset. */
async function readAll(topic: string, { replica, maxRecords = 1000 }: { replica?: number; maxRecords?: number } = {}) {
  const out: { offset: number; value: any }[] = [];
  const q = replica === undefined ? "" : `&replica=${replica}`;
  let offset = (await call("GET", `/v1/topics/${topic}/partitions/0/offsets?at=earliest`)).json.offset;
  for (;;) {
    const res = await call(
      "GET",
      `/v1/topics/${topic}/partitions/0/records?offset=${offset}&maxRecords=${maxRecords}${q}`,
    );
    if (res.status !== 200) throw new Error(`fetch at ${offset} answered ${res.status}: ${JSON.stringify(res.json)}`);
    out.push(...res.json.records);
    if (res.json.nextOffset >= res.json.highWatermark) return out;
    offset = res.json.nextOffset;
  }
}

/** The segment objects R2 holds for the topic (every replica's), and the ones the manifest names. */
async function objects(topic: string): Promise<string[]> {
  const listed = await env.LOG_SEGMENTS.list({ prefix: `${topic}/` });
  return listed.objects.map((o) => o.key).sort();
}

async function manifestKeys(ref: PartitionRef, replica?: number): Promise<string[]> {
  return runInDurableObject(stubOf(ref, replica), (_o, state) =>
    state.storage.sql
      .exec<{ key: string }>("SELECT key FROM segments ORDER BY base_offset")
      .toArray()
      .map((r) => r.key),
  );
}

const seqs = (records: { value: { seq: number } }[]) => records.map((r) => r.value.seq);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("tiered storage", () => {
  it("reads 200 MB back completely and in order from offset 0, keeping about localRetentionBytes in SQLite", {
    timeout: 180_000,
  }, async () => {
    const limit = 8 * MiB;
    const { name, ref } = await tieredTopic({ localRetentionBytes: limit });
    const stub = stubOf(ref);
    // Big records, few requests: 58 appends of 7 records of 500 KB (the tests' body limit is 4 MiB).
    const pad = "x".repeat(500_000);
    const started = Date.now();
    let count = 0;
    let maxLocal = 0;
    for (let b = 0; b < 58; b++) {
      const records = Array.from({ length: 7 }, () => ({ value: `${count++}:${pad}` }));
      await produce(name, records);
      const p = (await call("GET", `/v1/topics/${name}`)).json.partitions[0];
      maxLocal = Math.max(maxLocal, p.localBytes ?? p.bytes);
    }
    const produced = Date.now();
    const report = await stub.maintain();
    expect(report.highWatermark).toBe(count);
    expect(report.totalBytes).toBeGreaterThan(200_000_000);
    expect(report.localBytes).toBeLessThanOrEqual(limit);
    expect(report.localBytes).toBeGreaterThan(limit / 4);
    expect(report.databaseBytes).toBeLessThan(limit + 4 * MiB);
    expect(report.segments).toBeGreaterThan(40);
    const settled = Date.now();

    let offset = 0;
    let pages = 0;
    for (;;) {
      const res = await call("GET", `/v1/topics/${name}/partitions/0/records?offset=${offset}&maxBytes=${8 * MiB}`);
      expect(res.status).toBe(200);
      for (const r of res.json.records as { offset: number; value: string }[]) {
        expect(r.offset).toBe(offset);
        expect(r.value.startsWith(`${offset}:x`) && r.value.length === pad.length + `${offset}:`.length).toBe(true);
        offset++;
      }
      pages++;
      if (res.json.nextOffset >= res.json.highWatermark) break;
      expect(res.json.nextOffset).toBe(offset);
    }
    expect(offset).toBe(count);
    console.log(
      `200 MB tiered: produce ${produced - started} ms (SQLite at most ${(maxLocal / MiB).toFixed(1)} MiB while producing), ` +
        `settle ${settled - produced} ms, read back ${Date.now() - settled} ms in ${pages} pages; ` +
        `${report.segments} segments, ${(report.localBytes / MiB).toFixed(1)} MiB local, database ${(report.databaseBytes / MiB).toFixed(1)} MiB`,
    );
  });

  it.each(["after-upload", "after-manifest"] as const)(
    "loses and duplicates nothing when the object crashes %s",
    async (point) => {
      // Tiering by time, run as if ten minutes later: the partition's own alarm is not due meanwhile.
      const { name, ref } = await tieredTopic({ localRetentionMs: 60_000 });
      const later = () => Date.now() + 600_000;
      await fill(name, 10, 10);
      expect((await stubOf(ref).maintain(later())).segments).toBe(1);
      const armed = await call("POST", "/v1/_test/faults", { topic: name, partition: 0, replica: 0, crash: point });
      expect(armed.status).toBe(200);
      await fill(name, 10, 10, 100);
      // The upload's next step never happens: the object is thrown away. (`.then`, not expect's
      // `rejects`, which reads properties of the RPC promise that reject unhandled.)
      const failed = await stubOf(ref)
        .maintain(later())
        .then(
          () => false,
          () => true,
        );
      expect(failed).toBe(true);
      const crashes = await runInDurableObject(
        stubOf(ref),
        (_o, state) => state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'crashes_injected'").one().v,
      );
      expect(crashes).toBe("1");
      // Before the next run: every record once, from SQLite or R2.
      expect(seqs(await readAll(name))).toEqual(range(200));
      const report = await stubOf(ref).maintain(later());
      expect(report).toMatchObject({ localStartOffset: 200, localBytes: 0, segments: 2 });
      expect(seqs(await readAll(name))).toEqual(range(200));
      expect(seqs(await readAll(name, { maxRecords: 3 }))).toEqual(range(200));
      // No orphan object and no object the manifest names missing.
      expect(await objects(name)).toEqual((await manifestKeys(ref)).sort());
    },
  );

  it("removes whole segments from R2 with retention, and every object when the topic is deleted", async () => {
    const { name, ref } = await tieredTopic({ localRetentionBytes: 10_000 });
    for (let round = 0; round < 5; round++) {
      await fill(name, 3, 10, round * 30);
      await stubOf(ref).maintain();
    }
    const tiered = await stubOf(ref).maintain();
    expect(tiered.segments).toBeGreaterThan(2);
    expect(await objects(name)).toHaveLength(tiered.segments);

    await call("PATCH", `/v1/topics/${name}`, { config: { retentionBytes: 25_000 } });
    const kept = await stubOf(ref).maintain();
    expect(kept.logStartOffset).toBeGreaterThan(0);
    expect(kept.totalBytes).toBeLessThanOrEqual(25_000);
    expect(kept.segments).toBeLessThan(tiered.segments);
    expect(await objects(name)).toEqual((await manifestKeys(ref)).sort());
    const below = await call("GET", `/v1/topics/${name}/partitions/0/records?offset=${kept.logStartOffset - 1}`);
    expect(below.json.error).toMatchObject({ code: "OFFSET_OUT_OF_RANGE", logStartOffset: kept.logStartOffset });
    expect(seqs(await readAll(name))).toEqual(range(150).slice(kept.logStartOffset));

    expect((await call("DELETE", `/v1/topics/${name}`)).status).toBe(200);
    await waitFor(async () => (await objects(name)).length === 0, 15_000, "the deleted topic's segments to go");
  });

  it("answers an offset by time below the local start, and serves many fetches from one segment read", async () => {
    const { name, ref } = await tieredTopic({ localRetentionBytes: 6_000 });
    const t0 = Date.now() - 3_600_000;
    for (let b = 0; b < 10; b++) {
      await produce(
        name,
        Array.from({ length: 20 }, (_, i) => ({ value: { seq: b * 20 + i }, timestamp: t0 + (b * 20 + i) * 1_000 })),
      );
    }
    const report = await stubOf(ref).maintain();
    expect(report.localStartOffset).toBeGreaterThan(60);
    const at = async (ts: number) => (await call("GET", `/v1/topics/${name}/partitions/0/offsets?at=${ts}`)).json;
    expect(await at(t0 + 50_500)).toEqual({ offset: 51, timestamp: t0 + 51_000 });
    expect(await at(t0 - 5)).toEqual({ offset: 0, timestamp: t0 });
    expect(await at(t0 + 1_000_000)).toEqual({ offset: 200 });

    const loads = (await stubOf(ref).maintain()).segmentLoads;
    for (let offset = 0; offset < 40; offset += 4) {
      const page = await call("GET", `/v1/topics/${name}/partitions/0/records?offset=${offset}&maxRecords=4`);
      expect(page.json.records.map((r: { offset: number }) => r.offset)).toEqual([0, 1, 2, 3].map((i) => offset + i));
      expect(page.json.records[0].timestamp).toBe(t0 + offset * 1_000);
    }
    expect((await stubOf(ref).maintain()).segmentLoads - loads).toBeLessThanOrEqual(1);
  });

  it("has each replica tier its own copy; a follower far behind copies from the leader's segments and leads after a failover", async () => {
    const { name, ref } = await tieredTopic({ localRetentionBytes: 10_000, replicaLagTimeMs: 500 }, 3);
    const fault = (replica: number, spec: object) =>
      call("POST", "/v1/_test/faults", { topic: name, partition: 0, replica, ...spec });
    await fault(2, { unavailable: true });
    await fill(name, 12, 10, 0, "all");
    await stubOf(ref, 0).maintain();
    expect((await call("GET", `/v1/topics/${name}`)).json.partitions[0].localStartOffset).toBeGreaterThan(0);

    // Replica 2 comes back with nothing: the leader sends it its tiered batches.
    await fault(2, { unavailable: false });
    await fill(name, 1, 10, 120, "all");
    await waitFor(async () => (await readAll(name, { replica: 2 })).length === 130, 15_000, "replica 2 to catch up");
    expect(seqs(await readAll(name, { replica: 2 }))).toEqual(range(130));
    for (const replica of [1, 2]) await stubOf(ref, replica).maintain();
    const keys = await objects(name);
    for (const replica of [0, 1, 2])
      expect(keys.some((k) => k.startsWith(`${name}/${ref.topicId}/0/${replica}/`))).toBe(true);

    await waitFor(
      async () => (await call("GET", `/v1/topics/${name}`)).json.partitions[0].isr.length === 3,
      15_000,
      "replica 2 back in sync",
    );
    await fault(0, { unavailable: true });
    await fill(name, 1, 10, 130, "all");
    const { leader } = (await call("GET", `/v1/topics/${name}`)).json.partitions[0];
    expect(leader).not.toBe(0);
    expect(seqs(await readAll(name))).toEqual(range(140));
  });

  it("compacts tiered records: reads skip the removed ones, and a half-removed segment is written again", async () => {
    const { name, ref } = await tieredTopic({ cleanupPolicy: "compact", localRetentionBytes: 8_000 });
    const write = (keys: number[], round: number) =>
      produce(
        name,
        keys.map((k) => ({ key: `k${k}`, value: { k, round, pad: "c".repeat(200) } })),
      );
    await write(range(100), 0);
    const first = await stubOf(ref).maintain();
    expect(first.segments).toBeGreaterThan(0);
    const before = await objects(name);
    await write(range(70), 1);
    // (The partition's own alarm may get to the rewrite first.)
    await stubOf(ref).maintain();
    const latest = await readAll(name);
    expect(latest.map((r) => [r.value.k, r.value.round])).toEqual([
      ...range(100)
        .slice(70)
        .map((k) => [k, 0]),
      ...range(70).map((k) => [k, 1]),
    ]);
    const after = await objects(name);
    expect(after).toEqual((await manifestKeys(ref)).sort());
    expect(after.some((k) => !before.includes(k))).toBe(true);
  });
});
