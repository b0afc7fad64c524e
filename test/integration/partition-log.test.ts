import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FetchSuccess } from "../../cluster/rpc/partition-log.ts";
import { encodeRecords, type StoredRecord } from "../../cluster/stored-records.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import type { PartitionLog } from "../../durable-objects/partition-log/partition-log.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import { call, createTopic, uniqueName } from "../helpers/http.ts";

async function refOf(topic: string, partition = 0) {
  const described = await call("GET", `/v1/topics/${topic}`);
  return { topic, topicId: described.json.id as string, partition };
}

function chunksOf(records: StoredRecord[]) {
  const encoded = encodeRecords(records, 1_000_000);
  if ("ok" in encoded) throw new Error(encoded.message);
  return encoded;
}

describe("PartitionLog", () => {
  it("gives each of many concurrent appends its own contiguous range of offsets", async () => {
    const ref = await refOf(await createTopic(1));
    const stub = partitionStub(env, ref);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const { chunks, bytes } = chunksOf([{ value: i }, { value: i }, { value: i }]);
        return stub.append({ ref, chunks, count: 3, bytes, usesAppendTime: true });
      }),
    );
    const bases = answers.map((a) => (a.ok ? a.baseOffset : -1)).sort((a, b) => a - b);
    expect(bases).toEqual(Array.from({ length: 40 }, (_, i) => i * 3));
    const page = (await stub.read({
      ref,
      offset: 0,
      maxRecords: 1000,
      maxBytes: 1 << 20,
      waitMs: 0,
    })) as Result<FetchSuccess>;
    if (!page.ok) throw new Error(page.message);
    const values = JSON.parse(page.records).map((r: { value: number }) => r.value);
    // Every append's three records sit together.
    for (let i = 0; i < values.length; i += 3) expect(new Set(values.slice(i, i + 3)).size).toBe(1);
  });

  it("reads the stored form: every record with its timestamp, whole batches within maxBytes past the first", async () => {
    const topic = await createTopic(1);
    const ref = await refOf(topic);
    const stub = partitionStub(env, ref);
    const t = Date.now() - 60_000;
    const appended: number[] = [];
    // Three batches of three records (the second without timestamps), then one big record.
    for (const records of [
      [
        { key: "a", value: 1, timestamp: t },
        { value: 2, timestamp: t + 1 },
        { value: 3, timestamp: t + 2 },
      ],
      [{ value: 4 }, { key: "b", value: 5 }, { value: 6, headers: { h: "x" } }],
      [
        { value: 7, timestamp: t + 7 },
        { value: 8, timestamp: t + 8 },
        { value: 9, timestamp: t + 9 },
      ],
      [{ value: "z".repeat(3000), timestamp: t + 10 }],
    ]) {
      const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records });
      expect(res.status).toBe(200);
      appended.push(res.json.results[0].timestamp);
    }
    const read = async (offset: number, maxRecords: number, maxBytes: number) => {
      const page = (await stub.read({
        ref,
        offset,
        maxRecords,
        maxBytes,
        waitMs: 0,
        form: "stored",
      })) as Result<FetchSuccess>;
      if (!page.ok) throw new Error(page.message);
      return { records: JSON.parse(page.records), count: page.count, nextOffset: page.nextOffset };
    };
    const all = await read(0, 100, 1 << 20);
    expect(all.count).toBe(10);
    expect(all.records.slice(0, 6)).toEqual([
      { timestamp: t, key: "a", value: 1 },
      { timestamp: t + 1, value: 2 },
      { timestamp: t + 2, value: 3 },
      { timestamp: appended[1], value: 4 },
      { timestamp: appended[1], key: "b", value: 5 },
      { timestamp: appended[1], value: 6, headers: { h: "x" } },
    ]);
    expect(all.records.map((r: { value: unknown }) => r.value).slice(6, 9)).toEqual([7, 8, 9]);
    // The same records as the fetched form, less partition and offset.
    const fetched = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(all.records).toEqual(
      fetched.json.records.map(({ partition: _p, offset: _o, ...r }: { partition: number; offset: number }) => r),
    );
    // maxRecords cuts inside a batch; maxBytes stops before the batch that would pass it.
    expect((await read(1, 4, 1 << 20)).records.map((r: { value: number }) => r.value)).toEqual([2, 3, 4, 5]);
    const twoBatches = await read(0, 100, 200);
    expect(twoBatches.count).toBe(6);
    expect(twoBatches.nextOffset).toBe(6);
    // A first batch over maxBytes is read record by record (at least one).
    expect((await read(9, 100, 100)).count).toBe(1);
    expect((await read(0, 100, 1)).count).toBe(1);
  });

  it("stores nothing of an append whose later chunk fails, and the next append reuses the offsets", async () => {
    const ref = await refOf(await createTopic(1));
    const stub = partitionStub(env, ref);
    await runInDurableObject(stub, async (instance: PartitionLog, state) => {
      const good = chunksOf([{ value: 1 }, { value: 2 }]).chunks[0]!;
      const answer = instance.append({
        ref,
        chunks: [good, "[not json"],
        count: 3,
        bytes: 10,
        usesAppendTime: true,
      });
      await expect(answer).rejects.toThrow();
      const rows = state.storage.sql.exec("SELECT count(*) AS n FROM records").one();
      expect(rows.n).toBe(0);
      const batches = state.storage.sql.exec("SELECT count(*) AS n FROM batches").one();
      expect(batches.n).toBe(0);
    });
    const { chunks, bytes } = chunksOf([{ value: "after" }]);
    const next = await stub.append({ ref, chunks, count: 1, bytes, usesAppendTime: true });
    expect(next).toMatchObject({ ok: true, baseOffset: 0 });
  });

  it("pulls its settings from the Controller when it missed the push", async () => {
    const topic = await createTopic(1, { maxMessageBytes: 5000 });
    const ref = await refOf(topic);
    const stub = partitionStub(env, ref);
    await runInDurableObject(stub, (instance: PartitionLog, state) => {
      state.storage.sql.exec("DELETE FROM meta WHERE k = 'settings'");
      (instance as unknown as { settings: unknown }).settings = null;
    });
    const produced = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "x" }] });
    expect(produced.status).toBe(200);
    await runInDurableObject(stub, (_instance: PartitionLog, state) => {
      const row = state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'settings'").one();
      expect(JSON.parse(row.v).config.maxMessageBytes).toBe(5000);
    });
  });

  it("refuses to serve a partition of a topic id the Controller does not know", async () => {
    const ref = { topic: uniqueName(), topicId: crypto.randomUUID(), partition: 0 };
    const stub = partitionStub(env, ref);
    const answer = await stub.read({ ref, offset: 0, maxRecords: 10, maxBytes: 1000, waitMs: 0 });
    expect(answer).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC_OR_PARTITION" });
  });

  it("keeps its log and offsets across a restart of the object", async () => {
    const topic = await createTopic(1);
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1 }, { value: 2 }] });
    const ref = await refOf(topic);
    const { evictDurableObject } = await import("cloudflare:test");
    await evictDurableObject(partitionStub(env, ref));
    const next = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 3 }] });
    expect(next.json.results[0].offset).toBe(2);
    const all = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(all.json.records.map((r: { value: number }) => r.value)).toEqual([1, 2, 3]);
  });
});
